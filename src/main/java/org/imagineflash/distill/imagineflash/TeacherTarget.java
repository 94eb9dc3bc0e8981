package org.imagineflash.distill.imagineflash;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.DataRange;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Prediction;
import org.imagineflash.schedule.NoiseSchedule;

/**
 * f_Φ^k of {@code gradientSRL.png}: the (guided) teacher runs k deterministic DDIM steps from x at time τ, on the
 * times τ, τ·(k−1)/k, …, τ/k, and its x̂_0 at the last one, x̂_0(f_Φ^k(χ_τ), ε̂_Φ, τ/k), clipped to the data range,
 * is the target. Called outside any gradient collector: the target carries no gradient (stopgrad on the teacher).
 */
public final class TeacherTarget {
    private final NoiseSchedule schedule;
    private final int k;
    private final DataRange range;

    /** @param range the range of x_0, to which the target is clipped ([−1, 1] for images; latents are not clipped) */
    public TeacherTarget(NoiseSchedule schedule, int k, DataRange range) {
        if (k < 1 || k > 50) {
            throw new IllegalArgumentException("--teacher-steps must be in 1..50, got " + k);
        }
        this.schedule = schedule;
        this.k = k;
        this.range = java.util.Objects.requireNonNull(range, "range");
    }

    /** The teacher's times from τ: τ·(k−j)/k for j = 0..k−1 (descending, last = τ/k). */
    public double[] times(double tau) {
        double[] ts = new double[k];
        for (int j = 0; j < k; j++) {
            ts[j] = tau * (k - j) / k;
        }
        return ts;
    }

    /** x̂_0 of the teacher after k DDIM steps from x at τ, clipped to the data range. */
    public NDArray x0(Denoiser teacher, NDArray x, double tau) {
        double[] ts = times(tau);
        for (int j = 0; j < k; j++) {
            Prediction p = teacher.predict(x, ts[j]);
            if (j == k - 1) {
                return range.clip(p.x0());
            }
            double[] next = schedule.alphaSigmaAt(ts[j + 1]);
            x = p.x0().mul(next[0]).add(p.eps().mul(next[1])); // DDIM (η = 0)
        }
        throw new IllegalStateException("unreachable");
    }
}
