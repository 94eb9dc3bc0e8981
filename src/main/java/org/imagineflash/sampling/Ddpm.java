package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Prediction;
import org.imagineflash.schedule.NoiseSchedule;
import org.imagineflash.schedule.TimestepSpacing;

/**
 * Ancestral DDPM sampling (Ho et al. 2020, Eq. 6–7), as diffusers' DDPMScheduler with variance "fixed_small".
 *
 * <pre>
 *   ᾱ_t, ᾱ_prev   at t and prev = the next timestep of the list (ᾱ_prev = 1 past the end); α_t' = ᾱ_t/ᾱ_prev, β_t' = 1 − α_t'
 *   μ̃            (√ᾱ_prev·β_t'/(1−ᾱ_t))·x̂_0 + (√α_t'·(1−ᾱ_prev)/(1−ᾱ_t))·x_t                  (Eq. 7)
 *   x_prev        μ̃ + √β̃_t·z,  β̃_t = (1−ᾱ_prev)/(1−ᾱ_t)·β_t' (clamped ≥ 1e-20), no noise at t = 0
 * </pre>
 */
public final class Ddpm extends IntegerTimestepSampler {
    private final NoiseSchedule schedule;
    private final SamplerOptions opt;

    public Ddpm(NoiseSchedule schedule, SamplerOptions opt) {
        super(opt.spacingOr(TimestepSpacing.LEADING).timesteps(schedule.numTrainTimesteps(), opt.steps(), opt.stepsOffset()));
        this.schedule = schedule;
        this.opt = opt;
    }

    @Override
    public NDArray sample(Denoiser model, NDArray xT, NoiseSource noise) {
        NDArray x = xT;
        for (int i = 0; i < ts.length; i++) {
            int t = ts[i];
            // diffusers' DDPMScheduler.previous_timestep: the next entry of the timestep list (−1 after the last), not
            // t − T/N, which is wrong for linspace (and trailing) spacing (diffusers PR #9384)
            int prev = i + 1 < ts.length ? ts[i + 1] : -1;
            double ab = schedule.alphaBarFloat(t);
            double abPrev = prev >= 0 ? schedule.alphaBarFloat(prev) : 1.0;
            double alphaT = ab / abPrev;
            double betaT = 1 - alphaT;
            Prediction p = model.predict(x, t);
            NDArray x0 = opt.clipSample() ? p.x0().clip(-opt.clipSampleRange(), opt.clipSampleRange()) : p.x0();
            double c0 = Math.sqrt(abPrev) * betaT / (1 - ab);
            double ct = Math.sqrt(alphaT) * (1 - abPrev) / (1 - ab);
            NDArray next = x0.mul(c0).add(x.mul(ct));
            if (t > 0) {
                double variance = Math.max((1 - abPrev) / (1 - ab) * betaT, 1e-20);
                next = next.add(noise.next(x.getManager(), x.getShape()).mul(Math.sqrt(variance)));
            }
            x = next;
        }
        return x;
    }
}
