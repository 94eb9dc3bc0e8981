package org.imagineflash.model;

import ai.djl.ndarray.NDArray;

/**
 * Where a model's x_0 lives, and so whether an estimate x̂_0 may be clipped to it. Images lie in [−1, 1], and clipping
 * x̂_0 there is DDPM/DDIM's {@code clip_sample}. An autoencoder's scaled latents have unit variance and no bound: 42 %
 * of training-scene latent values lie outside [−1, 1], and decoding them clipped there loses 4.4 dB PSNR (31.95 →
 * 27.58 dB on 256 scenes). Latent diffusion never clips them (Stable Diffusion's schedulers have
 * {@code clip_sample=False}).
 */
public enum DataRange {
    /** Pixel-space images in [−1, 1]. */
    PIXELS,
    /** An autoencoder's scaled latents: unbounded, never clipped. */
    LATENTS;

    /** x̂_0 clipped to this range (a no-op for latents). */
    public NDArray clip(NDArray x0) {
        return this == PIXELS ? x0.clip(-1, 1) : x0;
    }

    /** Whether {@link #clip} changes anything. */
    public boolean bounded() {
        return this == PIXELS;
    }
}
