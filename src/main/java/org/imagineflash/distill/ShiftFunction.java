package org.imagineflash.distill;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * γ of the shifted reconstruction loss ({@code SRL.png}): the teacher time t_Φ = γ(t) at which the student's x̂_0 is
 * re-noised before the teacher denoises it. On normalised time u = t/(T−1):
 * <ul>
 *   <li>{@code identity}: γ(t) = t;</li>
 *   <li>{@code affine:a,b}: u' = a·u + b (clamped to [0, 1]);</li>
 *   <li>{@code snr:s}: u' = s·u / (1 + (s − 1)·u) — s &lt; 1 moves the teacher towards less noise (details),
 *       s &gt; 1 towards more noise (structure); both ends stay fixed.</li>
 * </ul>
 * With {@code jitter}, t_Φ is moved by −1, 0 or +1 training step at random (the faded χ_{t_Φ±1} in the figure).
 */
public record ShiftFunction(String kind, double a, double b, boolean jitter) {
    public ShiftFunction {
        switch (kind) {
            case "identity" -> { }
            case "affine" -> {
                if (!(a > 0 && a <= 2) || !(b >= -1 && b <= 1)) {
                    throw new IllegalArgumentException("--shift affine:a,b needs 0 < a ≤ 2 and −1 ≤ b ≤ 1, got " + a + "," + b);
                }
            }
            case "snr" -> {
                if (!(a >= 0.05 && a <= 20)) {
                    throw new IllegalArgumentException("--shift snr:s needs 0.05 ≤ s ≤ 20, got " + a);
                }
            }
            default -> throw new IllegalArgumentException("unknown --shift '" + kind + "' (known: identity, affine:a,b, snr:s)");
        }
    }

    /** Parses "identity", "affine:0.8,0", "snr:0.5". */
    public static ShiftFunction parse(String spec, boolean jitter) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        try {
            return switch (kind) {
                case "identity" -> new ShiftFunction("identity", 1, 0, jitter);
                case "affine" -> {
                    String[] p = s.substring(colon + 1).split(",");
                    if (colon < 0 || p.length != 2) {
                        throw new IllegalArgumentException("--shift affine needs two numbers, e.g. affine:0.8,0");
                    }
                    yield new ShiftFunction("affine", Double.parseDouble(p[0]), Double.parseDouble(p[1]), jitter);
                }
                case "snr" -> {
                    if (colon < 0) {
                        throw new IllegalArgumentException("--shift snr needs a factor, e.g. snr:0.5");
                    }
                    yield new ShiftFunction("snr", Double.parseDouble(s.substring(colon + 1)), 0, jitter);
                }
                default -> new ShiftFunction(kind, 1, 0, jitter);
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--shift '" + spec + "': not a number (" + e.getMessage() + ")");
        }
    }

    /** γ(t) for integer timesteps in 0..numTrain−1; {@code r} is used only with jitter. */
    public int apply(int t, int numTrain, SplittableRandom r) {
        double u = t / (double) (numTrain - 1);
        double v = switch (kind) {
            case "affine" -> a * u + b;
            case "snr" -> a * u / (1 + (a - 1) * u);
            default -> u;
        };
        int out = (int) Math.round(Math.max(0, Math.min(1, v)) * (numTrain - 1));
        if (jitter && r != null) {
            out += r.nextInt(3) - 1;
        }
        return Math.max(1, Math.min(numTrain - 1, out));
    }

    @Override
    public String toString() {
        return switch (kind) {
            case "affine" -> "affine:" + a + "," + b;
            case "snr" -> "snr:" + a;
            default -> kind;
        } + (jitter ? " (±1 jitter)" : "");
    }
}
