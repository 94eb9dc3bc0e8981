package org.imagineflash.eval;

import java.util.Arrays;

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union of balls around its
 * points with radius = distance to the k-th nearest neighbour within the set. Precision = share of generated points
 * inside the real manifold; recall = share of real points inside the generated manifold.
 */
public final class PrecisionRecall {
    private PrecisionRecall() {
    }

    public record Result(double precision, double recall) {
    }

    public static Result compute(float[][] real, float[][] generated, int k) {
        if (real.length <= k || generated.length <= k) {
            throw new IllegalArgumentException("precision/recall with k=" + k + " needs more than " + k + " points per set");
        }
        double[] rReal = radii(real, k);
        double[] rGen = radii(generated, k);
        return new Result(coverage(generated, real, rReal), coverage(real, generated, rGen));
    }

    /** Share of {@code points} within the radius of some point of {@code manifold}. */
    static double coverage(float[][] points, float[][] manifold, double[] radii) {
        int inside = 0;
        for (float[] p : points) {
            for (int j = 0; j < manifold.length; j++) {
                if (dist2(p, manifold[j]) <= radii[j]) {
                    inside++;
                    break;
                }
            }
        }
        return inside / (double) points.length;
    }

    /** Squared distance of each point to its k-th nearest neighbour (excluding itself). */
    static double[] radii(float[][] x, int k) {
        double[] out = new double[x.length];
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x.length; j++) {
                d[j] = i == j ? Double.POSITIVE_INFINITY : dist2(x[i], x[j]);
            }
            double[] s = d.clone();
            Arrays.sort(s);
            out[i] = s[k - 1];
        }
        return out;
    }

    static double dist2(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double t = a[i] - b[i];
            s += t * t;
        }
        return s;
    }
}
