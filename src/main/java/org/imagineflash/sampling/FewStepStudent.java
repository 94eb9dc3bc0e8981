package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.DataRange;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Prediction;
import org.imagineflash.schedule.NoiseSchedule;

import java.util.Arrays;

/**
 * The few-step sampler of a distilled student (Imagine Flash): deterministic DDIM-style transitions over the
 * student's own timesteps t_0 &gt; t_1 &gt; … &gt; t_{N−1}, returning x̂_0 at the last one.
 *
 * <pre>
 *   f_Θ(x_t) = α_next·x̂_0(x_t, ε̂_Θ, t) + σ_next·ε̂_Θ(x_t, t)        if t &lt; T
 *   f_Θ(x_T) = α_next·x̂_0(x_T, ε̂_Θ, T) + σ_next·ε                  if t = T (noise correction: ε = x_T)
 * </pre>
 * ({@code noise_correction.png}). With fewer steps than trained, use {@link #prefix}: the student's timesteps are
 * re-selected evenly from its list (always keeping the first).
 *
 * <p>x̂_0 is clipped to the data range ({@link DataRange}: [−1, 1] for images, no bound for latents) before re-noising
 * for students trained through this clipped rollout (Imagine Flash, ADD). A step-distillation student is trained so
 * that the <em>unclipped</em> DDIM step lands on its teacher's two steps (its x̂_0 at high noise is not an image and
 * often leaves [−1, 1]), so it samples with {@code clipX0 = false}.
 */
public final class FewStepStudent implements Sampler {
    private final NoiseSchedule schedule;
    private final int[] ts;
    private final boolean noiseCorrection;
    private final boolean clipX0;
    private final DataRange range;

    /** A pixel-space student that clips x̂_0 before re-noising. */
    public FewStepStudent(NoiseSchedule schedule, int[] timesteps, boolean noiseCorrection) {
        this(schedule, timesteps, noiseCorrection, true, DataRange.PIXELS);
    }

    /**
     * @param clipX0 clip x̂_0 to the data range before re-noising it to the next timestep (the last x̂_0 is always
     *               clipped to it)
     * @param range  the range of x_0 ([−1, 1] for images; latents are never clipped)
     */
    public FewStepStudent(NoiseSchedule schedule, int[] timesteps, boolean noiseCorrection, boolean clipX0, DataRange range) {
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] < 0 || timesteps[i] >= schedule.numTrainTimesteps()) {
                throw new IllegalArgumentException("student timestep " + timesteps[i] + " is outside 0.." + (schedule.numTrainTimesteps() - 1));
            }
            if (i > 0 && timesteps[i] >= timesteps[i - 1]) {
                throw new IllegalArgumentException("student timesteps must be strictly descending, got " + Arrays.toString(timesteps));
            }
        }
        this.schedule = schedule;
        this.ts = timesteps.clone();
        this.noiseCorrection = noiseCorrection;
        this.clipX0 = clipX0;
        this.range = java.util.Objects.requireNonNull(range, "range");
    }

    /** n of the trained timesteps, spread evenly and starting at the first (e.g. [999, 666, 333] → 2: [999, 499]). */
    public static int[] prefix(int[] trained, int n, int numTrain) {
        if (n < 1 || n > trained.length) {
            throw new IllegalArgumentException("--steps must be in 1.." + trained.length + " for this student, got " + n);
        }
        if (n == trained.length) {
            return trained.clone();
        }
        return org.imagineflash.schedule.TimestepSpacing.TRAILING.timesteps(numTrain, n, 0);
    }

    @Override
    public NDArray sample(Denoiser model, NDArray xT, NoiseSource noise) {
        return run(model, xT, 0, ts.length);
    }

    /**
     * Runs steps [from, to) starting from x at timestep ts[from]; returns x̂_0 when {@code to} is the last step,
     * else x at ts[to]. Used by backward distillation to reach the student's input x^Θ_{T→t}.
     */
    public NDArray run(Denoiser model, NDArray x, int from, int to) {
        NDArray xT = x;
        for (int i = from; i < to; i++) {
            Prediction p = model.predict(x, ts[i]);
            if (i == ts.length - 1) {
                return range.clip(p.x0());
            }
            x = step(p, x, xT, i);
        }
        return x;
    }

    /** One transition from ts[i] to ts[i+1] given the prediction at ts[i] (noise correction at t = T). */
    public NDArray step(Prediction p, NDArray x, NDArray xT, int i) {
        int next = ts[i + 1];
        NDArray eps = noiseCorrection && i == 0 && ts[0] == schedule.numTrainTimesteps() - 1 ? xT : p.eps();
        // x̂_0 is clipped to the data range before re-noising (as DDPM/DDIM's clip_sample) unless disabled
        NDArray x0 = clipX0 ? range.clip(p.x0()) : p.x0();
        return x0.mul(schedule.alpha(next)).add(eps.mul(schedule.sigma(next)));
    }

    @Override
    public int nfe() {
        return ts.length;
    }

    @Override
    public double[] timesteps() {
        return Arrays.stream(ts).asDoubleStream().toArray();
    }
}
