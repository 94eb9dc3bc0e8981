package org.imagineflash.model;

import org.imagineflash.kernel.KernelCheck;
import org.imagineflash.kernel.Conv2dBlock;
import org.imagineflash.kernel.ConvKernel;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs in the vectorised execution (pom.xml: oneDNN up to AVX-512, kernels checked per shape). On the project's VM the
 * AVX-512 input gradient of the UNet's last convolution (1 output channel) was wrong, and with it every upstream
 * gradient (relative error ~1): after one training pass and {@link KernelCheck#verifyPending()}, the checked kernels
 * must give every parameter the im2col kernel's gradient.
 */
class VectorisedTrainingTest {
    @Test
    void checkedKernelsGiveTheIm2colGradients() throws Exception {
        assumeTrue(Conv2dBlock.isChecked(), "runs in the vectorised execution");
        try (DiffusionModel m = ModelStore.load(Path.of("models/teacher-fmnist"))) {
            for (Parameter p : m.parameters()) {
                p.getArray().setRequiresGradient(true);
            }
            List<float[]> first = gradients(m);   // shapes met for the first time: im2col, then queued
            KernelCheck.shared().verifyPending();
            List<float[]> checked = gradients(m); // now the kernels the check chose
            List<float[]> ref = Conv2dBlock.withKernel(ConvKernel.GEMM, () -> gradients(m));
            for (int i = 0; i < ref.size(); i++) {
                assertTrue(KernelCheck.relativeDifference(first.get(i), ref.get(i)) <= KernelCheck.GRADIENT_TOLERANCE, "first pass, parameter " + i);
                double e = KernelCheck.relativeDifference(checked.get(i), ref.get(i));
                assertTrue(e <= KernelCheck.GRADIENT_TOLERANCE, "parameter " + i + ": relative difference " + e);
            }
        }
    }

    /** Every parameter's gradient of mean(F(x, t, c)²) for a fixed batch of 8; gradients are zeroed afterwards. */
    private static List<float[]> gradients(DiffusionModel m) {
        int b = 8;
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[b * 28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] t = new float[b];
        int[] labels = new int[b];
        for (int i = 0; i < b; i++) {
            t[i] = r.nextInt(1000);
            labels[i] = r.nextInt(10);
        }
        List<float[]> out = new ArrayList<>();
        try (NDManager sub = m.manager().newSubManager()) {
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray y = m.forward(Tensors.floats(sub, x, new Shape(b, 1, 28, 28)), Tensors.floats(sub, t), m.classLabels(sub, labels), true);
                gc.backward(y.square().mean());
            }
            for (Parameter p : m.parameters()) {
                try (NDArray g = p.getArray().getGradient()) {
                    out.add(g.toFloatArray());
                }
                ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p.getArray());
            }
        }
        return out;
    }
}
