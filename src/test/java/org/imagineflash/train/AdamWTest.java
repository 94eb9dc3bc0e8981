package org.imagineflash.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class AdamWTest {
    static final float[] W0 = {0.5f, -1.0f, 2.0f, 0.0f};
    static final float[] C = {3.0f, -0.25f, 1.0f, -2.0f}; // loss = Σ c·w, so the gradient is c

    static Parameter parameter(NDManager m) {
        NDArray w = m.create(W0.clone());
        w.setRequiresGradient(true);
        return Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).optArray(w).build();
    }

    static void backward(NDManager m, Parameter p) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(p.getArray().mul(m.create(C)).sum());
        }
    }

    @Test
    void twoStepsFollowTheFormulaWithDecoupledWeightDecay() {
        float lr = 0.01f;
        float wd = 0.1f;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = parameter(m);
            AdamW adam = new AdamW(List.of(p), (float) b1, (float) b2, (float) eps, wd);
            double[] w = new double[W0.length];
            double[] mom = new double[W0.length];
            double[] var = new double[W0.length];
            for (int i = 0; i < w.length; i++) {
                w[i] = W0[i];
            }
            for (int step = 1; step <= 2; step++) {
                backward(m, p);
                adam.step(lr);
                // Loshchilov & Hutter: w ← w − lr·wd·w − lr·m̂/(√v̂ + ε), m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)
                for (int i = 0; i < w.length; i++) {
                    mom[i] = b1 * mom[i] + (1 - b1) * C[i];
                    var[i] = b2 * var[i] + (1 - b2) * C[i] * C[i];
                    double mHat = mom[i] / (1 - Math.pow(b1, step));
                    double vHat = var[i] / (1 - Math.pow(b2, step));
                    w[i] = w[i] - lr * wd * w[i] - lr * mHat / (Math.sqrt(vHat) + eps);
                }
                float[] expected = new float[w.length];
                for (int i = 0; i < w.length; i++) {
                    expected[i] = (float) w[i];
                }
                assertArrayEquals(expected, p.getArray().toFloatArray(), 1e-6f, "step " + step);
            }
        }
    }

    @Test
    void savedMomentsRestoreTheSameNextStep(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter a = parameter(m);
            AdamW first = AdamW.standard(List.of(a), 0.01f);
            backward(m, a);
            first.step(0.01f);
            first.save(dir.resolve("adam.bin"));
            Parameter b = parameter(m);
            b.getArray().set(a.getArray().toFloatArray());
            AdamW restored = AdamW.standard(List.of(b), 0.01f);
            restored.load(dir.resolve("adam.bin"));
            backward(m, a);
            first.step(0.01f);
            backward(m, b);
            restored.step(0.01f);
            assertArrayEquals(a.getArray().toFloatArray(), b.getArray().toFloatArray(), 0f);
        }
    }
}
