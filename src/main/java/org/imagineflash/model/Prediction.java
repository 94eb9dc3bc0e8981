package org.imagineflash.model;

import ai.djl.ndarray.NDArray;

/**
 * What a denoiser says about x_t: its estimate of the clean sample x̂_0 and of the noise ε̂, related by
 * x_t = α_t x̂_0 + σ_t ε̂.
 *
 * @param x0 x̂_0, (B, C, H, W)
 * @param eps ε̂, (B, C, H, W)
 */
public record Prediction(NDArray x0, NDArray eps) {
}
