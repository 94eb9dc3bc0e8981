package org.imagineflash.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Chooses, per convolution geometry (channels, kernel, stride, input shape), a kernel that gives the same results as
 * im2col (one matrix product per convolution; always correct): PyTorch's library convolution (oneDNN, vectorised up
 * to {@code ONEDNN_MAX_CPU_ISA}), else that convolution with channel counts zero-padded to multiples of 16, else
 * im2col. This is {@link ConvKernel#CHECKED}, the kernel wherever oneDNN is not limited to SSE4.1.
 *
 * <p>Why: on the project's VM (AMD EPYC, AVX-512), oneDNN's vectorised convolutions are 1.75× (inference) to 2.9×
 * (a training step) faster than its SSE4.1 ones, but wrong for some shapes, deterministically:
 * <ul>
 *   <li>3×3 forward passes with 24 input channels, at every batch ≥ 2 (a sweep of 18,432 single convolutions, 1–96
 *       input channels, found nothing else; relative error up to 0.4);</li>
 *   <li>the input gradient of the UNet's last convolution (1 output channel): every upstream gradient was wrong
 *       (relative error ~1), which made teacher training NaN within 40 steps.</li>
 * </ul>
 * Both were right in their padded form. The check runs forward only when no gradient flows (at once, on the first pass
 * of a shape) and forward plus backward when one does ({@link #verifyPending()}, between training iterations; until
 * then the shape runs on im2col). With AVX2 the input gradient of that convolution was wrong on the first call and right
 * on later ones, a failure a one-time check cannot rule out, so the entry script enables this only where the CPU
 * has AVX-512.
 */
public final class KernelCheck {
    /** Largest allowed |kernel − im2col| of an output, relative to its largest magnitude (measured: ~1e-6). */
    public static final double TOLERANCE = 1e-4;
    /** Largest allowed relative difference of a gradient (input or weights); measured ~1e-5 where right, ~1 where wrong. */
    public static final double GRADIENT_TOLERANCE = 1e-3;
    private static final KernelCheck SHARED = new KernelCheck();
    /** The kernel chosen per geometry, shared by the blocks of this registry: the failures found depend on the geometry, not the weights. */
    private final java.util.Map<Geometry, ConvKernel> verdicts = new java.util.concurrent.ConcurrentHashMap<>();
    /** Geometries met with gradients and not checked yet, each with one block that has it. */
    private final java.util.Map<Geometry, Conv2dBlock> pending = new java.util.concurrent.ConcurrentHashMap<>();

    /** What a verdict depends on: the convolution's output channels, kernel, stride, input shape, and whether gradients flow. */
    record Geometry(int outChannels, int kernel, int stride, Shape input, boolean backward) {
    }

    /** An empty registry (tests; blocks built with it keep their own verdicts). */
    public KernelCheck() {
    }

    /** The registry of every block built without one: verdicts hold for the JVM's CPU, so one per process suffices. */
    public static KernelCheck shared() {
        return SHARED;
    }

    /**
     * The kernel for {@code block} at geometry {@code g} under {@link ConvKernel#CHECKED}: a geometry met for the first
     * time is checked at once when no gradient flows (a forward comparison); when one does, it runs on im2col and waits
     * for {@link #verifyPending()}, which a training loop calls between iterations (outside its gradient collector).
     */
    ConvKernel kernelFor(Conv2dBlock block, Geometry g) {
        ConvKernel chosen = verdicts.get(g);
        if (chosen == null) {
            if (g.backward()) {
                pending.putIfAbsent(g, block);
                return ConvKernel.GEMM;
            }
            chosen = choose(block, g.input(), false);
            verdicts.put(g, chosen);
        }
        return chosen;
    }

    /**
     * Checks the geometries met with gradients since the last call (forward and backward, library against im2col) and
     * records the verdicts, so later passes run the library kernel where it agreed. Call outside any gradient
     * collector, between training iterations; it leaves the checked blocks' parameter gradients at zero.
     */
    public void verifyPending() {
        for (Geometry g : new java.util.ArrayList<>(pending.keySet())) {
            Conv2dBlock block = pending.remove(g);
            if (block != null && !verdicts.containsKey(g)) {
                verdicts.put(g, choose(block, g.input(), true));
            }
        }
    }

    /**
     * The fastest kernel that agrees with im2col for {@code block} at {@code shape}: the library kernel, else its
     * channel-padded form ({@link ConvKernel#PADDED}), else im2col itself.
     */
    static ConvKernel choose(Conv2dBlock block, Shape shape, boolean backward) {
        for (ConvKernel k : new ConvKernel[] {ConvKernel.LIBRARY, ConvKernel.PADDED}) {
            if (agrees(block, shape, backward, k)) {
                return k;
            }
        }
        return ConvKernel.GEMM;
    }

    /**
     * Whether {@code kernel} gives {@code block} the same output as im2col for random inputs of {@code shape}
     * (relative {@link #TOLERANCE}) and, with {@code backward}, the same input and parameter gradients
     * ({@link #GRADIENT_TOLERANCE}) for a random upstream gradient.
     */
    static boolean agrees(Conv2dBlock block, Shape shape, boolean backward, ConvKernel kernel0) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(shape.hashCode());
        float[] data = new float[(int) shape.size()];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        float[] up = new float[(int) block.getOutputShapes(new Shape[] {shape})[0].size()]; // random upstream gradient
        java.util.SplittableRandom ru = new java.util.SplittableRandom(7);
        for (int i = 0; i < up.length; i++) {
            up[i] = (float) ru.nextGaussian();
        }
        float[][][] results = new float[2][][];
        ConvKernel[] kernels = {kernel0, ConvKernel.GEMM};
        boolean gradMode = ai.djl.pytorch.jni.JniUtils.isGradMode();
        try {
            for (int k = 0; k < 2; k++) {
                ConvKernel kernel = kernels[k];
                try (NDManager sub = NDManager.newBaseManager()) {
                    NDArray x = floats(sub, data, shape);
                    ai.djl.training.ParameterStore ps = new ai.djl.training.ParameterStore(sub, false);
                    if (!backward) {
                        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
                        NDArray out = Conv2dBlock.withKernel(kernel, () -> block.forward(ps, new ai.djl.ndarray.NDList(x), false).head());
                        results[k] = new float[][] {out.toFloatArray()};
                        continue;
                    }
                    x.setRequiresGradient(true);
                    try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                        NDArray out = Conv2dBlock.withKernel(kernel, () -> block.forward(ps, new ai.djl.ndarray.NDList(x), true).head());
                        gc.backward(out.mul(floats(sub, up, out.getShape())).sum());
                        java.util.List<float[]> res = new java.util.ArrayList<>();
                        res.add(out.toFloatArray());
                        res.add(x.getGradient().toFloatArray());
                        for (var e : block.getParameters()) {
                            NDArray w = e.getValue().getArray();
                            if (w.hasGradient()) {
                                try (NDArray g = w.getGradient()) {
                                    res.add(g.toFloatArray());
                                    ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) w);
                                }
                            }
                        }
                        results[k] = res.toArray(new float[0][]);
                    }
                }
            }
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(gradMode);
        }
        for (int i = 0; i < results[0].length; i++) {
            double tol = i == 0 ? TOLERANCE : GRADIENT_TOLERANCE;
            if (!(relativeDifference(results[0][i], results[1][i]) <= tol)) {
                return false;
            }
        }
        return true;
    }

    /** max |a − b| / max |b| (infinite when a value is NaN). */
    public static double relativeDifference(float[] a, float[] b) {
        double scale = 1e-12;
        double diff = 0;
        for (int i = 0; i < b.length; i++) {
            scale = Math.max(scale, Math.abs(b[i]));
            double d = Math.abs(a[i] - b[i]);
            diff = Math.max(diff, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
        }
        return diff / scale;
    }

    /** A float tensor of {@code shape} filled from {@code data}. */
    private static NDArray floats(NDManager m, float[] data, Shape shape) {
        NDArray a = m.zeros(shape, ai.djl.ndarray.types.DataType.FLOAT32);
        a.set(java.nio.FloatBuffer.wrap(data));
        return a;
    }
}
