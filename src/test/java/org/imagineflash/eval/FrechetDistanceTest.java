package org.imagineflash.eval;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrechetDistanceTest {
    static float[][] gaussian(int n, double[] mean, double[] std, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[n][mean.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < mean.length; j++) {
                x[i][j] = (float) (mean[j] + std[j] * r.nextGaussian());
            }
        }
        return x;
    }

    @Test
    void aSetAgainstItselfIsZero() {
        FeatureStats s = FeatureStats.of(gaussian(500, new double[] {1, -2, 0.5}, new double[] {1, 2, 0.1}, 1));
        assertEquals(0, FrechetDistance.between(s, s), 1e-9);
    }

    @Test
    void matchesTheClosedFormForGaussians() {
        // diagonal covariances: FD = ‖μ₁ − μ₂‖² + Σ (σ₁ᵢ − σ₂ᵢ)²
        FeatureStats a = new FeatureStats(10, new double[] {0, 1}, new double[][] {{4, 0}, {0, 1}});
        FeatureStats b = new FeatureStats(10, new double[] {3, 1}, new double[][] {{1, 0}, {0, 9}});
        assertEquals(9 + 1 + 4, FrechetDistance.between(a, b), 1e-9);
        // a full covariance rotated: FD(N(0, Σ), N(0, Σ)) = 0 and the trace formula for commuting matrices
        FeatureStats c = new FeatureStats(10, new double[] {0, 0}, new double[][] {{2, 1}, {1, 2}});
        FeatureStats d = new FeatureStats(10, new double[] {0, 0}, new double[][] {{8, 4}, {4, 8}});
        // eigenvalues (3, 1) and (12, 4): Σ(√λ₁ − √λ₂)² = (√3 − √12)² + (1 − 2)² = 3 + 1
        assertEquals(4, FrechetDistance.between(c, d), 1e-9);
    }

    @Test
    void samplesApproachThePopulationValue() {
        FeatureStats a = FeatureStats.of(gaussian(20000, new double[] {0, 0}, new double[] {1, 1}, 2));
        FeatureStats b = FeatureStats.of(gaussian(20000, new double[] {1, 0}, new double[] {2, 1}, 3));
        assertEquals(2.0, FrechetDistance.between(a, b), 0.1);
    }

    @Test
    void dimensionMismatchIsAnError() {
        FeatureStats a = new FeatureStats(3, new double[] {0}, new double[][] {{1}});
        FeatureStats b = new FeatureStats(3, new double[] {0, 0}, new double[][] {{1, 0}, {0, 1}});
        assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(a, b));
    }

    @Test
    void precisionAndRecallOnToyClusters() {
        float[][] real = gaussian(200, new double[] {0, 0}, new double[] {1, 1}, 4);
        float[][] same = gaussian(200, new double[] {0, 0}, new double[] {1, 1}, 5);
        float[][] far = gaussian(200, new double[] {50, 50}, new double[] {1, 1}, 6);
        PrecisionRecall.Result ok = PrecisionRecall.compute(real, same, 3);
        assertTrue(ok.precision() > 0.9 && ok.recall() > 0.9, ok.toString());
        PrecisionRecall.Result bad = PrecisionRecall.compute(real, far, 3);
        assertEquals(0, bad.precision(), 1e-12);
        assertEquals(0, bad.recall(), 1e-12);
        // generated points that cover only half of the real mass: high precision, recall near one half
        float[][] half = new float[200][];
        for (int i = 0; i < 200; i++) {
            half[i] = new float[] {Math.abs(same[i][0]) + 0.01f, same[i][1]};
        }
        PrecisionRecall.Result h = PrecisionRecall.compute(real, half, 3);
        assertTrue(h.precision() > 0.85, h.toString());
        assertTrue(h.recall() > 0.3 && h.recall() < 0.75, h.toString());
    }

    @Test
    void sumsMergedFromPartsGiveTheStatisticsOfTheWhole() {
        float[][] x = gaussian(700, new double[] {3, -2, 0.5, 10}, new double[] {1, 2, 0.1, 0.01}, 4);
        FeatureStats whole = FeatureStats.of(x);
        double[] shift = {3.1, -1.8, 0.4, 10.02}; // near the mean, as the reference statistics' mean is for generated features
        FeatureStats.Sums a = new FeatureStats.Sums(shift);
        FeatureStats.Sums b = new FeatureStats.Sums(shift);
        for (int i = 0; i < x.length; i++) {
            (i < 123 ? a : b).add(x[i]);
        }
        FeatureStats merged = b.merge(a).stats();
        assertEquals(700, merged.count());
        for (int p = 0; p < 4; p++) {
            assertEquals(whole.mean()[p], merged.mean()[p], 1e-12 * Math.abs(whole.mean()[p]) + 1e-12);
            for (int q = 0; q < 4; q++) {
                assertEquals(whole.cov()[p][q], merged.cov()[p][q], 1e-9 * Math.sqrt(whole.cov()[p][p] * whole.cov()[q][q]));
            }
        }
        assertEquals(FrechetDistance.between(whole, whole), FrechetDistance.between(merged, whole), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> new FeatureStats.Sums(3).add(new float[4]));
        assertThrows(IllegalArgumentException.class, () -> new FeatureStats.Sums(4).merge(a));
    }
}
