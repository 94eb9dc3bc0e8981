package org.imagineflash.model;

import java.util.Arrays;

/**
 * How a distilled student samples: its own descending timesteps, and whether the first step uses Imagine Flash's
 * noise correction (the true x_T in place of ε̂ at t = T).
 *
 * @param method the distillation method that produced it (imagine-flash, step, lcm, add)
 * @param timesteps strictly descending training-schedule timesteps, e.g. [999, 666, 333]
 * @param noiseCorrection use ε = x_T at t = T (Imagine Flash, noise correction equation)
 * @param sampler how the student samples
 * @param lcmOriginalSteps LCM: N of the skipping schedule it was trained on and samples with (null: not LCM; an LCM
 *                         config written without it has the LCM default 50)
 */
public record StudentConfig(String method, int[] timesteps, boolean noiseCorrection, Sampling sampler,
                            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                            Integer lcmOriginalSteps) {
    /** LCM's default skipping base N (diffusers' original_inference_steps): k = T/50 = 20 on 1000 steps. */
    public static final int LCM_ORIGINAL_STEPS = 50;

    /**
     * How a student steps through its timesteps; JSON holds the lowercase name. Configs written before these names
     * hold the sampler each stepping resembles ({@code LEGACY_IDS}), and stay readable.
     */
    public enum Sampling {
        /** DDIM-style deterministic steps, x̂_0 clipped to the data range before re-noising (Imagine Flash, ADD, step). */
        CLIPPED,
        /** The same steps without clipping (the guidance-distilled networks). */
        UNCLIPPED,
        /** Consistency multistep sampling (LCM). */
        LCM;

        private static final java.util.Map<String, Sampling> LEGACY_IDS = java.util.Map.of("student", CLIPPED, "ddim", UNCLIPPED);

        @com.fasterxml.jackson.annotation.JsonValue
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        @com.fasterxml.jackson.annotation.JsonCreator
        public static Sampling parse(String s) {
            if (s == null) {
                return CLIPPED;
            }
            for (Sampling v : values()) {
                if (v.id().equals(s)) {
                    return v;
                }
            }
            Sampling legacy = LEGACY_IDS.get(s);
            if (legacy != null) {
                return legacy;
            }
            throw new IllegalArgumentException("unknown student sampling '" + s + "' (known: clipped, unclipped, lcm)");
        }
    }

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
            sampler = Sampling.CLIPPED;
        }
        if (sampler != Sampling.LCM) {
            lcmOriginalSteps = null;
        } else if (lcmOriginalSteps == null) {
            lcmOriginalSteps = LCM_ORIGINAL_STEPS;
        } else if (lcmOriginalSteps < timesteps.length) {
            throw new IllegalArgumentException("an LCM student's skipping schedule needs at least its " + timesteps.length
                    + " steps, got " + lcmOriginalSteps);
        }
    }

    /** A student of a method other than LCM, or an LCM student on the default skipping schedule. */
    public StudentConfig(String method, int[] timesteps, boolean noiseCorrection, Sampling sampler) {
        this(method, timesteps, noiseCorrection, sampler, null);
    }

    /** Whether the student's DDIM-style steps clip x̂_0 to the data range ({@link DataRange}) before re-noising. */
    public boolean clipsX0() {
        return sampler != Sampling.UNCLIPPED;
    }

    public int steps() {
        return timesteps.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StudentConfig s && method.equals(s.method) && Arrays.equals(timesteps, s.timesteps)
                && noiseCorrection == s.noiseCorrection && sampler == s.sampler && java.util.Objects.equals(lcmOriginalSteps, s.lcmOriginalSteps);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(timesteps) * 31 + method.hashCode();
    }

    @Override
    public String toString() {
        return "StudentConfig[" + method + ", timesteps=" + Arrays.toString(timesteps) + ", noiseCorrection=" + noiseCorrection
                + (lcmOriginalSteps != null ? ", lcmOriginalSteps=" + lcmOriginalSteps : "") + "]";
    }
}
