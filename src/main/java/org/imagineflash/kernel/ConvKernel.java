package org.imagineflash.kernel;

import java.util.Locale;

/** How a {@link Conv2dBlock} computes its convolution (see its class comment for why there is a choice). */
public enum ConvKernel {
    /** im2col + one matrix product: always correct. */
    GEMM,
    /** PyTorch's convolution (oneDNN). */
    LIBRARY,
    /**
     * The library kernel on channel counts zero-padded to multiples of 16 (the output sliced back): the oneDNN kernels
     * found wrong on the project's VM had 24 input or 1 output channel, and their padded forms were right.
     */
    PADDED,
    /**
     * The kernel {@link KernelCheck} chose for each convolution geometry (the library kernel where it equals im2col,
     * forward and, where gradients flow, backward; else the padded form, else im2col), im2col until it has checked.
     */
    CHECKED;

    /** The lower-case name ({@code -Dimagineflash.conv} and messages). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** gemm | library | padded | checked. */
    public static ConvKernel parse(String s) {
        for (ConvKernel k : values()) {
            if (k.id().equals(s)) {
                return k;
            }
        }
        throw new IllegalArgumentException("the convolution kernel must be gemm, library, padded or checked, got " + s);
    }
}
