package org.imagineflash.cli;

/**
 * Engine settings applied before DJL starts: offline, and one intra-op thread by default. Measured on the 2-core
 * machine with DJL 0.36 / PyTorch 2.7.1: with 2 intra-op threads the backward pass of the UNet's 3×3 convolutions
 * returned NaN gradients in 20 of 20 runs, against 0 of 20 with one thread. The cause is oneDNN's vectorised
 * convolution kernels, wrong for some shapes on that machine (docs/known-problems.md; {@code kernel/KernelCheck} now
 * checks every kernel per shape), so the default of 1 is a precaution. Override with -Dai.djl.pytorch.num_threads=N.
 */
public final class Engines {
    private Engines() {
    }

    public static void configure() {
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }
}
