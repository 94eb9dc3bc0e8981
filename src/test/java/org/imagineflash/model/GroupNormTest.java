package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GroupNormTest {
    @Test
    void normalisesEachGroupOfEachSample() {
        try (NDManager m = NDManager.newBaseManager()) {
            GroupNorm g = new GroupNorm(4, 16);
            g.initialize(m, DataType.FLOAT32, new Shape(2, 16, 5, 5));
            NDArray x = m.randomNormal(new Shape(2, 16, 5, 5)).mul(3).add(2);
            NDArray y = g.forward(new ParameterStore(m, false), new NDList(x), false).head();
            for (int b = 0; b < 2; b++) {
                for (int grp = 0; grp < 4; grp++) {
                    NDArray part = y.get(b + "," + (grp * 4) + ":" + (grp * 4 + 4));
                    assertEquals(0.0, part.mean().getFloat(), 1e-4);
                    assertEquals(1.0, part.square().mean().getFloat(), 1e-3);
                }
            }
        }
    }
}
