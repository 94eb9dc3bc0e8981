package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Prediction;
import org.imagineflash.schedule.NoiseSchedule;

/**
 * Strategic stochastic sampling of Trajectory Consistency Distillation (Zheng et al. 2024, Eq. 9), as diffusers'
 * TCDScheduler.
 *
 * <pre>
 *   t_next      the next timestep (0 after the last); s = ⌊(1−γ)·t_next⌋
 *   x_s         √ᾱ_s·x̂_0 + √(1−ᾱ_s)·ε̂                 (jump to the earlier time s)
 *   x_next      √(ᾱ_next/ᾱ_s)·x_s + √(1 − ᾱ_next/ᾱ_s)·z  (forward to t_next; not on the last step or when γ = 0)
 * </pre>
 */
public final class Tcd extends IntegerTimestepSampler {
    private final NoiseSchedule schedule;
    private final SamplerOptions opt;

    public Tcd(NoiseSchedule schedule, SamplerOptions opt) {
        super(LcmMultistep.skippingTimesteps(schedule.numTrainTimesteps(), opt.originalInferenceSteps(), opt.steps()));
        this.schedule = schedule;
        this.opt = opt;
    }

    @Override
    public NDArray sample(Denoiser model, NDArray xT, NoiseSource noise) {
        NDArray x = xT;
        double gamma = opt.gamma();
        for (int i = 0; i < ts.length; i++) {
            int t = ts[i];
            int next = i + 1 < ts.length ? ts[i + 1] : 0;
            int s = (int) Math.floor((1 - gamma) * next);
            double abNext = schedule.alphaBarFloat(next);
            double abS = schedule.alphaBarFloat(s);
            Prediction p = model.predict(x, t);
            NDArray xs = p.x0().mul(Math.sqrt(abS)).add(p.eps().mul(Math.sqrt(1 - abS)));
            if (gamma > 0 && i != ts.length - 1) {
                x = xs.mul(Math.sqrt(abNext / abS)).add(noise.next(x.getManager(), x.getShape()).mul(Math.sqrt(1 - abNext / abS)));
            } else {
                x = xs;
            }
        }
        return x;
    }
}
