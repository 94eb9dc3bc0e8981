package org.imagineflash.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.imagineflash.latent.Autoencoder;

import java.nio.FloatBuffer;
import java.util.Map;

/** A latent model's decoder exported to ONNX ({@link OnnxExport#decoder}) and run by ONNX Runtime. */
public final class OrtDecoder implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final long[] latentShape;

    private OrtDecoder(OrtEnvironment env, OrtSession session, long[] latentShape) {
        this.env = env;
        this.session = session;
        this.latentShape = latentShape;
    }

    public static OrtDecoder of(Autoencoder autoencoder) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Autoencoder.Config c = autoencoder.config();
        try {
            return new OrtDecoder(env, OrtNetwork.session(env, OnnxExport.decoder(autoencoder, Map.of()).toByteArray()),
                    new long[] {c.latentChannels(), c.imageSize() / 4, c.imageSize() / 4});
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load the exported decoder: " + e.getMessage(), e);
        }
    }

    /** Images (B·3·H·W, in [−1, 1] before rounding) of a batch of scaled latents (B·c·h·w). */
    public float[] decode(float[] z, int batch) {
        try (OnnxTensor zt = OnnxTensor.createTensor(env, FloatBuffer.wrap(z), new long[] {batch, latentShape[0], latentShape[1], latentShape[2]});
             OrtSession.Result r = session.run(Map.of("z", zt))) {
            return OrtNetwork.floats(r, "image");
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
