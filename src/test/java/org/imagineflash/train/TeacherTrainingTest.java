package org.imagineflash.train;

import ai.djl.nn.Parameter;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TeacherTrainingTest {
    /** Constant-LR options for the tiny teacher: no warm-up, EMA 0.9. */
    static TrainOptions constant(long steps, int batch, double lr) {
        return TrainOptions.builder(steps).batchSize(batch).lr(lr).lrSchedule("constant").warmup(0).emaDecay(0.9).build();
    }

    @TempDir
    Path dir;

    @Test
    void checkpointRestoresWeightsEmaAndOptimizerExactly() throws IOException {
        try (DiffusionModel m = DiffusionModel.create(TinyModels.teacher(), 1);
             DiffusionModel e = DiffusionModel.create(TinyModels.teacher(), 2);
             DiffusionModel m2 = DiffusionModel.create(TinyModels.teacher(), 3);
             DiffusionModel e2 = DiffusionModel.create(TinyModels.teacher(), 4)) {
            AdamW opt = AdamW.standard(m.parameters(), 0f);
            AdamW opt2 = AdamW.standard(m2.parameters(), 0f);
            Checkpoint.save(dir.resolve("ck"), m, e, opt, Map.of("step", 5, "seed", 1, "wallSeconds", 1.5), null);
            Map<String, Object> st = Checkpoint.load(dir.resolve("ck"), m2, e2, opt2, null);
            assertEquals(5, ((Number) st.get("step")).intValue());
            assertArrayEquals(weights(m), weights(m2));
            assertArrayEquals(weights(e), weights(e2));
        }
    }

    @Test
    void resumeWithoutCheckpointIsAClearError() {
        IOException ex = assertThrows(IOException.class, () -> new TeacherTraining(TinyModels.teacher(),
                constant(2, 4, 1e-3)).run(TinyModels.shapes(2), dir.resolve("none"), true, null));
        assertEquals(true, ex.getMessage().contains("no checkpoint"));
    }

    @Test
    void optionsAreValidatedWithTheFlagName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> constant(0, 4, 1e-3));
        assertEquals(true, e.getMessage().contains("--steps"));
        assertThrows(IllegalArgumentException.class, () -> TrainOptions.builder(5).lrSchedule("linear").build());
    }

    static float[] weights(DiffusionModel m) {
        float[] all = new float[(int) m.parameterCount()];
        int off = 0;
        for (Parameter p : m.parameters()) {
            float[] f = p.getArray().toFloatArray();
            System.arraycopy(f, 0, all, off, f.length);
            off += f.length;
        }
        return all;
    }

    @Test
    void tinyTeacherLossFallsAndIsFinite() throws IOException {
        TeacherTraining.Result r = new TeacherTraining(TinyModels.teacher(),
                TrainOptions.builder(80).batchSize(16).lr(2e-3).lrSchedule("constant").warmup(5).emaDecay(0.99).seed(3).build())
                .run(TinyModels.shapes(30), null, false, null);
        r.ema().close();
        double first = r.losses().subList(0, 10).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        double last = r.losses().subList(70, 80).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        assertTrue(r.losses().stream().allMatch(l -> Float.isFinite(l)), "non-finite loss");
        assertTrue(last < 0.7 * first, "loss " + first + " → " + last);
    }

    @Test
    void resumeRefusesADifferentRunAndAShorterOne() throws IOException {
        // before: --resume checked the seed only; a changed batch size or LR was accepted silently and a shorter
        // --steps wrote a model with a NaN loss in its provenance
        Path ck = dir.resolve("ck-run");
        new TeacherTraining(TinyModels.teacher(), constant(4, 4, 1e-3))
                .run(TinyModels.shapes(2), ck, false, null).ema().close();
        String lr = assertThrows(IllegalArgumentException.class, () -> new TeacherTraining(TinyModels.teacher(),
                constant(6, 4, 2e-3)).run(TinyModels.shapes(2), ck, true, null)).getMessage();
        assertTrue(lr.contains("--lr"), lr);
        String batch = assertThrows(IllegalArgumentException.class, () -> new TeacherTraining(TinyModels.teacher(),
                constant(6, 8, 1e-3)).run(TinyModels.shapes(2), ck, true, null)).getMessage();
        assertTrue(batch.contains("--batch-size"), batch);
        String schedule = assertThrows(IllegalArgumentException.class, () -> new TeacherTraining(TinyModels.teacher(),
                TrainOptions.builder(6).batchSize(4).lr(1e-3).lrSchedule("cosine").warmup(0).emaDecay(0.9).build()).run(TinyModels.shapes(2), ck, true, null)).getMessage();
        assertTrue(schedule.contains("--lr-schedule"), schedule);
        String shorter = assertThrows(IllegalArgumentException.class, () -> new TeacherTraining(TinyModels.teacher(),
                constant(2, 4, 1e-3)).run(TinyModels.shapes(2), ck, true, null)).getMessage();
        assertTrue(shorter.contains("at step 4"), shorter);
        // a longer run continues it
        TeacherTraining.Result r = new TeacherTraining(TinyModels.teacher(), constant(6, 4, 1e-3))
                .run(TinyModels.shapes(2), ck, true, null);
        assertEquals(2, r.losses().size());
        r.ema().close();
    }
}
