package org.imagineflash.train;

import java.util.SplittableRandom;

/** Derived, order-independent random streams: the stream for (seed, step, purpose) is the same on every run. */
public final class Seeds {
    private Seeds() {
    }

    public static SplittableRandom stream(long seed, long step, long purpose) {
        long s = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + purpose * 0x94D049BB133111EBL;
        return new SplittableRandom(s);
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
