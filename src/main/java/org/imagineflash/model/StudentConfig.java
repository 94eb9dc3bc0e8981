package org.imagineflash.model;

import java.util.Arrays;
import java.util.List;

/**
 * How a distilled student samples: its own descending timesteps, and whether the first step uses Imagine Flash's
 * noise correction (the true x_T in place of ε̂ at t = T).
 *
 * @param method the distillation method that produced it (imagine-flash, step, lcm, add)
 * @param timesteps strictly descending training-schedule timesteps, e.g. [999, 666, 333]
 * @param noiseCorrection use ε = x_T at t = T (Imagine Flash, noise correction equation)
 * @param sampler the sampler family the student was trained for ("student" = DDIM-style deterministic steps with
 *                x̂_0 clipped before re-noising, "ddim" = the same steps unclipped (step distillation), "lcm" =
 *                consistency multistep)
 */
public record StudentConfig(String method, int[] timesteps, boolean noiseCorrection, String sampler) {
    /** The sampler of step-distillation students: DDIM over the student's timesteps without clipping x̂_0. */
    public static final String UNCLIPPED_DDIM = "ddim";

    public StudentConfig {
        if (timesteps == null || timesteps.length == 0) {
            throw new IllegalArgumentException("student timesteps must list at least one step");
        }
        for (int i = 1; i < timesteps.length; i++) {
            if (timesteps[i] >= timesteps[i - 1]) {
                throw new IllegalArgumentException("student timesteps must be strictly descending, got " + Arrays.toString(timesteps));
            }
        }
        if (timesteps[timesteps.length - 1] < 0) {
            throw new IllegalArgumentException("student timesteps must be ≥ 0, got " + Arrays.toString(timesteps));
        }
        if (sampler == null) {
            sampler = "student";
        }
        if (!List.of("student", UNCLIPPED_DDIM, "lcm").contains(sampler)) {
            throw new IllegalArgumentException("unknown student sampler '" + sampler + "' (known: student, ddim, lcm)");
        }
    }

    /** Whether the student's DDIM-style steps clip x̂_0 to [−1, 1] before re-noising (all but {@link #UNCLIPPED_DDIM}). */
    public boolean clipsX0() {
        return !sampler.equals(UNCLIPPED_DDIM);
    }

    public int steps() {
        return timesteps.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StudentConfig s && method.equals(s.method) && Arrays.equals(timesteps, s.timesteps)
                && noiseCorrection == s.noiseCorrection && sampler.equals(s.sampler);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(timesteps) * 31 + method.hashCode();
    }

    @Override
    public String toString() {
        return "StudentConfig[" + method + ", timesteps=" + Arrays.toString(timesteps) + ", noiseCorrection=" + noiseCorrection + "]";
    }
}
