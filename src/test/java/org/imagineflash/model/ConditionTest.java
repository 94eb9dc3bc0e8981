package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConditionTest {
    @Test
    void classLabelsHaveTheNullClassAsUnconditionalAndConcatenate() {
        try (NDManager m = NDManager.newBaseManager()) {
            ClassLabels c = ClassLabels.of(m, new int[] {0, 2, 1}, 3);
            assertEquals(3, c.batchSize());
            assertArrayEquals(new int[] {3, 3, 3}, c.unconditional().labels().toIntArray());
            ClassLabels both = c.concat(c.unconditional());
            assertArrayEquals(new int[] {0, 2, 1, 3, 3, 3}, both.labels().toIntArray());
            assertEquals(1, c.inputs().size());
            assertThrows(IllegalArgumentException.class, () -> new ClassLabels(m.zeros(new ai.djl.ndarray.types.Shape(2, 2)), 3));
        }
    }

    @Test
    void guidedDenoiserIsTheGuidanceFormulaOverTheConditionAndItsNull() {
        try (DiffusionModel model = DiffusionModel.create(TinyModels.teacher(), 5); NDManager sub = model.manager().newSubManager()) {
            NDArray x = sub.randomNormal(new ai.djl.ndarray.types.Shape(2, 1, 8, 8));
            Condition c = model.classLabels(sub, new int[] {1, 2});
            double w = 2.5;
            Prediction guided = model.denoiser(c, w).predict(x, 400);
            Prediction cond = model.predict(x, 400, c);
            Prediction uncond = model.predict(x, 400, c.unconditional());
            float[] want = uncond.eps().add(cond.eps().sub(uncond.eps()).mul(w)).toFloatArray();
            float[] got = guided.eps().toFloatArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-4, "ε̃ at " + i);
            }
            assertArrayEquals(cond.x0().toFloatArray(), model.denoiser(c, 1.0).predict(x, 400).x0().toFloatArray());
        }
    }

    @Test
    void perExampleTimestepsGiveEachRowItsOwnGuidedPrediction() {
        // the batched per-example form (LCM's and ADD's training draws) equals one shared-timestep call per row
        try (DiffusionModel model = DiffusionModel.create(TinyModels.teacher(), 5); NDManager sub = model.manager().newSubManager()) {
            NDArray x = sub.randomNormal(new ai.djl.ndarray.types.Shape(3, 1, 8, 8));
            int[] labels = {1, 2, 0};
            int[] t = {999, 400, 19};
            double w = 3;
            Prediction all = model.predict(x, t, model.classLabels(sub, labels), w);
            for (int i = 0; i < t.length; i++) {
                NDArray row = x.get(i + ":" + (i + 1));
                Prediction one = model.denoiser(model.classLabels(sub, new int[] {labels[i]}), w).predict(row, t[i]);
                float[] want = one.x0().toFloatArray();
                float[] got = all.x0().get(i + ":" + (i + 1)).toFloatArray();
                float[] wantEps = one.eps().toFloatArray();
                float[] gotEps = all.eps().get(i + ":" + (i + 1)).toFloatArray();
                for (int j = 0; j < want.length; j++) {
                    assertEquals(want[j], got[j], 1e-3 * Math.max(1, Math.abs(want[j])), "x̂_0 of row " + i + " at " + j);
                    assertEquals(wantEps[j], gotEps[j], 1e-4, "ε̂ of row " + i + " at " + j);
                }
            }
            Prediction unguided = model.predict(x, t, model.classLabels(sub, labels), 1.0);
            Prediction first = model.predict(x.get("0:1"), 999, model.classLabels(sub, new int[] {1}));
            assertArrayEquals(first.eps().toFloatArray(), unguided.eps().get("0:1").toFloatArray(), 1e-5f);
        }
    }
}
