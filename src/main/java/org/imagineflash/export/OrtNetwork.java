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
 * parameterization, guidance and samplers stay as they are. One session per graph, with the intra-op threads the DJL
 * engine is given ({@code ai.djl.pytorch.num_threads}: one per server worker), so both engines are compared on equal
 * threads; concurrent calls run in parallel, {@code OrtSession.run} being thread-safe. A text-to-image model
 * runs as two graphs: its text encoder once per condition (a sampler passes the same condition at every step), then
 * its UNet at every step.
 */
public final class OrtNetwork implements Network, AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession unet;
    /** The text encoder's graph; null for a class-conditional model. */
    private final OrtSession text;
    private final long[] shape;
    /** The last condition this thread encoded, and its (context, pooled) outputs. */
    private final ThreadLocal<Encoded> lastEncoded = new ThreadLocal<>();

    private record Encoded(Condition condition, float[] context, long[] contextShape, float[] pooled, long[] pooledShape) {
    }

    private OrtNetwork(OrtEnvironment env, OrtSession unet, OrtSession text, long[] shape) {
        this.env = env;
        this.unet = unet;
        this.text = text;
        this.shape = shape;
    }

    /** Exports {@code model}'s network (and text encoder) in memory and opens ONNX Runtime sessions on them. */
    public static OrtNetwork of(DiffusionModel model) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        var u = model.config().unet();
        OrtSession unet = null;
        try {
            unet = session(env, OnnxExport.unet(model, Map.of()).toByteArray());
            OrtSession text = u.isTextConditioned() ? session(env, OnnxExport.textEncoder(model, Map.of()).toByteArray()) : null;
            return new OrtNetwork(env, unet, text, new long[] {u.inChannels(), u.imageSize(), u.imageSize()});
        } catch (OrtException e) {
            close(unet);
            throw new IllegalStateException("ONNX Runtime could not load the exported network: " + e.getMessage(), e);
        }
    }

    static OrtSession session(OrtEnvironment env, byte[] onnx) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(Math.max(1, Integer.getInteger("ai.djl.pytorch.num_threads", 1)));
            o.setInterOpNumThreads(1);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return env.createSession(onnx, o);
        }
    }

    @Override
    public NDArray forward(NDArray x, NDArray t, Condition c) {
        long b = x.getShape().get(0);
        try (OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.toFloatArray()), new long[] {b, shape[0], shape[1], shape[2]});
             OnnxTensor tt = OnnxTensor.createTensor(env, FloatBuffer.wrap(t.toFloatArray()), new long[] {b})) {
            float[] f = text == null ? runClassConditional(xt, tt, c) : runTextConditioned(xt, tt, c);
            return Tensors.floats(x.getManager(), f, x.getShape());
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    private float[] runClassConditional(OnnxTensor xt, OnnxTensor tt, Condition c) throws OrtException {
        int[] labels = ClassLabels.labelsOf(c).toIntArray();
        long[] l = new long[labels.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = labels[i];
        }
        try (OnnxTensor ct = OnnxTensor.createTensor(env, LongBuffer.wrap(l), new long[] {l.length});
             OrtSession.Result r = unet.run(Map.of("x", xt, "t", tt, "class", ct))) {
            return floats(r, "out");
        }
    }

    private float[] runTextConditioned(OnnxTensor xt, OnnxTensor tt, Condition c) throws OrtException {
        Encoded e = encoded(c);
        try (OnnxTensor ctx = OnnxTensor.createTensor(env, FloatBuffer.wrap(e.context()), e.contextShape());
             OnnxTensor pooled = OnnxTensor.createTensor(env, FloatBuffer.wrap(e.pooled()), e.pooledShape())) {
            Map<String, OnnxTensor> in = unet.getInputNames().contains("pooled")
                    ? Map.of("x", xt, "t", tt, "context", ctx, "pooled", pooled) : Map.of("x", xt, "t", tt, "context", ctx);
            try (OrtSession.Result r = unet.run(in)) {
                return floats(r, "out");
            }
        }
    }

    /** The text encoder's outputs for c, computed once per condition per thread. */
    private Encoded encoded(Condition c) throws OrtException {
        Encoded last = lastEncoded.get();
        if (last != null && last.condition() == c) {
            return last;
        }
        NDArray tokens = c.inputs().get(0);
        long[] ids = tokens.toLongArray();
        long[] s = tokens.getShape().getShape();
        try (OnnxTensor tok = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), s);
             OrtSession.Result r = text.run(Map.of("tokens", tok))) {
            float[] context = floats(r, "context");
            float[] pooled = floats(r, "pooled");
            long width = pooled.length / s[0];
            Encoded e = new Encoded(c, context, new long[] {s[0], s[1], width}, pooled, new long[] {s[0], width});
            lastEncoded.set(e);
            return e;
        }
    }

    static float[] floats(OrtSession.Result r, String name) {
        FloatBuffer out = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
        float[] f = new float[out.remaining()];
        out.get(f);
        return f;
    }

    /** Closes a session (none: nothing), an ORT failure as an unchecked exception. */
    static void close(OrtSession s) {
        if (s != null) {
            try {
                s.close();
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void close() {
        close(unet);
        close(text);
    }
}
