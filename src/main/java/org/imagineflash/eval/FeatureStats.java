package org.imagineflash.eval;

/**
 * Mean and covariance of feature vectors, in double precision (the statistics pytorch-fid precomputes).
 *
 * @param count number of vectors
 * @param mean (d)
 * @param cov (d × d), unbiased (n − 1)
 */
public record FeatureStats(int count, double[] mean, double[][] cov) {
    public static FeatureStats of(float[][] features) {
        int n = features.length;
        if (n < 2) {
            throw new IllegalArgumentException("need at least 2 feature vectors, got " + n);
        }
        int d = features[0].length;
        double[] mu = new double[d];
        for (float[] f : features) {
            for (int j = 0; j < d; j++) {
                mu[j] += f[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mu[j] /= n;
        }
        double[][] c = new double[d][d];
        double[] z = new double[d];
        for (float[] f : features) {
            for (int j = 0; j < d; j++) {
                z[j] = f[j] - mu[j];
            }
            for (int a = 0; a < d; a++) {
                double za = z[a];
                if (za == 0) {
                    continue;
                }
                double[] row = c[a];
                for (int b = a; b < d; b++) {
                    row[b] += za * z[b];
                }
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                c[a][b] /= n - 1;
                c[b][a] = c[a][b];
            }
        }
        return new FeatureStats(n, mu, c);
    }

    public int dim() {
        return mean.length;
    }

    /**
     * Mergeable sums of feature vectors (count, Σf, Σffᵀ): statistics of a set computed in parts, e.g. one per
     * partition of a distributed job, combined in any order. The sums are taken of f − s for a shift s shared by all
     * parts (a mean known beforehand, such as the reference statistics', keeps Σffᵀ − n·μμᵀ free of cancellation);
     * {@link #stats()} gives the mean s + Σ(f − s)/n and the unbiased covariance.
     */
    public static final class Sums implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private long count;
        private final double[] shift;
        private final double[] sum;
        private final double[][] outer;

        /** Sums of f − shift. */
        public Sums(double[] shift) {
            this.shift = shift.clone();
            sum = new double[shift.length];
            outer = new double[shift.length][shift.length];
        }

        /** Sums without a shift. */
        public Sums(int dim) {
            this(new double[dim]);
        }

        public long count() {
            return count;
        }

        /** Adds one feature vector. */
        public Sums add(float[] f) {
            int d = sum.length;
            if (f.length != d) {
                throw new IllegalArgumentException("feature of dimension " + f.length + ", expected " + d);
            }
            count++;
            double[] z = new double[d];
            for (int a = 0; a < d; a++) {
                z[a] = f[a] - shift[a];
            }
            for (int a = 0; a < d; a++) {
                double za = z[a];
                sum[a] += za;
                double[] row = outer[a];
                for (int b = a; b < d; b++) {
                    row[b] += za * z[b];
                }
            }
            return this;
        }

        /** Adds another part's sums to these. */
        public Sums merge(Sums o) {
            if (!java.util.Arrays.equals(o.shift, shift)) {
                throw new IllegalArgumentException("sums of another dimension or shift cannot be merged");
            }
            count += o.count;
            for (int a = 0; a < sum.length; a++) {
                sum[a] += o.sum[a];
                for (int b = a; b < sum.length; b++) {
                    outer[a][b] += o.outer[a][b];
                }
            }
            return this;
        }

        public FeatureStats stats() {
            if (count < 2) {
                throw new IllegalArgumentException("need at least 2 feature vectors, got " + count);
            }
            int d = sum.length;
            double[] m = new double[d];
            double[] mu = new double[d];
            for (int a = 0; a < d; a++) {
                m[a] = sum[a] / count;
                mu[a] = shift[a] + m[a];
            }
            double[][] c = new double[d][d];
            for (int a = 0; a < d; a++) {
                for (int b = a; b < d; b++) {
                    c[a][b] = (outer[a][b] - count * m[a] * m[b]) / (count - 1);
                    c[b][a] = c[a][b];
                }
            }
            return new FeatureStats((int) count, mu, c);
        }
    }
}
