package org.imagineflash.schedule;

import ai.djl.ndarray.types.Shape;

/**
 * The discrete variance-preserving forward process q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I), t = 0..T−1.
 *
 * <p>Notation: α_t = √ᾱ_t (signal scale), σ_t = √(1 − ᾱ_t) (noise scale), log-SNR λ_t = log(α_t² / σ_t²),
 * and the k-diffusion sigma s_t = σ_t / α_t. ᾱ is the float32 cumulative product, as diffusers keeps it.
 */
public final class NoiseSchedule {
    /** The ᾱ that diffusers' sigma-space schedulers put at t = T−1 of a zero-terminal-SNR schedule. */
    public static final float TERMINAL_ALPHA_BAR = 0x1p-24f;

    private final ScheduleConfig config;
    private final float[] betas;
    private final float[] alphasCumprod;

    public NoiseSchedule(ScheduleConfig config) {
        this.config = config;
        float[] b = config.betaSchedule().betas(config.numTrainTimesteps(), config.betaStart(), config.betaEnd());
        if (config.rescaleZeroTerminalSnr()) {
            b = rescaleZeroTerminalSnr(b);
        }
        this.betas = b;
        this.alphasCumprod = new float[b.length];
        float acc = 1f;
        for (int i = 0; i < b.length; i++) {
            acc *= (1f - b[i]);
            alphasCumprod[i] = acc;
        }
    }

    /**
     * Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1: shift and scale
     * √ᾱ so that √ᾱ_{T−1} = 0 while √ᾱ_0 is unchanged, then recover β.
     */
    public static float[] rescaleZeroTerminalSnr(float[] betas) {
        int n = betas.length;
        float[] sqrtAb = new float[n];
        float acc = 1f;
        for (int i = 0; i < n; i++) {
            acc *= (1f - betas[i]);
            sqrtAb[i] = (float) Math.sqrt(acc);
        }
        float a0 = sqrtAb[0];
        float aT = sqrtAb[n - 1];
        float[] ab = new float[n];
        for (int i = 0; i < n; i++) {
            float s = (sqrtAb[i] - aT) * (a0 / (a0 - aT));
            ab[i] = s * s;
        }
        float[] out = new float[n];
        out[0] = 1f - ab[0];
        for (int i = 1; i < n; i++) {
            out[i] = 1f - ab[i] / ab[i - 1];
        }
        return out;
    }

    public ScheduleConfig config() {
        return config;
    }

    public int numTrainTimesteps() {
        return betas.length;
    }

    public float beta(int t) {
        return betas[t];
    }

    /** ᾱ_t. */
    public double alphaBar(int t) {
        return alphasCumprod[t];
    }

    /** ᾱ_t as stored (float32), for code that mirrors diffusers' float arithmetic. */
    public float alphaBarFloat(int t) {
        return alphasCumprod[t];
    }

    /** α_t = √ᾱ_t. */
    public double alpha(int t) {
        return Math.sqrt(alphaBar(t));
    }

    /** σ_t = √(1 − ᾱ_t). */
    public double sigma(int t) {
        return Math.sqrt(1 - alphaBar(t));
    }

    /** λ_t = log(ᾱ_t / (1 − ᾱ_t)); −∞ at a zero-terminal-SNR end. */
    public double logSnr(int t) {
        double ab = alphaBar(t);
        return Math.log(ab) - Math.log1p(-ab);
    }

    /**
     * k-diffusion sigma s_t = √((1 − ᾱ_t)/ᾱ_t), computed in float32 as diffusers does.
     *
     * <p>With zero terminal SNR, diffusers' sigma-space schedulers (EulerDiscreteScheduler,
     * DPMSolverMultistepScheduler) set {@code alphas_cumprod[-1] = 2**-24} ("close to 0 without being 0 so first sigma
     * is not inf") — that one entry, and only when {@code rescale_betas_zero_snr} is on. An earlier version clamped every
     * ᾱ below 2^-24, which also changed the squaredcos_cap_v2 schedule (ᾱ_999 ≈ 2.4e-9 there, s = 20291 in diffusers)
     * and the second-to-last ᾱ of a rescaled schedule.
     */
    public float kSigma(int t) {
        float ab = alphasCumprod[t];
        if (config.rescaleZeroTerminalSnr() && t == alphasCumprod.length - 1) {
            ab = TERMINAL_ALPHA_BAR;
        }
        return (float) Math.sqrt((1f - ab) / ab);
    }

    /**
     * s(t) at a fractional timestep by linear interpolation of the k-sigmas (np.interp, as Euler and
     * DPM-Solver in diffusers do).
     */
    public double kSigmaAt(double t) {
        if (t <= 0) {
            return kSigma(0);
        }
        int last = betas.length - 1;
        if (t >= last) {
            return kSigma(last);
        }
        int lo = (int) Math.floor(t);
        double w = t - lo;
        return lo == t ? kSigma(lo) : (1 - w) * kSigma(lo) + w * kSigma(lo + 1);
    }

    /**
     * (α, σ) at timestep t: exact for an integer t, else from the interpolated k-sigma s as
     * α = 1/√(1+s²), σ = s·α.
     */
    public double[] alphaSigmaAt(double t) {
        if (t == Math.rint(t) && t >= 0 && t < betas.length) {
            int i = (int) t;
            return new double[] {alpha(i), sigma(i)};
        }
        double s = kSigmaAt(t);
        double a = 1 / Math.sqrt(1 + s * s);
        return new double[] {a, s * a};
    }

    /** (B, 1, 1, …) for a (B, …) shape. */
    public static Shape broadcastShape(Shape shape) {
        long[] dims = new long[shape.dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = shape.get(0);
        return new Shape(dims);
    }
}
