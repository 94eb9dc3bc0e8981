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
}
