package org.imagineflash.eval;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * Fréchet distance between Gaussians fitted to features (Heusel et al. 2017, the formula of FID):
 * FD = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}.
 * Computed in double precision with symmetric eigen-decompositions (commons-math): the inner matrix
 * Σ₁^{1/2} Σ₂ Σ₁^{1/2} is symmetric positive semi-definite, so its square root's trace is Σ √max(λ, 0) — no complex
 * parts to discard, unlike scipy's sqrtm on the non-symmetric Σ₁Σ₂.
 */
public final class FrechetDistance {
    private FrechetDistance() {
    }

    public static double between(FeatureStats a, FeatureStats b) {
        if (a.dim() != b.dim()) {
            throw new IllegalArgumentException("feature dimensions differ: " + a.dim() + " vs " + b.dim());
        }
        int d = a.dim();
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            double diff = a.mean()[i] - b.mean()[i];
            meanTerm += diff * diff;
        }
        double trA = 0;
        double trB = 0;
        for (int i = 0; i < d; i++) {
            trA += a.cov()[i][i];
            trB += b.cov()[i][i];
        }
        RealMatrix sa = sqrtPsd(new Array2DRowRealMatrix(a.cov(), false));
        RealMatrix inner = sa.multiply(new Array2DRowRealMatrix(b.cov(), false)).multiply(sa);
        inner = inner.add(inner.transpose()).scalarMultiply(0.5); // symmetrise rounding errors
        double trSqrt = 0;
        for (double ev : new EigenDecomposition(inner).getRealEigenvalues()) {
            trSqrt += Math.sqrt(Math.max(ev, 0));
        }
        return Math.max(0, meanTerm + trA + trB - 2 * trSqrt);
    }

    /** Square root of a symmetric positive semi-definite matrix (negative rounding eigenvalues set to 0). */
    static RealMatrix sqrtPsd(RealMatrix m) {
        RealMatrix sym = m.add(m.transpose()).scalarMultiply(0.5);
        EigenDecomposition e = new EigenDecomposition(sym);
        double[] ev = e.getRealEigenvalues();
        RealMatrix v = e.getV();
        int n = ev.length;
        double[][] scaled = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                scaled[i][j] = v.getEntry(i, j) * Math.sqrt(Math.max(ev[j], 0));
            }
        }
        return new Array2DRowRealMatrix(scaled, false).multiply(v.transpose());
    }
}
