package org.imagineflash.model;

import ai.djl.ndarray.NDArray;

/**
 * What runs a model's network at inference: F(x_t, t, c) → the raw output. The model's own DJL block is one; a graph
 * exported from it and run by another engine (ONNX Runtime) is another. Parameterization, guidance and the samplers
 * are the model's whatever runs the network.
 */
@FunctionalInterface
public interface Network {
    /**
     * @param x (B, C, H, W)
     * @param t (B) float timesteps
     * @param c the batch's condition
     * @return the raw output (B, C, H, W), in x's manager
     */
    NDArray forward(NDArray x, NDArray t, Condition c);
}
