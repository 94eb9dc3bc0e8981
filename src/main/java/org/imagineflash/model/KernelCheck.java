package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Checks on this machine that PyTorch's convolution (oneDNN, vectorised up to this process's {@code ONEDNN_MAX_CPU_ISA})
 * gives a model the same output as the im2col kernel (one matrix product per convolution; always correct).
 *
 * <p>Why: with AVX2/AVX-512 kernels, teacher training on the project's VM turns NaN within 40 steps (see
 * {@link Conv2dBlock}), yet inference with them matched the SSE4.1 kernels on 25,344 images of the shipped student
 * (batches 1–32; largest difference one grey level) and is 1.75× faster. Not for every shape, though: a sweep of
 * single convolutions found 3×3 convolutions with 24 input channels wrong at every batch ≥ 2 (relative error up to 0.4),
 * deterministically, and nothing else among 1–96 input channels. So {@code serve} uses the fast kernels for inference
 * only for architectures where this check passes; the others fall back to the im2col kernel.
 */
public final class KernelCheck {
    /** Largest allowed |library − im2col| relative to the output's largest magnitude (measured: ~1e-6). */
    public static final double TOLERANCE = 1e-4;
    /** One timestep: the failures found depend on the convolution's shape (input channels, batch), not on values. */
    private static final int[] TIMESTEPS = {500};

    private KernelCheck() {
    }

    /**
     * The largest |library − im2col| / max|im2col| of the raw network output for a batch of {@code batch} noise
     * images at timestep 500 (inference mode: no autograd graph).
     */
    public static double relativeError(DiffusionModel m, int batch, long seed) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be ≥ 1, got " + batch);
        }
        UNetConfig c = m.config().unet();
        boolean gradMode = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        double worst = 0;
        try (NDManager sub = m.manager().newSubManager()) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
            float[] noise = new float[batch * c.inChannels() * c.imageSize() * c.imageSize()];
            for (int i = 0; i < noise.length; i++) {
                noise[i] = (float) r.nextGaussian();
            }
            NDArray x = Tensors.floats(sub, noise, new Shape(batch, c.inChannels(), c.imageSize(), c.imageSize()));
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = i % (c.numClasses() + 1); // includes the null class of classifier-free guidance
            }
            NDArray l = Tensors.ints(sub, labels);
            for (int t : TIMESTEPS) {
                NDArray ts = sub.full(new Shape(batch), (float) t);
                float[] lib = Conv2dBlock.withKernel("library", () -> m.forward(x, ts, l, false).toFloatArray());
                float[] ref = Conv2dBlock.withKernel("gemm", () -> m.forward(x, ts, l, false).toFloatArray());
                double scale = 1e-12;
                double diff = 0;
                for (int i = 0; i < ref.length; i++) {
                    scale = Math.max(scale, Math.abs(ref[i]));
                    double d = Math.abs(lib[i] - ref[i]);
                    diff = Math.max(diff, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
                }
                worst = Math.max(worst, diff / scale);
            }
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(gradMode);
        }
        return worst;
    }

    /** Throws {@link IllegalStateException} (one line) when the kernels disagree for {@code name} at any batch size. */
    public static void require(String name, DiffusionModel m, int... batches) {
        for (int b : batches) {
            double e = relativeError(m, b, 1234 + b);
            if (!(e <= TOLERANCE)) {
                throw new IllegalStateException(String.format("the library convolution (oneDNN, ONEDNN_MAX_CPU_ISA=%s) disagrees with "
                        + "the im2col kernel on this machine (model %s, batch %d: relative error %.2g > %.0e)",
                        System.getenv("ONEDNN_MAX_CPU_ISA"), name, b, e, TOLERANCE));
            }
        }
    }
}
