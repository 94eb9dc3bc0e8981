package org.imagineflash.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sliced Wasserstein-2 distance between two equally sized point sets in R^d (Rabin et al. 2011): the mean over
 * random unit directions θ of W_2² between the 1-D projections, which for sorted projections a, b is mean((a − b)²).
 * Returns the square root of that mean. Deterministic for a given seed.
 */
public final class SlicedWasserstein {
    private SlicedWasserstein() {
    }

    public static double distance(float[][] x, float[][] y, int projections, long seed) {
        if (x.length != y.length || x.length == 0) {
            throw new IllegalArgumentException("sliced Wasserstein needs two non-empty sets of equal size, got " + x.length + " and " + y.length);
        }
        int d = x[0].length;
        SplittableRandom r = new SplittableRandom(seed);
        double total = 0;
        double[] px = new double[x.length];
        double[] py = new double[y.length];
        for (int p = 0; p < projections; p++) {
            double[] theta = new double[d];
            double norm = 0;
            for (int j = 0; j < d; j++) {
                double u1 = 1 - r.nextDouble();
                theta[j] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.nextDouble());
                norm += theta[j] * theta[j];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < x.length; i++) {
                double a = 0;
                double b = 0;
                for (int j = 0; j < d; j++) {
                    a += x[i][j] * theta[j];
                    b += y[i][j] * theta[j];
                }
                px[i] = a / norm;
                py[i] = b / norm;
            }
            Arrays.sort(px);
            Arrays.sort(py);
            double s = 0;
            for (int i = 0; i < px.length; i++) {
                s += (px[i] - py[i]) * (px[i] - py[i]);
            }
            total += s / px.length;
        }
        return Math.sqrt(total / projections);
    }
}
