package org.imagineflash.model;

import ai.djl.ndarray.NDArray;

/**
 * A conditioned denoiser D(x_t, t) → (x̂_0, ε̂), the one thing samplers see (k-diffusion's {@code model(x, sigma)}).
 * The conditioning (class labels, guidance) is bound inside; the parameterization is already resolved.
 */
@FunctionalInterface
public interface Denoiser {
    /**
     * @param x x_t in the variance-preserving space, (B, C, H, W)
     * @param t the timestep, integer or fractional (Euler), same for the whole batch
     */
    Prediction predict(NDArray x, double t);
}
