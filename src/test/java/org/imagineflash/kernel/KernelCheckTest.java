package org.imagineflash.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Tensors;
import org.imagineflash.model.UNetConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The kernel check in this JVM's test setting (oneDNN limited to SSE4.1); the AVX-512 setting is in Vectorised*Test. */
class KernelCheckTest {
    @Test
    void bothKernelsRunAndAgreeOnTheShippedStudent() throws Exception {
        try (DiffusionModel m = ModelStore.load(Path.of("models/if-3step"))) {
            for (int batch : new int[] {1, 8}) {
                double e = relativeError(m, batch, 5);
                // different summation orders: not bit-identical (so both kernels ran), but within float rounding
                assertTrue(e > 0 && e <= KernelCheck.TOLERANCE, "batch " + batch + ": " + e);
            }
            assertThrows(IllegalArgumentException.class, () -> relativeError(m, 0, 5));
        }
    }

    @Test
    void sse41KernelsAreChosenForwardAndBackward() {
        assumeTrue("SSE41".equals(System.getenv("ONEDNN_MAX_CPU_ISA")), "runs in the default execution");
        // SSE4.1 kernels are right: the check keeps the library kernel, also for the 24-input-channel and
        // 1-output-channel convolutions that failed with AVX-512 on the project's VM
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            for (int[] c : new int[][] {{24, 8}, {16, 1}}) {
                ai.djl.ndarray.types.Shape in = new ai.djl.ndarray.types.Shape(4, c[0], 14, 14);
                Conv2dBlock conv = new Conv2dBlock(c[1], 3, 1, ConvKernel.LIBRARY);
                conv.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, in);
                conv.getParameters().forEach(p -> p.getValue().getArray().setRequiresGradient(true));
                assertEquals(ConvKernel.LIBRARY, KernelCheck.choose(conv, in, false));
                assertEquals(ConvKernel.LIBRARY, KernelCheck.choose(conv, in, true));
                assertTrue(KernelCheck.agrees(conv, in, true, ConvKernel.PADDED), "the padded form equals im2col too");
                for (var p : conv.getParameters()) {
                    float[] g = p.getValue().getArray().getGradient().toFloatArray();
                    for (float v : g) {
                        assertEquals(0f, v, "the check leaves parameter gradients at zero");
                    }
                }
            }
        }
    }

    @Test
    void sse41IsNotTheCheckedSetting() {
        assumeTrue("SSE41".equals(System.getenv("ONEDNN_MAX_CPU_ISA")), "runs in the default execution");
        assertFalse(Conv2dBlock.isChecked());
        assertThrows(IllegalArgumentException.class, () -> Conv2dBlock.withKernel(ConvKernel.CHECKED, () -> 1));
        assertThrows(IllegalArgumentException.class, () -> ConvKernel.parse("fast"));
    }

    /**
     * The largest |library − im2col| / max|im2col| of the raw network output for a batch of {@code batch} noise
     * images at timestep 500 (inference mode: no autograd graph).
     */
    static double relativeError(DiffusionModel m, int batch, long seed) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be ≥ 1, got " + batch);
        }
        UNetConfig c = m.config().unet();
        boolean gradMode = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        double worst;
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
            org.imagineflash.model.Condition l = m.classLabels(sub, labels);
            NDArray ts = sub.full(new Shape(batch), 500f);
            float[] lib = Conv2dBlock.withKernel(ConvKernel.LIBRARY, () -> m.forward(x, ts, l, false).toFloatArray());
            float[] ref = Conv2dBlock.withKernel(ConvKernel.GEMM, () -> m.forward(x, ts, l, false).toFloatArray());
            worst = KernelCheck.relativeDifference(lib, ref);
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(gradMode);
        }
        return worst;
    }
}
