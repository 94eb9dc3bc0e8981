package org.imagineflash.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * The IDX format of MNIST/Fashion-MNIST: magic (0, 0, type, rank), rank big-endian int32 dimensions, then the data.
 * Only unsigned bytes (type 0x08) are used by these data sets; anything else is rejected with a clear message.
 *
 * @param dims dimensions, e.g. (N, 28, 28) for images or (N) for labels
 * @param data the bytes, row-major
 */
public record IdxFile(int[] dims, byte[] data) {
    private static final int TYPE_UBYTE = 0x08;

    public int count() {
        return dims[0];
    }

    /** Element i as an unsigned int. */
    public int u8(int i) {
        return data[i] & 0xff;
    }

    /** Reads a raw or gzip-compressed IDX file and validates magic, type, dimensions and length. */
    public static IdxFile read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IOException("IDX file not found: " + path);
        }
        byte[] bytes;
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(path))) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = (b0 == 0x1f && b1 == 0x8b) ? new GZIPInputStream(raw) : raw;
            bytes = in.readAllBytes();
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException(path + ": corrupt gzip data (" + e.getMessage() + ")");
        }
        return parse(bytes, path.toString());
    }

    /** Parses IDX bytes; {@code name} is used in error messages. */
    public static IdxFile parse(byte[] bytes, String name) throws IOException {
        if (bytes.length < 4) {
            throw new IOException(name + ": not an IDX file (only " + bytes.length + " bytes)");
        }
        if (bytes[0] != 0 || bytes[1] != 0) {
            throw new IOException(name + ": bad IDX magic " + String.format("%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3])
                    + " (expected 0000 then type and rank)");
        }
        int type = bytes[2] & 0xff;
        if (type != TYPE_UBYTE) {
            throw new IOException(name + ": unsupported IDX element type 0x" + Integer.toHexString(type) + " (only unsigned byte 0x08)");
        }
        int rank = bytes[3] & 0xff;
        if (rank < 1 || rank > 4) {
            throw new IOException(name + ": bad IDX rank " + rank + " (expected 1..4)");
        }
        if (bytes.length < 4 + 4 * rank) {
            throw new IOException(name + ": truncated IDX header");
        }
        ByteBuffer bb = ByteBuffer.wrap(bytes);
        int[] dims = new int[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = bb.getInt(4 + 4 * i);
            if (dims[i] < 0) {
                throw new IOException(name + ": negative IDX dimension " + dims[i]);
            }
            n *= dims[i];
        }
        int header = 4 + 4 * rank;
        long have = bytes.length - header;
        if (have < n) {
            throw new IOException(name + ": truncated IDX data: dimensions " + Arrays.toString(dims) + " need " + n
                    + " bytes, file has " + have);
        }
        if (have > n) {
            throw new IOException(name + ": " + (have - n) + " trailing bytes after IDX data of dimensions " + Arrays.toString(dims));
        }
        return new IdxFile(dims, Arrays.copyOfRange(bytes, header, bytes.length));
    }

    /** Serializes as raw (uncompressed) IDX. */
    public byte[] toBytes() {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(data.length + 16);
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.write(new byte[] {0, 0, TYPE_UBYTE, (byte) dims.length});
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bos.toByteArray();
    }

    /** Writes raw IDX atomically (temporary file, then rename). */
    public void write(Path path) throws IOException {
        writeAtomically(path, toBytes());
    }

    /** Writes bytes to a temporary sibling file and renames it over {@code path}. */
    public static void writeAtomically(Path path, byte[] bytes) throws IOException {
        Path abs = path.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
            try (OutputStream o = Files.newOutputStream(tmp)) {
                o.write(bytes);
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
