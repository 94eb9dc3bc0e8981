package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.Denoiser;

/**
 * A sampler is a pure function of a denoiser and the starting noise x_T ~ N(0, I) (k-diffusion's
 * {@code sample(model, x, sigmas)}): it owns no model and no state between calls.
 */
public interface Sampler {
    /**
     * The version of the sampling code: raise it with any change that alters a sampler's output, and every cached
     * report figure is measured again (figures measured before the version was kept are version 1).
     */
    int CODE_VERSION = 1;

    /** The part of a cache key that names the sampling code's version (empty for version 1, as keys were written before it was kept). */
    static String codeVersionKey() {
        return CODE_VERSION == 1 ? "" : "|sampling-code-" + CODE_VERSION;
    }

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
