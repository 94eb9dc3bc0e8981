package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Prediction;
import org.imagineflash.schedule.NoiseSchedule;
import org.imagineflash.schedule.TimestepSpacing;

/**
 * Euler's method on the probability-flow ODE in k-diffusion's sigma space (Karras et al. 2022, Algorithm 1 with
 * S_churn = 0), as diffusers' EulerDiscreteScheduler used by a pipeline.
 *
 * <pre>
 *   s_i         sigmas interpolated at the (fractional, for linspace) timesteps, s_N = 0
 *   x           k-space sample, starts at x_T·init_noise_sigma (s_0, or √(s_0²+1) for leading)
 *   x̂_0         D(x/√(s_i²+1), t_i)        (the VP denoiser at the scaled input)
 *   x ← x + (x − x̂_0)/s_i · (s_{i+1} − s_i)
 * </pre>
 */
public final class EulerDiscrete implements Sampler {
    private final NoiseSchedule schedule;
    private final double[] ts;
    private final double[] sigmas;
    private final double initNoiseSigma;

    public EulerDiscrete(NoiseSchedule schedule, SamplerOptions opt) {
        this.schedule = schedule;
        TimestepSpacing sp = opt.spacingOr(TimestepSpacing.LINSPACE);
        this.ts = sp.continuousTimesteps(schedule.numTrainTimesteps(), opt.steps(), opt.stepsOffset());
        this.sigmas = new double[ts.length + 1];
        double max = 0;
        for (int i = 0; i < ts.length; i++) {
            sigmas[i] = (float) schedule.kSigmaAt(ts[i]);
            max = Math.max(max, sigmas[i]);
        }
        sigmas[ts.length] = opt.finalSigmaZero() ? 0 : schedule.kSigma(0);
        this.initNoiseSigma = sp == TimestepSpacing.LEADING ? Math.sqrt(max * max + 1) : max;
    }

    @Override
    public NDArray sample(Denoiser model, NDArray xT, NoiseSource noise) {
        NDArray x = xT.mul(initNoiseSigma);
        for (int i = 0; i < ts.length; i++) {
            double s = sigmas[i];
            double alpha = 1 / Math.sqrt(s * s + 1);
            NDArray in = x.div(Math.sqrt(s * s + 1));
            Prediction p = model.predict(in, ts[i]);
            NDArray x0 = ZeroTerminalSnr.isTerminal(schedule, ts[i]) ? ZeroTerminalSnr.x0(p, in, alpha, s * alpha) : p.x0();
            NDArray derivative = x.sub(x0).div(s);
            x = x.add(derivative.mul(sigmas[i + 1] - s));
        }
        return x;
    }

    @Override
    public int nfe() {
        return ts.length;
    }

    @Override
    public double[] timesteps() {
        return ts.clone();
    }
}
