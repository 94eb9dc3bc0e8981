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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A model directory: {@code config.json} (a {@link ModelConfig}), {@code weights.params} (DJL's parameter format)
 * and {@code provenance.json} (with the SHA-256 of the weights, checked at load). Saving is crash-safe: see
 * {@link #writeDirAtomically}.
 */
public final class ModelStore {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "weights.params";
    public static final String PROVENANCE = "provenance.json";
    public static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Test seam: called after each durable step of a directory swap; a test throws from it to stop a save there, as a kill would. */
    @FunctionalInterface
    public interface SwapHook {
        void at(String step);
    }

    private static volatile SwapHook swapHook = step -> { };

    /** Installs a {@link SwapHook} (tests only); null restores the default. */
    public static void swapHook(SwapHook hook) {
        swapHook = hook == null ? step -> { } : hook;
    }

    private ModelStore() {
    }

    public static void save(DiffusionModel model, Path dir, Provenance provenance) throws IOException {
        writeDirAtomically(dir, tmp -> {
            JSON.writeValue(tmp.resolve(CONFIG).toFile(), model.config());
            writeWeights(model, tmp.resolve(WEIGHTS));
            JSON.writeValue(tmp.resolve(PROVENANCE).toFile(), provenance.withWeightsSha256(sha256(tmp.resolve(WEIGHTS))));
        });
    }

    /** The SHA-256 of a file, as lowercase hex. */
    public static String sha256(Path file) throws IOException {
        java.security.MessageDigest md = newSha256();
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) != -1; ) {
                md.update(buf, 0, r);
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    private static java.security.MessageDigest newSha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void writeWeights(DiffusionModel model, Path file) throws IOException {
        writeWeights(model, file, WeightPrecision.FLOAT32);
    }

    /** Writes the parameters (name, shape, values at {@code precision}, in the block's order). */
    public static void writeWeights(DiffusionModel model, Path file, WeightPrecision precision) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(precision.magic());
            List<Parameter> params = model.parameters();
            out.writeInt(params.size());
            for (Parameter p : params) {
                out.writeUTF(p.getName());
                Tensors.write(out, p.getArray(), precision);
            }
        }
    }

    /**
     * Rewrites the model in {@code dir} with its weights stored at {@code precision}, atomically: the other files are
     * kept, except a deployed graph ({@code student.onnx}), which holds the old weights and must be exported again.
     * The provenance keeps how the model was made and records the conversion.
     *
     * @return the new weights file's size in bytes
     */
    public static long convertWeights(Path dir, WeightPrecision precision, String command) throws IOException {
        try (DiffusionModel model = load(dir)) {
            Provenance p = readProvenance(dir);
            Map<String, Object> extra = new java.util.LinkedHashMap<>(p == null || p.extra() == null ? Map.of() : p.extra());
            extra.put("weightPrecision", precision.toString());
            extra.put("convertedBy", command);
            try (var files = Files.list(dir)) {
                List<Path> keep = files.filter(f -> Files.isRegularFile(f) && !List.of(WEIGHTS, PROVENANCE, "student.onnx")
                        .contains(f.getFileName().toString())).toList();
                writeDirAtomically(dir, tmp -> {
                    for (Path f : keep) {
                        Files.copy(f, tmp.resolve(f.getFileName()));
                    }
                    writeWeights(model, tmp.resolve(WEIGHTS), precision);
                    Provenance converted = p == null
                            ? Provenance.of(command, 0, dir.toString(), 0, 0, extra)
                            : new Provenance(p.command(), p.seed(), p.data(), p.steps(), p.gitCommit(), p.wallSeconds(), p.machine(), p.created(), extra, null);
                    JSON.writeValue(tmp.resolve(PROVENANCE).toFile(), converted.withWeightsSha256(sha256(tmp.resolve(WEIGHTS))));
                });
            }
            return Files.size(dir.resolve(WEIGHTS));
        }
    }

    /** Reads a model directory; every problem is an IOException with a one-line message. */
    public static DiffusionModel load(Path dir) throws IOException {
        recover(dir);
        if (!Files.isDirectory(dir)) {
            throw new IOException("model directory not found: " + dir);
        }
        ModelConfig config = readConfig(dir);
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new IOException(dir + ": missing " + WEIGHTS);
        }
        Provenance provenance;
        try {
            provenance = readProvenance(dir);
        } catch (IOException e) {
            throw new IOException(dir.resolve(PROVENANCE) + ": unreadable (" + e.getClass().getSimpleName() + ")");
        }
        DiffusionModel model = DiffusionModel.create(config, 0);
        try {
            java.security.MessageDigest digest = newSha256();
            readWeights(model, weights, digest);
            String sha = java.util.HexFormat.of().formatHex(digest.digest());
            if (provenance != null && provenance.weightsSha256() != null && !provenance.weightsSha256().equals(sha)) {
                throw new IOException(weights + ": checksum does not match provenance.json (the weights were changed or corrupted)");
            }
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
            return JSON.readValue(cfg.toFile(), ModelConfig.class);
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
     * Loads parameters (name, shape, float32 or float16 values, in the block's order) into the model's own tensors,
     * checking every name and shape against the architecture in config.json.
     */
    public static void readWeights(DiffusionModel model, Path file) throws IOException {
        readWeights(model, file, newSha256());
    }

    /** As {@link #readWeights(DiffusionModel, Path)}, feeding every byte read to {@code digest} (one pass for load's checksum). */
    private static void readWeights(DiffusionModel model, Path file, java.security.MessageDigest digest) throws IOException {
        List<Parameter> params = model.parameters();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                new java.security.DigestInputStream(Files.newInputStream(file), digest)))) {
            WeightPrecision precision = WeightPrecision.ofMagic(in.readInt());
            if (precision == null) {
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
                Tensors.readInto(in, p.getArray(), file + ": parameter " + name, precision);
            }
            if (in.read() != -1) {
                throw new IOException(file + ": trailing bytes after the weights (weights do not match config.json)");
            }
        } catch (java.io.EOFException | java.io.UTFDataFormatException e) {
            throw new IOException(file + ": corrupt weights (truncated)");
        }
    }

    /**
     * Model directories (config.json and weights) directly under {@code root}, sorted by name; empty if none. Hidden
     * folders (a save's temporaries) are not models.
     */
    /**
     * The JSON config {@code file} of a model folder that is not a diffusion model (an instrument, an autoencoder); a
     * missing or invalid file is an IOException that names it and the command that makes one.
     */
    public static <T> T readJsonConfig(Path dir, String file, Class<T> type, String what, String command) throws IOException {
        Path cfg = dir.resolve(file);
        if (!Files.isRegularFile(cfg)) {
            throw new IOException(dir + " is not " + what + " directory (no " + file + "); train one with imagine-flash " + command);
        }
        try {
            return JSON.readValue(cfg.toFile(), type);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(cfg + ": invalid " + what.replaceFirst("^an? ", "") + " config ("
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
    }

    public static java.util.List<Path> list(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return java.util.List.of();
        }
        try (java.util.stream.Stream<Path> s = Files.list(root)) {
            return s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> Files.isRegularFile(p.resolve(CONFIG)) && Files.isRegularFile(p.resolve(WEIGHTS))).sorted().toList();
        }
    }

    /** {@link #list}, with the folders whose name starts with "teacher" first. */
    public static List<Path> listTeachersFirst(Path root) throws IOException {
        List<Path> out = new ArrayList<>(list(root));
        out.sort((a, b) -> {
            boolean ta = a.getFileName().toString().startsWith("teacher");
            boolean tb = b.getFileName().toString().startsWith("teacher");
            return ta == tb ? a.compareTo(b) : ta ? -1 : 1;
        });
        return out;
    }

    /** The model's provenance, or null when the directory has none. */
    public static Provenance readProvenance(Path dir) throws IOException {
        if (!Files.isRegularFile(dir.resolve(PROVENANCE))) {
            return null;
        }
        return JSON.readValue(dir.resolve(PROVENANCE).toFile(), Provenance.class);
    }

    /** Something that fills a directory. */
    @FunctionalInterface
    public interface DirWriter {
        void write(Path tmp) throws IOException;
    }

    /**
     * Fills a temporary sibling of {@code dir} and swaps it into place so that a crash at any instant leaves {@code dir}
     * loadable, as the new or the previous version (after {@link #recover}):
     * <ol>
     *   <li>write into {@code .NAME.tmpXXXX} and fsync its files; a crash here leaves a temporary that the next save
     *       deletes;</li>
     *   <li>rename it to {@code .NAME.new} (now complete);</li>
     *   <li>rename {@code NAME} to {@code .NAME.old};</li>
     *   <li>rename {@code .NAME.new} to {@code NAME}, then delete {@code .NAME.old}.</li>
     * </ol>
     * Each rename is atomic and followed by an fsync of the parent directory. {@link #recover} completes or rolls back
     * a swap that stopped between steps 2 and 4.
     */
    public static void writeDirAtomically(Path dir, DirWriter writer) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        Files.createDirectories(parent);
        recover(abs);
        deleteStale(abs);
        Path tmp = Files.createTempDirectory(parent, "." + abs.getFileName() + ".tmp");
        try {
            writer.write(tmp);
            fsyncTree(tmp);
        } catch (IOException | RuntimeException e) {
            deleteRecursively(tmp);
            throw e;
        }
        swapHook.at("written");
        Path ready = sibling(abs, ".new");
        Path old = sibling(abs, ".old");
        Files.move(tmp, ready, StandardCopyOption.ATOMIC_MOVE);
        fsyncDir(parent);
        swapHook.at("ready");
        if (Files.exists(abs)) {
            Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
            fsyncDir(parent);
            swapHook.at("moved-aside");
        }
        Files.move(ready, abs, StandardCopyOption.ATOMIC_MOVE);
        fsyncDir(parent);
        swapHook.at("swapped");
        deleteRecursively(old);
    }

    /**
     * Completes or rolls back a swap of {@link #writeDirAtomically} that a crash interrupted: a complete
     * {@code .NAME.new} is moved into place, else a missing {@code NAME} is restored from {@code .NAME.old}. Does
     * nothing when no swap was interrupted.
     */
    public static void recover(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        Path ready = sibling(abs, ".new");
        Path old = sibling(abs, ".old");
        if (Files.isDirectory(ready)) {
            if (Files.exists(abs)) {
                deleteRecursively(old);
                Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(ready, abs, StandardCopyOption.ATOMIC_MOVE);
            fsyncDir(abs.getParent());
            deleteRecursively(old);
        } else if (!Files.exists(abs)) {
            Path back = Files.isDirectory(old) ? old : newestLegacyOld(abs);
            if (back != null) {
                Files.move(back, abs, StandardCopyOption.ATOMIC_MOVE);
                fsyncDir(abs.getParent());
            }
        }
    }

    /**
     * Checks before a long run that {@code dir} can be written at its end: creates its parent and writes and deletes a
     * probe file there. The error names the folder and the reason.
     */
    public static void requireWritable(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().normalize().getParent();
        try {
            Files.createDirectories(parent);
            Files.delete(Files.createTempFile(parent, "." + dir.getFileName() + ".probe", ".tmp"));
        } catch (IOException e) {
            throw new IOException("cannot write " + dir + " (its folder " + parent + ": " + reason(e) + ")");
        }
    }

    /** Why a file operation failed, in words (the JDK's messages for these are often only the path). */
    public static String reason(IOException e) {
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getReason() != null ? f.getReason()
                    : f instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : f instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                    : f instanceof java.nio.file.FileAlreadyExistsException ? "already exists"
                    : f instanceof java.nio.file.NotDirectoryException ? "not a directory"
                    : f instanceof java.nio.file.DirectoryNotEmptyException ? "directory not empty"
                    : "file system error";
        }
        return e.getMessage() == null ? "I/O error" : e.getMessage().lines().findFirst().orElse("I/O error");
    }

    /** The newest {@code .NAME.old<nanos>} folder of the earlier save layout, or null. */
    private static Path newestLegacyOld(Path abs) throws IOException {
        if (!Files.isDirectory(abs.getParent())) {
            return null;
        }
        String prefix = "." + abs.getFileName() + ".old";
        try (Stream<Path> s = Files.list(abs.getParent())) {
            return s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().startsWith(prefix)
                            && p.getFileName().toString().substring(prefix.length()).matches("\\d+"))
                    .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(prefix.length()))))
                    .orElse(null);
        }
    }

    /** Deletes the temporaries of earlier saves of {@code dir} that crashed ({@code .NAME.tmp…}, {@code .NAME.old…}). */
    private static void deleteStale(Path abs) throws IOException {
        String tmpPrefix = "." + abs.getFileName() + ".tmp";
        String oldPrefix = "." + abs.getFileName() + ".old";
        try (Stream<Path> s = Files.list(abs.getParent())) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(tmpPrefix) || (n.startsWith(oldPrefix) && Files.exists(abs))) {
                    deleteRecursively(p);
                }
            }
        }
    }

    private static Path sibling(Path abs, String suffix) {
        return abs.resolveSibling("." + abs.getFileName() + suffix);
    }

    /** Forces every file under {@code dir} and the directory itself to disk. */
    private static void fsyncTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                if (Files.isRegularFile(p)) {
                    try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
                        c.force(true);
                    }
                }
            }
        }
        fsyncDir(dir);
    }

    /** Forces a directory's entries to disk (a no-op where the file system does not allow opening directories). */
    static void fsyncDir(Path dir) {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            // some file systems refuse to open a directory; the renames are still atomic there
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
        writeBytes(file, JSON.writeValueAsBytes(value));
    }

    /** Writes a file atomically: a synced temporary file renamed over the target, so a crash leaves the old file or the new. */
    public static void writeBytes(Path file, byte[] bytes) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) { // readable as the model's other files
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    c.write(b);
                }
                c.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            fsyncDir(abs.getParent());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
