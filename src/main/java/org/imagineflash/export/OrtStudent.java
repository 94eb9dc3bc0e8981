package org.imagineflash.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.imagineflash.latent.Autoencoder;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A distilled student's whole generation ({@link OnnxExport#student}) run by ONNX Runtime, without the DJL engine: the
 * form a libtorch-free deployment serves. {@code imagine-flash export --model DIR --deploy} writes the graph next to
 * the weights as {@value #FILE}, with the SHA-256 of the weights it was exported from; a graph that no longer matches
 * its weights is refused, so a retrained model cannot be served from a stale graph.
 */
public final class OrtStudent implements AutoCloseable {
    /** The graph's file in a model directory. */
    public static final String FILE = "student.onnx";
    /** The graph's metadata key for the SHA-256 of the weights it holds. */
    public static final String WEIGHTS_SHA256 = "weightsSha256";
    /** Metadata key: the SHA-256 of the weights of the autoencoder whose decoder a latent student's graph holds. */
    public static final String DECODER_SHA256 = "decoderSha256";

    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelConfig config;
    /** The graph's file; null for a graph exported in memory ({@link #bytes}). */
    private final Path file;
    private final byte[] bytes;

    private OrtStudent(OrtEnvironment env, OrtSession session, ModelConfig config, Path file, byte[] bytes) {
        this.env = env;
        this.session = session;
        this.config = config;
        this.file = file;
        this.bytes = bytes;
    }

    /** A session on a graph exported in memory from loaded weights ({@link OnnxExport#student}). */
    public static OrtStudent of(byte[] onnx, ModelConfig config) {
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            return new OrtStudent(env, OrtNetwork.session(env, onnx), config, null, onnx);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load the exported student: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the whole generation of the student loaded from {@code dir} as {@code file} (normally {@code dir}/{@value
     * #FILE}), atomically, recording the SHA-256 of {@code dir}'s weights (and of its autoencoder's) beside {@code metadata}.
     *
     * @param autoencoder the decoder of a latent student (null for a pixel-space one)
     * @return the graph's size in bytes
     */
    public static long deploy(Path dir, DiffusionModel model, Autoencoder autoencoder, Path file, Map<String, String> metadata) throws IOException {
        Map<String, String> meta = new java.util.LinkedHashMap<>(metadata);
        meta.put(WEIGHTS_SHA256, ModelStore.sha256(dir.resolve(ModelStore.WEIGHTS)));
        if (model.config().autoencoder() != null) {
            meta.put(DECODER_SHA256, ModelStore.sha256(Path.of(model.config().autoencoder()).resolve(ModelStore.WEIGHTS)));
        }
        byte[] onnx = OnnxExport.student(model, autoencoder, meta).toByteArray();
        ModelStore.writeBytes(file, onnx);
        return onnx.length;
    }

    /** Whether {@code dir} holds an exported generation graph. */
    public static boolean exported(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE));
    }

    /** Opens {@code dir}'s graph for a model of {@code config}; a graph of other weights is an error that says what to run. */
    public static OrtStudent open(Path dir, ModelConfig config) throws IOException {
        if (!OnnxExport.supportsStudentGraph(config)) {
            throw new IllegalArgumentException(dir + " is not a student that runs as one graph");
        }
        Path file = dir.resolve(FILE);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session;
        try {
            session = OrtNetwork.session(env, Files.readAllBytes(file));
        } catch (OrtException e) {
            throw new IOException(file + ": not a graph ONNX Runtime can load (" + e.getMessage() + ")");
        }
        try {
            String recorded = session.getMetadata().getCustomMetadata().get(WEIGHTS_SHA256);
            String actual = ModelStore.sha256(dir.resolve(ModelStore.WEIGHTS));
            if (!actual.equals(recorded)) {
                throw new IOException(file + " was exported from other weights than " + dir.resolve(ModelStore.WEIGHTS)
                        + ": export it again (imagine-flash export --model " + dir + " --deploy)");
            }
            String decoder = session.getMetadata().getCustomMetadata().get(DECODER_SHA256);
            Path ae = config.autoencoder() == null ? null : Path.of(config.autoencoder()).resolve(ModelStore.WEIGHTS);
            if (decoder != null && ae != null && Files.isRegularFile(ae) && !decoder.equals(ModelStore.sha256(ae))) {
                throw new IOException(file + " holds another decoder than " + ae.getParent() + " has now: export it again (imagine-flash export --model "
                        + dir + " --deploy)");
            }
        } catch (OrtException | IOException | RuntimeException e) {
            OrtNetwork.close(session);
            throw e instanceof IOException io ? io : new IOException(file + ": " + e.getMessage());
        }
        return new OrtStudent(env, session, config, file, null);
    }

    /** The graph's bytes (what a browser loads). */
    public byte[] bytes() throws IOException {
        return file == null ? bytes : Files.readAllBytes(file);
    }

    /** The steps the graph runs (the student's trained step count). */
    public int steps() {
        return config.student().steps();
    }

    /**
     * Images in [−1, 1] before rounding, B·C·H·W floats, for the noise x_T (B·c·h·w floats) and per image its class
     * label or, for a text-to-image student, its prompt's L token ids.
     */
    public float[] generate(float[] noise, long[] condition, int batch) {
        var u = config.unet();
        long[] noiseShape = {batch, u.inChannels(), u.imageSize(), u.imageSize()};
        boolean text = u.isTextConditioned();
        long[] conditionShape = text ? new long[] {batch, u.text().maxTokens()} : new long[] {batch};
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(noise), noiseShape);
             OnnxTensor c = OnnxTensor.createTensor(env, LongBuffer.wrap(condition), conditionShape);
             OrtSession.Result r = session.run(Map.of("noise", x, text ? "tokens" : "class", c))) {
            return OrtNetwork.floats(r, "image");
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        OrtNetwork.close(session);
    }
}
