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
}
