package org.imagineflash.schedule;

import java.util.Locale;

/**
 * How inference timesteps are picked from the T training timesteps (Lin et al. 2023, Table 2), as in diffusers.
 */
public enum TimestepSpacing {
    /** round(linspace(0, T−1, N)) reversed. */
    LINSPACE,
    /** (0, r, 2r, …)·reversed + steps_offset with r = T // N. */
    LEADING,
    /** round(arange(T, 0, −T/N)) − 1: always starts at T−1. */
    TRAILING;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TimestepSpacing parse(String s) {
        for (TimestepSpacing v : values()) {
            if (v.id().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown timestep spacing '" + s + "' (known: linspace, leading, trailing)");
    }

    /**
     * Integer timesteps, descending, as DDIM/DDPM/LCM-style schedulers use them.
     *
     * @param numTrain T
     * @param steps N ≥ 1
     * @param stepsOffset added for {@link #LEADING} only
     */
    public int[] timesteps(int numTrain, int steps, int stepsOffset) {
        if (steps < 1 || steps > numTrain) {
            throw new IllegalArgumentException("steps must be in 1.." + numTrain + ", got " + steps);
        }
        int[] t = new int[steps];
        switch (this) {
            case LINSPACE -> {
                for (int i = 0; i < steps; i++) {
                    double v = steps == 1 ? 0 : (double) i * (numTrain - 1) / (steps - 1);
                    t[steps - 1 - i] = (int) Math.rint(v);
                }
            }
            case LEADING -> {
                int ratio = numTrain / steps;
                for (int i = 0; i < steps; i++) {
                    t[steps - 1 - i] = i * ratio + stepsOffset;
                }
            }
            case TRAILING -> {
                double ratio = (double) numTrain / steps;
                for (int i = 0; i < steps; i++) {
                    t[i] = (int) Math.rint(numTrain - i * ratio) - 1;
                }
            }
            default -> throw new IllegalStateException();
        }
        return t;
    }

    /**
     * Fractional timesteps as EulerDiscreteScheduler uses them (linspace is not rounded there).
     */
    public double[] continuousTimesteps(int numTrain, int steps, int stepsOffset) {
        if (this != LINSPACE) {
            int[] it = timesteps(numTrain, steps, stepsOffset);
            double[] d = new double[steps];
            for (int i = 0; i < steps; i++) {
                d[i] = it[i];
            }
            return d;
        }
        double[] d = new double[steps];
        for (int i = 0; i < steps; i++) {
            float v = steps == 1 ? 0f : (float) ((double) i * (numTrain - 1) / (steps - 1));
            d[steps - 1 - i] = v;
        }
        return d;
    }
}
