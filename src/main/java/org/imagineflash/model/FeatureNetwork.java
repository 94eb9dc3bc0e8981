package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;

/**
 * A denoising network that exposes its encoder's activations at (x_t, t, c): the pretrained feature network of a
 * discriminator on frozen features (LADD, Sauer et al. 2024, which uses its teacher this way). Gradients flow
 * through to x when the network's parameters are frozen.
 */
public interface FeatureNetwork {
    /**
     * @param x (B, C, H, W) noised input
     * @param t (B) timesteps (float)
     * @param c the batch's condition
     * @return feature maps (B, C_i, H_i, W_i), or (B, C_i) for networks without spatial maps
     */
    NDList features(ParameterStore ps, NDArray x, NDArray t, Condition c);
}
