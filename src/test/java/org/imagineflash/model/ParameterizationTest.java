package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class ParameterizationTest {
    @Test
    void everyParameterizationRecoversX0AndEpsFromItsTarget() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = m.randomNormal(new Shape(2, 1, 4, 4));
            NDArray eps = m.randomNormal(new Shape(2, 1, 4, 4));
            double a = 0.6;
            double s = 0.8;
            NDArray xt = x0.mul(a).add(eps.mul(s));
            for (Parameterization p : Parameterization.values()) {
                NDArray target = p.target(x0, eps, m.create((float) a), m.create((float) s));
                Prediction pr = p.toPrediction(target, xt, a, s);
                assertTrue(pr.x0().sub(x0).abs().max().getFloat() < 1e-5, p + " x0");
                assertTrue(pr.eps().sub(eps).abs().max().getFloat() < 1e-5, p + " eps");
            }
        }
    }

    @Test
    void x0GainIsTheDerivativeOfX0WithRespectToTheOutput() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = m.randomNormal(new Shape(1, 1, 2, 2));
            NDArray xt = m.randomNormal(new Shape(1, 1, 2, 2));
            double h = 1e-2;
            for (double[] as : new double[][] {{0.6, 0.8}, {0.0064, Math.sqrt(1 - 0.0064 * 0.0064)}, {0.99, Math.sqrt(1 - 0.99 * 0.99)}}) {
                for (Parameterization p : Parameterization.values()) {
                    NDArray a = m.create((float) as[0]);
                    NDArray s = m.create((float) as[1]);
                    double d = p.x0(out.add(h), xt, a, s).sub(p.x0(out, xt, a, s)).abs().mean().getFloat() / h;
                    double g = p.x0Gain(as[0], as[1]);
                    assertTrue(Math.abs(d - g) < 1e-3 * Math.max(1, g), p + " at α " + as[0] + ": finite difference " + d + " vs " + g);
                }
            }
        }
    }

    @Test
    void evenGradientKeepsX0AndGivesTheOutputAUnitGradientAtEveryNoiseLevel() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xt = m.randomNormal(new Shape(3, 1, 2, 2));
            // α, σ at t ≈ 999, 500 and 1 of the linear schedule, one per sample
            NDArray a = m.create(new float[] {0.0066f, 0.28f, 0.9999f}).reshape(-1, 1, 1, 1);
            NDArray s = a.square().neg().add(1).sqrt();
            for (Parameterization p : Parameterization.values()) {
                NDArray out = m.randomNormal(new Shape(3, 1, 2, 2));
                out.setRequiresGradient(true);
                try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                    NDArray x0 = p.x0(out, xt, a, s);
                    NDArray even = p.x0EvenGradient(x0, a, s);
                    assertTrue(even.sub(x0).abs().max().getFloat() < 1e-6, p + " value");
                    gc.backward(even.sum());
                }
                NDArray g = out.getGradient().abs();
                assertTrue(g.sub(1).abs().max().getFloat() < 1e-3, p + ": |∂/∂output| " + java.util.Arrays.toString(g.toFloatArray()));
            }
        }
    }
}
