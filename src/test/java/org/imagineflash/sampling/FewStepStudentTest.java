package org.imagineflash.sampling;

import org.imagineflash.model.DataRange;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Prediction;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.schedule.BetaSchedule;
import org.imagineflash.schedule.NoiseSchedule;
import org.imagineflash.schedule.ScheduleConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FewStepStudentTest {
    private static final NoiseSchedule SCHEDULE = new NoiseSchedule(new ScheduleConfig(1000, 1e-4, 0.02, BetaSchedule.LINEAR, false));

    /** A denoiser whose x̂_0 is 3 everywhere (outside the data range) and whose ε̂ is x itself. */
    private static final Denoiser OUT_OF_RANGE = (x, t) -> new Prediction(x.zerosLike().add(3f), x);

    @Test
    void clippedStepReNoisesTheClippedX0AndUnclippedStepTheRawOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(1, 1, 2, 2)).mul(0.5f);
            int[] ts = {999, 499};
            double a = SCHEDULE.alpha(499);
            double s = SCHEDULE.sigma(499);
            // x_499 = α·x̂_0 + σ·ε̂ (DDIM, η = 0, no noise correction)
            float clipped = new FewStepStudent(SCHEDULE, ts, false).run(OUT_OF_RANGE, x, 0, 1).getFloat(0, 0, 0, 0);
            float raw = new FewStepStudent(SCHEDULE, ts, false, false, DataRange.PIXELS).run(OUT_OF_RANGE, x, 0, 1).getFloat(0, 0, 0, 0);
            assertEquals(a * 1 + s * 0.5, clipped, 1e-6);
            assertEquals(a * 3 + s * 0.5, raw, 1e-6);
            // the last step's x̂_0 is the image: clipped either way
            assertEquals(1f, new FewStepStudent(SCHEDULE, ts, false, false, DataRange.PIXELS).sample(OUT_OF_RANGE, x, null).getFloat(0, 0, 0, 0), 1e-6);
        }
    }

    @Test
    void aLatentStudentNeverClipsItsX0() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(1, 1, 2, 2)).mul(0.5f);
            int[] ts = {999, 499};
            FewStepStudent latent = new FewStepStudent(SCHEDULE, ts, false, true, DataRange.LATENTS);
            // latents have unit variance and no bound: x̂_0 = 3 is re-noised and returned as it is
            assertEquals(SCHEDULE.alpha(499) * 3 + SCHEDULE.sigma(499) * 0.5, latent.run(OUT_OF_RANGE, x, 0, 1).getFloat(0, 0, 0, 0), 1e-6);
            assertEquals(3f, latent.sample(OUT_OF_RANGE, x, null).getFloat(0, 0, 0, 0), 1e-6);
        }
    }

    @Test
    void unknownStudentSamplerIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> StudentConfig.Sampling.parse("euler"));
        // config.json stores the lowercase names; files written with the older ids read the same
        assertEquals(StudentConfig.Sampling.UNCLIPPED, StudentConfig.Sampling.parse("ddim"));
        assertEquals(StudentConfig.Sampling.CLIPPED, StudentConfig.Sampling.parse("student"));
        assertEquals(StudentConfig.Sampling.CLIPPED, new StudentConfig("step", new int[] {999, 499}, false, null).sampler());
        StudentConfig c = new StudentConfig("guidance", new int[] {999, 499}, false, StudentConfig.Sampling.UNCLIPPED);
        try {
            String json = org.imagineflash.model.ModelStore.JSON.writeValueAsString(c);
            assertTrue(json.contains("\"sampler\" : \"unclipped\""), json);
            assertEquals(c, org.imagineflash.model.ModelStore.JSON.readValue(json, StudentConfig.class));
            assertEquals(c, org.imagineflash.model.ModelStore.JSON.readValue(json.replace("unclipped", "ddim"), StudentConfig.class));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anLcmStudentKeepsItsSkippingSchedule() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = org.imagineflash.model.ModelStore.JSON;
        StudentConfig n25 = new StudentConfig("lcm", new int[] {999, 759, 519, 279}, false, StudentConfig.Sampling.LCM, 25);
        String text = json.writeValueAsString(n25);
        assertEquals(n25, json.readValue(text, StudentConfig.class));
        assertEquals(25, json.readValue(text, StudentConfig.class).lcmOriginalSteps());
        // an LCM config written before the field samples on LCM's default schedule; other students do not record it
        StudentConfig legacy = json.readValue(text.replaceAll(",\\s*\"lcmOriginalSteps\"\\s*:\\s*25", ""), StudentConfig.class);
        assertEquals(50, legacy.lcmOriginalSteps());
        String step = json.writeValueAsString(new StudentConfig("step", new int[] {999, 499}, false, StudentConfig.Sampling.CLIPPED, 25));
        assertTrue(!step.contains("lcmOriginalSteps"), step);
        assertThrows(IllegalArgumentException.class,
                () -> new StudentConfig("lcm", new int[] {999, 759, 519, 279}, false, StudentConfig.Sampling.LCM, 3));
    }
}
