package org.imagineflash.schedule;

import java.util.Locale;

/**
 * The β_t schedules of diffusers ({@code linear}, {@code scaled_linear}, {@code squaredcos_cap_v2}).
 *
 * <p>Computed in float32 like diffusers (torch.linspace in float32), so that ᾱ_t agrees bit-for-bit as far
 * as float arithmetic allows.
 */
public enum BetaSchedule {
    /** β_t = linspace(β_start, β_end, T) (Ho et al. 2020). */
    LINEAR,
    /** β_t = linspace(√β_start, √β_end, T)² (Stable Diffusion). */
    SCALED_LINEAR,
    /** Cosine ᾱ(t) = cos²((t/T + 0.008)/1.008 · π/2) with β capped at 0.999 (Nichol &amp; Dhariwal 2021). */
    SQUAREDCOS_CAP_V2;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static BetaSchedule parse(String s) {
        for (BetaSchedule b : values()) {
            if (b.id().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown beta schedule '" + s + "' (known: linear, scaled_linear, squaredcos_cap_v2)");
    }

    /** β_0..β_{T-1}. */
    public float[] betas(int numTrainTimesteps, double betaStart, double betaEnd) {
        float[] b = new float[numTrainTimesteps];
        switch (this) {
            case LINEAR -> linspace(b, (float) betaStart, (float) betaEnd);
            case SCALED_LINEAR -> {
                linspace(b, (float) Math.sqrt(betaStart), (float) Math.sqrt(betaEnd));
                for (int i = 0; i < b.length; i++) {
                    b[i] = b[i] * b[i];
                }
            }
            case SQUAREDCOS_CAP_V2 -> {
                for (int i = 0; i < b.length; i++) {
                    double t1 = (double) i / numTrainTimesteps;
                    double t2 = (double) (i + 1) / numTrainTimesteps;
                    b[i] = (float) Math.min(1 - cosAlphaBar(t2) / cosAlphaBar(t1), 0.999);
                }
            }
            default -> throw new IllegalStateException();
        }
        return b;
    }

    private static double cosAlphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /** torch.linspace in float32: start + i·step for the first half, end − (n−1−i)·step for the second. */
    private static void linspace(float[] out, float start, float end) {
        int n = out.length;
        if (n == 1) {
            out[0] = start;
            return;
        }
        float step = (end - start) / (n - 1);
        int half = n / 2;
        for (int i = 0; i < n; i++) {
            out[i] = i < half ? start + step * i : end - step * (n - 1 - i);
        }
    }
}
