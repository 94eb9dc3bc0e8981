package org.imagineflash.export;

import org.imagineflash.data.Prompts;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.schedule.NoiseSchedule;

import java.util.List;
import java.util.Map;

/**
 * What a browser needs to run a class-conditional student itself, beside its generation graph ({@link
 * OnnxExport#student}, which holds the transitions): the shape of its noise and images, the class words, and the
 * student's schedule for display. The page ({@code public/browser.js}) draws the noise of {@link
 * org.imagineflash.random.Seeds}, so a seed draws the server's image.
 *
 * @param timesteps the student's timesteps (as it samples them at its trained step count)
 * @param alpha α_t at each timestep
 * @param sigma σ_t at each timestep
 * @param parameterization eps, v or x0: the network's output
 * @param noiseCorrection use x_T in place of ε̂ at t = T (Imagine Flash's noise correction)
 * @param clipX0 clip x̂_0 to [−1, 1] before re-noising it
 * @param classes every prompt word a class-conditional model reads, with its class
 */
public record BrowserPlan(int channels, int size, int numTrainTimesteps, int[] timesteps, double[] alpha, double[] sigma,
                          String parameterization, boolean noiseCorrection, boolean clipX0, Map<String, Integer> classes,
                          List<String> classNames) {

    /**
     * Whether a model runs in a browser: a class-conditional student that steps through its own timesteps
     * deterministically (an LCM student re-noises with fresh noise per step, which the page does not draw).
     */
    public static boolean supports(ModelConfig c) {
        return c.isStudent() && !c.unet().isTextConditioned() && c.student().sampler() != StudentConfig.Sampling.LCM;
    }

    public static BrowserPlan of(ModelConfig c) {
        if (!supports(c)) {
            throw new IllegalArgumentException("only class-conditional students that step deterministically run in a browser");
        }
        NoiseSchedule schedule = new NoiseSchedule(c.schedule());
        int[] ts = c.student().timesteps();
        double[] alpha = new double[ts.length];
        double[] sigma = new double[ts.length];
        for (int i = 0; i < ts.length; i++) {
            alpha[i] = schedule.alpha(ts[i]);
            sigma[i] = schedule.sigma(ts[i]);
        }
        return new BrowserPlan(c.unet().inChannels(), c.unet().imageSize(), schedule.numTrainTimesteps(), ts.clone(), alpha, sigma,
                c.parameterization().id(), c.student().noiseCorrection(), c.student().clipsX0(), Prompts.all(), Prompts.CLASS_NAMES);
    }
}
