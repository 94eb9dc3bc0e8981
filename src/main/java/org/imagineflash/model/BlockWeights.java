package org.imagineflash.model;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Parameters of any DJL block written/read in the project's weight format (see {@link Tensors}). */
public final class BlockWeights {
    private static final int MAGIC = 0x49465742; // "IFWB"

    private BlockWeights() {
    }

    public static List<Parameter> parameters(Block block) {
        List<Parameter> list = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            list.add(p.getValue());
        }
        return list;
    }

    public static void write(Block block, Path file) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(MAGIC);
            List<Parameter> ps = parameters(block);
            out.writeInt(ps.size());
            for (Parameter p : ps) {
                out.writeUTF(p.getName());
                Tensors.write(out, p.getArray());
            }
        }
    }

    public static void read(Block block, Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("missing weights file " + file);
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != MAGIC) {
                throw new IOException(file + ": not a weights file (bad magic)");
            }
            List<Parameter> ps = parameters(block);
            int n = in.readInt();
            if (n != ps.size()) {
                throw new IOException(file + ": has " + n + " parameters, the architecture has " + ps.size());
            }
            for (Parameter p : ps) {
                String name = in.readUTF();
                if (!name.equals(p.getName())) {
                    throw new IOException(file + ": parameter '" + name + "' where the architecture has '" + p.getName() + "'");
                }
                Tensors.readInto(in, p.getArray(), name);
            }
            if (in.read() != -1) {
                throw new IOException(file + ": trailing bytes after the weights");
            }
        } catch (EOFException e) {
            throw new IOException(file + ": truncated weights");
        }
    }

    /**
     * Copies the values of {@code from} into {@code to}, parameter by parameter in order; names and shapes must agree.
     *
     * @param what names the two sides in the error
     */
    public static void copy(List<Parameter> from, List<Parameter> to, String what) {
        if (from.size() != to.size()) {
            throw new IllegalArgumentException(what + ": " + from.size() + " parameters where " + to.size() + " are expected");
        }
        for (int i = 0; i < from.size(); i++) {
            Parameter a = from.get(i);
            Parameter b = to.get(i);
            if (!a.getName().equals(b.getName()) || !a.getArray().getShape().equals(b.getArray().getShape())) {
                throw new IllegalArgumentException(what + ": parameter " + i + " is '" + a.getName() + "' " + a.getArray().getShape()
                        + " where '" + b.getName() + "' " + b.getArray().getShape() + " is expected");
            }
            b.getArray().set(a.getArray().toByteBuffer());
        }
    }
}
