package org.imagineflash.model;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A model directory: {@code config.json} (a {@link ModelConfig}), {@code weights.params} (DJL's parameter format)
 * and {@code provenance.json}. Saving writes a sibling temporary directory and renames it into place, so a crash
 * never leaves a half-written model.
 */
public final class ModelStore {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "weights.params";
    public static final String PROVENANCE = "provenance.json";
    private static final int MAGIC = 0x49465731; // "IFW1"
    public static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ModelStore() {
    }

    public static void save(DiffusionModel model, Path dir, Provenance provenance) throws IOException {
        writeDirAtomically(dir, tmp -> {
            JSON.writeValue(tmp.resolve(CONFIG).toFile(), model.config());
            writeWeights(model, tmp.resolve(WEIGHTS));
            JSON.writeValue(tmp.resolve(PROVENANCE).toFile(), provenance);
        });
    }

    public static void writeWeights(DiffusionModel model, Path file) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(MAGIC);
            List<Parameter> params = model.parameters();
            out.writeInt(params.size());
            for (Parameter p : params) {
                out.writeUTF(p.getName());
                Tensors.write(out, p.getArray());
            }
        }
    }

    /** Reads a model directory; every problem is an IOException with a one-line message. */
    public static DiffusionModel load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("model directory not found: " + dir);
        }
        ModelConfig config = readConfig(dir);
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new IOException(dir + ": missing " + WEIGHTS);
        }
        DiffusionModel model = DiffusionModel.create(config, 0);
        try {
            readWeights(model, weights);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    public static ModelConfig readConfig(Path dir) throws IOException {
        Path cfg = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfg)) {
            throw new IOException(dir + " is not a model directory (no " + CONFIG + ")");
        }
        try {
            com.fasterxml.jackson.databind.node.ObjectNode node = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(cfg.toFile());
            if (node.has("student") && node.get("student").isBoolean()) {
                node.remove("student"); // files written before isStudent() was excluded from JSON carry "student": false
            }
            return JSON.treeToValue(node, ModelConfig.class);
        } catch (IOException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            String msg = root instanceof IllegalArgumentException ? root.getMessage() : (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage());
            throw new IOException(cfg + ": invalid model config: " + msg);
        }
    }

    /**
     * Loads parameters (name, shape, float32 values, in the block's order) into the model's own tensors, checking
     * every name and shape against the architecture in config.json.
     */
    public static void readWeights(DiffusionModel model, Path file) throws IOException {
        List<Parameter> params = model.parameters();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != MAGIC) {
                throw new IOException(file + ": not an imagine-flash weights file (bad magic)");
            }
            int n = in.readInt();
            if (n != params.size()) {
                throw new IOException(file + ": has " + n + " parameters but config.json's architecture has " + params.size());
            }
            for (Parameter p : params) {
                String name = in.readUTF();
                if (!name.equals(p.getName())) {
                    throw new IOException(file + ": parameter '" + name + "' where config.json's architecture has '" + p.getName() + "'");
                }
                Tensors.readInto(in, p.getArray(), file + ": parameter " + name);
            }
            if (in.read() != -1) {
                throw new IOException(file + ": trailing bytes after the weights (weights do not match config.json)");
            }
        } catch (java.io.EOFException | java.io.UTFDataFormatException e) {
            throw new IOException(file + ": corrupt weights (truncated)");
        }
    }

    /** Model directories (config.json and weights) directly under {@code root}, sorted by name; empty if none. */
    public static java.util.List<Path> list(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return java.util.List.of();
        }
        try (java.util.stream.Stream<Path> s = Files.list(root)) {
            return s.filter(p -> Files.isRegularFile(p.resolve(CONFIG)) && Files.isRegularFile(p.resolve(WEIGHTS))).sorted().toList();
        }
    }

    /** The model's provenance, or null when the directory has none. */
    public static Provenance readProvenance(Path dir) throws IOException {
        if (!Files.isRegularFile(dir.resolve(PROVENANCE))) {
            return null;
        }
        return JSON.readValue(dir.resolve(PROVENANCE).toFile(), Provenance.class);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    /** Something that fills a directory. */
    @FunctionalInterface
    public interface DirWriter {
        void write(Path tmp) throws IOException;
    }

    /** Fills a temporary sibling of {@code dir}, then swaps it into place. */
    public static void writeDirAtomically(Path dir, DirWriter writer) throws IOException {
        Path abs = dir.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".tmp");
        try {
            writer.write(tmp);
            Path old = null;
            if (Files.exists(abs)) {
                old = abs.resolveSibling("." + abs.getFileName() + ".old" + System.nanoTime());
                Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            if (old != null) {
                deleteRecursively(old);
            }
        } finally {
            if (Files.exists(tmp)) {
                deleteRecursively(tmp);
            }
        }
    }

    public static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    /** Writes JSON atomically. */
    public static void writeJson(Path file, Object value) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
            try (OutputStream o = Files.newOutputStream(tmp)) {
                JSON.writeValue(o, value);
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
