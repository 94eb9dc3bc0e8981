package org.imagineflash.distill;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * γ of the shifted reconstruction loss ({@code SRL.png}): the teacher time t_Φ = γ(t) at which the student's x̂_0 is
 * re-noised before the teacher denoises it. On normalised time u = t/(T−1):
 * <ul>
 *   <li>{@link Identity}: γ(t) = t;</li>
 *   <li>{@link Affine}: u' = a·u + b (clamped to [0, 1]);</li>
 *   <li>{@link Snr}: u' = s·u / (1 + (s − 1)·u) — s &lt; 1 moves the teacher towards less noise (details), s &gt; 1
 *       towards more noise (structure); both ends stay fixed.</li>
 * </ul>
 * With {@code jitter}, t_Φ is moved by −1, 0 or +1 training step at random (the faded χ_{t_Φ±1} in the figure).
 */
public sealed interface ShiftFunction {
    /** γ on normalised time u ∈ [0, 1] (before clamping). */
    double map(double u);

    /** Whether t_Φ is moved by one step at random. */
    boolean jitter();

    /** γ(t) = t. */
    record Identity(boolean jitter) implements ShiftFunction {
        @Override
        public double map(double u) {
            return u;
        }

        @Override
        public String toString() {
            return "identity" + suffix(jitter);
        }
    }

    /** u' = a·u + b. */
    record Affine(double a, double b, boolean jitter) implements ShiftFunction {
        public Affine {
            if (!(a > 0 && a <= 2) || !(b >= -1 && b <= 1)) {
                throw new IllegalArgumentException("--shift affine:a,b needs 0 < a ≤ 2 and −1 ≤ b ≤ 1, got " + a + "," + b);
            }
        }

        @Override
        public double map(double u) {
            return a * u + b;
        }

        @Override
        public String toString() {
            return "affine:" + a + "," + b + suffix(jitter);
        }
    }

    /** u' = s·u / (1 + (s − 1)·u). */
    record Snr(double s, boolean jitter) implements ShiftFunction {
        public Snr {
            if (!(s >= 0.05 && s <= 20)) {
                throw new IllegalArgumentException("--shift snr:s needs 0.05 ≤ s ≤ 20, got " + s);
            }
        }

        @Override
        public double map(double u) {
            return s * u / (1 + (s - 1) * u);
        }

        @Override
        public String toString() {
            return "snr:" + s + suffix(jitter);
        }
    }

    private static String suffix(boolean jitter) {
        return jitter ? " (±1 jitter)" : "";
    }

    /** Parses "identity", "affine:0.8,0", "snr:0.5". */
    static ShiftFunction parse(String spec, boolean jitter) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        try {
            return switch (kind) {
                case "identity" -> new Identity(jitter);
                case "affine" -> {
                    String[] p = s.substring(colon + 1).split(",");
                    if (colon < 0 || p.length != 2) {
                        throw new IllegalArgumentException("--shift affine needs two numbers, e.g. affine:0.8,0");
                    }
                    yield new Affine(Double.parseDouble(p[0]), Double.parseDouble(p[1]), jitter);
                }
                case "snr" -> {
                    if (colon < 0) {
                        throw new IllegalArgumentException("--shift snr needs a factor, e.g. snr:0.5");
                    }
                    yield new Snr(Double.parseDouble(s.substring(colon + 1)), jitter);
                }
                default -> throw new IllegalArgumentException("unknown --shift '" + kind + "' (known: identity, affine:a,b, snr:s)");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--shift '" + spec + "': not a number (" + e.getMessage() + ")");
        }
    }

    /** γ(t) for integer timesteps in 0..numTrain−1; {@code r} is used only with jitter. */
    default int apply(int t, int numTrain, SplittableRandom r) {
        double u = t / (double) (numTrain - 1);
        int out = (int) Math.round(Math.max(0, Math.min(1, map(u))) * (numTrain - 1));
        if (jitter() && r != null) {
            out += r.nextInt(3) - 1;
        }
        return Math.max(1, Math.min(numTrain - 1, out));
    }
}
