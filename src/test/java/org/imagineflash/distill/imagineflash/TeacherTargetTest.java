package org.imagineflash.distill.imagineflash;

import org.imagineflash.model.DataRange;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Prediction;
import org.imagineflash.schedule.NoiseSchedule;
import org.imagineflash.schedule.ScheduleConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class TeacherTargetTest {
    static final NoiseSchedule SCHEDULE = new NoiseSchedule(ScheduleConfig.ddpmLinear());

    /** An analytic denoiser: ε̂ = 0.5·x at every t, x̂_0 from it. */
    static Denoiser analytic() {
        return (x, t) -> {
            double[] as = SCHEDULE.alphaSigmaAt(t);
            NDArray eps = x.mul(0.5);
            return new Prediction(x.sub(eps.mul(as[1])).div(as[0]), eps);
        };
    }

    @Test
    void oneStepIsTheTeachersClippedX0() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {-1.5f, -0.2f, 0.1f, 0.9f, 2.0f});
            float[] got = new TeacherTarget(SCHEDULE, 1, DataRange.PIXELS).x0(analytic(), x, 400).toFloatArray();
            float[] want = analytic().predict(x, 400).x0().clip(-1, 1).toFloatArray();
            assertArrayEquals(want, got, 0f);
        }
    }

    @Test
    void aLatentTargetIsNotClipped() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {-1.5f, -0.2f, 0.1f, 0.9f, 2.0f});
            float[] want = analytic().predict(x, 400).x0().toFloatArray();
            assertArrayEquals(want, new TeacherTarget(SCHEDULE, 1, DataRange.LATENTS).x0(analytic(), x, 400).toFloatArray(), 0f);
        }
    }

    @Test
    void twoStepsTakeOneDdimStepToHalfTheTime() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {-0.7f, 0.3f, 0.05f});
            Prediction p = analytic().predict(x, 600);
            double[] mid = SCHEDULE.alphaSigmaAt(300);
            NDArray x300 = p.x0().mul(mid[0]).add(p.eps().mul(mid[1]));
            float[] want = analytic().predict(x300, 300).x0().clip(-1, 1).toFloatArray();
            assertArrayEquals(want, new TeacherTarget(SCHEDULE, 2, DataRange.PIXELS).x0(analytic(), x, 600).toFloatArray(), 1e-6f);
            assertArrayEquals(new double[] {600, 300}, new TeacherTarget(SCHEDULE, 2, DataRange.PIXELS).times(600), 0);
        }
    }
}
