package org.imagineflash.random;

import java.util.SplittableRandom;

/** Derived, order-independent random streams: the stream for (seed, step, purpose) is the same on every run. */
public final class Seeds {
    private Seeds() {
    }

    public static SplittableRandom stream(long seed, long step, long purpose) {
        // Each component goes through SplitMix64's finaliser. (A linear combination such as seed·γ + … is wrong here:
        // SplittableRandom advances its state by γ = 0x9E3779B97F4A7C15 per draw, so the stream of seed + 1 was
        // the stream of seed shifted by one draw, and per-image noise of images i and i + 2 was the same noise
        // shifted by two pixels.)
        return new SplittableRandom(mix64(mix64(mix64(seed) ^ step) + purpose));
    }

    /** SplitMix64's output function (Steele et al. 2014): a bijective 64-bit mixer. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static float[] gaussian(SplittableRandom r, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i += 2) {
            // Box–Muller: two standard normals from two uniforms
            double u1 = 1.0 - r.nextDouble();
            double u2 = r.nextDouble();
            double rad = Math.sqrt(-2 * Math.log(u1));
            out[i] = (float) (rad * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                out[i + 1] = (float) (rad * Math.sin(2 * Math.PI * u2));
            }
        }
        return out;
    }
}
