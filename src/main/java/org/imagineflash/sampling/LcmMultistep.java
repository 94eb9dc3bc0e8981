package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Prediction;
import org.imagineflash.schedule.NoiseSchedule;

/**
 * Latent consistency model multistep sampling (Luo et al. 2023, Algorithm 3), as diffusers' LCMScheduler.
 *
 * <pre>
 *   timesteps   from the skipping schedule k = T/original_steps: (k·j − 1), j = original_steps..1, taken at
 *               floor(linspace(0, original_steps, N, endpoint=False))
 *   c_skip      σ_d²/((10t)² + σ_d²),  c_out = 10t/√((10t)² + σ_d²),  σ_d = 0.5   (consistency boundary condition)
 *   denoised    c_out·x̂_0 + c_skip·x_t       (x̂_0 clipped to ±clip_sample_range first when clip_sample is set)
 *   x_next      √ᾱ_next·denoised + √(1−ᾱ_next)·z   (the last step returns denoised)
 * </pre>
 */
public final class LcmMultistep extends IntegerTimestepSampler {
    static final double SIGMA_DATA = 0.5;
    static final double TIMESTEP_SCALING = 10.0;
    private final NoiseSchedule schedule;
    private final double clipRange;

    public LcmMultistep(NoiseSchedule schedule, SamplerOptions opt) {
        super(skippingTimesteps(schedule.numTrainTimesteps(), opt.originalInferenceSteps(), opt.steps()));
        this.schedule = schedule;
        this.clipRange = opt.clipSample() ? opt.clipSampleRange() : Double.POSITIVE_INFINITY;
    }

    /** LCM/TCD timesteps (diffusers' set_timesteps with strength 1). */
    public static int[] skippingTimesteps(int numTrain, int originalSteps, int steps) {
        if (originalSteps < 1 || originalSteps > numTrain) {
            throw new IllegalArgumentException("--original-inference-steps (" + originalSteps + ") must be in 1.." + numTrain);
        }
        if (steps > originalSteps) {
            throw new IllegalArgumentException("--steps (" + steps + ") must be ≤ --original-inference-steps (" + originalSteps + ")");
        }
        int k = numTrain / originalSteps;
        int[] origin = new int[originalSteps];
        for (int j = 0; j < originalSteps; j++) {
            origin[j] = (originalSteps - j) * k - 1;
        }
        int[] ts = new int[steps];
        for (int i = 0; i < steps; i++) {
            ts[i] = origin[(int) Math.floor((double) i * originalSteps / steps)];
        }
        return ts;
    }

    /** c_skip(t) of the consistency boundary condition. */
    public static double cSkip(double t) {
        double s = t * TIMESTEP_SCALING;
        return SIGMA_DATA * SIGMA_DATA / (s * s + SIGMA_DATA * SIGMA_DATA);
    }

    /** c_out(t) of the consistency boundary condition. */
    public static double cOut(double t) {
        double s = t * TIMESTEP_SCALING;
        return s / Math.sqrt(s * s + SIGMA_DATA * SIGMA_DATA);
    }

    @Override
    public NDArray sample(Denoiser model, NDArray xT, NoiseSource noise) {
        NDArray x = xT;
        for (int i = 0; i < ts.length; i++) {
            int t = ts[i];
            Prediction p = model.predict(x, t);
            NDArray x0 = Double.isInfinite(clipRange) ? p.x0() : p.x0().clip(-clipRange, clipRange);
            NDArray denoised = x0.mul(cOut(t)).add(x.mul(cSkip(t)));
            if (i == ts.length - 1) {
                x = denoised;
            } else {
                double abNext = schedule.alphaBarFloat(ts[i + 1]);
                x = denoised.mul(Math.sqrt(abNext)).add(noise.next(x.getManager(), x.getShape()).mul(Math.sqrt(1 - abNext)));
            }
        }
        return x;
    }
}
