package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.Denoiser;

/**
 * A sampler is a pure function of a denoiser and the starting noise x_T ~ N(0, I) (k-diffusion's
 * {@code sample(model, x, sigmas)}): it owns no model and no state between calls.
 */
public interface Sampler {
    /**
     * Runs the reverse process.
     *
     * @param model the (conditioned, possibly guided) denoiser
     * @param xT starting noise, (B, C, H, W), standard normal
     * @param noise fresh noise for stochastic steps; unused by deterministic samplers
     * @return x_0, (B, C, H, W)
     */
    NDArray sample(Denoiser model, NDArray xT, NoiseSource noise);

    /** Denoiser evaluations per image (without the doubling of classifier-free guidance). */
    int nfe();

    /** The timesteps at which the denoiser is evaluated, in order. */
    double[] timesteps();
}
