package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Prediction;
import org.imagineflash.schedule.NoiseSchedule;
import org.imagineflash.schedule.TimestepSpacing;

/**
 * DDIM (Song et al. 2021, Eq. 12), as diffusers' DDIMScheduler.
 *
 * <pre>
 *   ᾱ_t, ᾱ_prev    alphas_cumprod at t and at prev = t − T/N (ᾱ_prev = 1 or ᾱ_0 past the end: set_alpha_to_one)
 *   σ_t(η)         η·√((1−ᾱ_prev)/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_prev))            (Eq. 16)
 *   x_prev         √ᾱ_prev·x̂_0 + √(1−ᾱ_prev−σ_t²)·ε̂ + σ_t·z         (Eq. 12)
 * </pre>
 * Note that, as in diffusers, prev = t − T//N for every spacing.
 */
public final class Ddim extends IntegerTimestepSampler {
    private final NoiseSchedule schedule;
    private final SamplerOptions opt;

    public Ddim(NoiseSchedule schedule, SamplerOptions opt) {
        super(opt.spacingOr(TimestepSpacing.LEADING).timesteps(schedule.numTrainTimesteps(), opt.steps(), opt.stepsOffset()));
        this.schedule = schedule;
        this.opt = opt;
    }

    @Override
    public NDArray sample(Denoiser model, NDArray xT, NoiseSource noise) {
        NDArray x = xT;
        int n = schedule.numTrainTimesteps();
        for (int t : ts) {
            int prev = t - n / opt.steps();
            double ab = schedule.alphaBarFloat(t);
            double abPrev = prev >= 0 ? schedule.alphaBarFloat(prev) : opt.setAlphaToOne() ? 1.0 : schedule.alphaBarFloat(0);
            Prediction p = model.predict(x, t);
            NDArray x0 = opt.clipSample() ? p.x0().clip(-opt.clipSampleRange(), opt.clipSampleRange()) : p.x0();
            double variance = (1 - abPrev) / (1 - ab) * (1 - ab / abPrev);
            double std = opt.eta() * Math.sqrt(variance);
            NDArray next = x0.mul(Math.sqrt(abPrev)).add(p.eps().mul(Math.sqrt(1 - abPrev - std * std)));
            if (opt.eta() > 0) {
                next = next.add(noise.next(x.getManager(), x.getShape()).mul(std));
            }
            x = next;
        }
        return x;
    }
}
