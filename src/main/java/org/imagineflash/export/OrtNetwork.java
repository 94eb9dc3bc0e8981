package org.imagineflash.export;

import ai.djl.ndarray.NDArray;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.imagineflash.model.ClassLabels;
import org.imagineflash.model.Condition;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.Network;
import org.imagineflash.model.Tensors;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;

/**
 * A model's network exported to ONNX ({@link OnnxExport}) and run by ONNX Runtime: a {@link Network}, so the model's
 * parameterization, guidance and samplers stay as they are. One session per model, one intra-op thread (as the DJL
 * engine is run; concurrent calls run in parallel, {@code OrtSession.run} being thread-safe).
 */
public final class OrtNetwork implements Network, AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final long[] shape;

    private OrtNetwork(OrtEnvironment env, OrtSession session, long[] shape) {
        this.env = env;
        this.session = session;
        this.shape = shape;
    }

    /** Exports {@code model}'s network in memory and opens an ONNX Runtime session on it. */
    public static OrtNetwork of(DiffusionModel model) {
        byte[] onnx = OnnxExport.unet(model, Map.of()).toByteArray();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            o.setInterOpNumThreads(1);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            var u = model.config().unet();
            return new OrtNetwork(env, env.createSession(onnx, o), new long[] {u.inChannels(), u.imageSize(), u.imageSize()});
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load the exported network: " + e.getMessage(), e);
        }
    }

    @Override
    public NDArray forward(NDArray x, NDArray t, Condition c) {
        long b = x.getShape().get(0);
        int[] labels = ClassLabels.labelsOf(c).toIntArray();
        long[] l = new long[labels.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = labels[i];
        }
        try (OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.toFloatArray()), new long[] {b, shape[0], shape[1], shape[2]});
             OnnxTensor tt = OnnxTensor.createTensor(env, FloatBuffer.wrap(t.toFloatArray()), new long[] {b});
             OnnxTensor ct = OnnxTensor.createTensor(env, LongBuffer.wrap(l), new long[] {b});
             OrtSession.Result r = session.run(Map.of("x", xt, "t", tt, "class", ct))) {
            FloatBuffer out = ((OnnxTensor) r.get("out").orElseThrow()).getFloatBuffer();
            float[] f = new float[out.remaining()];
            out.get(f);
            return Tensors.floats(x.getManager(), f, x.getShape());
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
