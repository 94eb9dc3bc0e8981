package org.imagineflash.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A square 2-D convolution (kernel k, stride s, padding k/2) with interchangeable kernels:
 * <ul>
 *   <li>{@code library}: PyTorch's convolution (oneDNN);</li>
 *   <li>{@code gemm}: im2col + one matrix product — the k² shifted (strided) views of the zero-padded input are
 *       stacked into (B, C_in·k², H_o·W_o) and multiplied by the weight (C_out, C_in·k²).</li>
 * </ul>
 *
 * <p>Why: on the project's machine (AMD EPYC, 2 vCPUs, a Firecracker VM) oneDNN's AVX2/AVX-512 convolution kernels
 * return wrong values for some shapes — partly NaN in training, or finite but different from the definition (measured:
 * a 20-step teacher run had NaN losses with the default ISA and with {@code ONEDNN_MAX_CPU_ISA=AVX2}, in one of two
 * AVX2 runs; the shapes are listed in {@link KernelCheck}). With {@code ONEDNN_MAX_CPU_ISA=SSE41} the library kernel
 * is correct: a 60-step teacher run (seed 0) gave the same mean loss as the im2col kernel to four digits (1.0749), in
 * 60 s instead of 163 s. So the library kernel is
 * used directly only when that environment variable limits oneDNN to SSE4.1 (the Maven test configuration, and the
 * entry script {@code ./imagine-flash} on CPUs without AVX-512). Otherwise each block picks its kernel per input shape
 * ({@link ConvKernel#CHECKED}): the library kernel where {@link KernelCheck} found it equal to im2col, its channel-padded form or
 * im2col where not. {@code -Dimagineflash.conv=gemm|library|checked} overrides the choice. All give the same results
 * up to float rounding ({@code Conv2dBlockTest} checks each against the textbook definition), so weights are
 * interchangeable.
 * Weights use the (C_out, C_in, k, k) layout of a PyTorch convolution.
 */
public final class Conv2dBlock extends AbstractBlock {
    /** Which kernel every block uses in this JVM (see the class comment). */
    public static final ConvKernel KERNEL = chooseKernel(System.getProperty("imagineflash.conv"), System.getenv("ONEDNN_MAX_CPU_ISA"));
    /** A per-thread kernel that overrides every block's own (set only by {@link #withKernel}). */
    private static final ThreadLocal<ConvKernel> OVERRIDE = new ThreadLocal<>();
    private final ConvKernel impl;
    private final KernelCheck checks;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final Parameter weight;
    private final Parameter bias;
    private int inChannels;

    public Conv2dBlock(int outChannels, int kernel, int stride) {
        this(outChannels, kernel, stride, KERNEL, KernelCheck.shared());
    }

    /** A block with an explicit kernel. */
    public Conv2dBlock(int outChannels, int kernel, int stride, ConvKernel impl) {
        this(outChannels, kernel, stride, impl, KernelCheck.shared());
    }

    /** A block with an explicit kernel whose {@link ConvKernel#CHECKED} verdicts come from {@code checks}. */
    public Conv2dBlock(int outChannels, int kernel, int stride, ConvKernel impl, KernelCheck checks) {
        super((byte) 1);
        this.impl = impl;
        this.checks = checks;
        if (kernel < 1 || kernel % 2 == 0) {
            throw new IllegalArgumentException("kernel must be odd and ≥ 1, got " + kernel);
        }
        if (stride < 1) {
            throw new IllegalArgumentException("stride must be ≥ 1, got " + stride);
        }
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
        bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS)
                .optShape(new Shape(outChannels)).build());
    }

    /** k of the k×k kernel (padding k/2). */
    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    /**
     * Runs {@code body} with every block on this thread using {@code kernel} (not {@link ConvKernel#CHECKED}), so that
     * {@link KernelCheck} can compare kernels on one model's weights.
     */
    public static <T> T withKernel(ConvKernel kernel, java.util.function.Supplier<T> body) {
        if (kernel == ConvKernel.CHECKED) {
            throw new IllegalArgumentException("withKernel takes a concrete kernel, not checked");
        }
        ConvKernel previous = OVERRIDE.get();
        OVERRIDE.set(kernel);
        try {
            return body.get();
        } finally {
            OVERRIDE.set(previous);
        }
    }

    /** Whether this JVM's blocks pick their kernel per input shape by {@link KernelCheck} ({@link ConvKernel#CHECKED}). */
    public static boolean isChecked() {
        return KERNEL == ConvKernel.CHECKED;
    }

    private static boolean isSse41(String isa) {
        return isa != null && (isa.equalsIgnoreCase("SSE41") || isa.equalsIgnoreCase("SSE4.1"));
    }

    static ConvKernel chooseKernel(String property, String isa) {
        if (property != null) {
            return ConvKernel.parse(property);
        }
        return isSse41(isa) ? ConvKernel.LIBRARY : ConvKernel.CHECKED;
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        inChannels = (int) inputShapes[0].get(1);
        weight.setShape(new Shape(outChannels, inChannels, kernel, kernel));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow(); // (B, C, H, W)
        // the parameter arrays themselves: never attach them to the caller's manager, only views of them
        NDArray w = ps.getValue(weight, x.getDevice(), training); // (C_out, C_in, k, k)
        NDArray bias1 = ps.getValue(bias, x.getDevice(), training);
        ConvKernel override = OVERRIDE.get();
        ConvKernel k = override != null ? override : impl;
        if (k == ConvKernel.CHECKED) {
            k = checkedKernel(x, w, training);
        }
        if (k == ConvKernel.LIBRARY) {
            int p = kernel / 2;
            return ai.djl.nn.convolutional.Conv2d.conv2d(x, w, bias1, new Shape(stride, stride), new Shape(p, p), new Shape(1, 1), 1);
        }
        if (k == ConvKernel.PADDED) {
            return new NDList(padded(x, w, bias1));
        }
        NDManager m = x.getManager();
        NDArray w2 = w.reshape(outChannels, -1);
        w2.attach(m);
        NDArray bt = bias1.reshape(1, outChannels, 1);
        bt.attach(m);
        return new NDList(gemm(x, w2, bt));
    }

    /** The kernel for this input under {@link ConvKernel#CHECKED} ({@link KernelCheck#kernelFor}). */
    private ConvKernel checkedKernel(NDArray x, NDArray w, boolean training) {
        boolean backward = ai.djl.pytorch.jni.JniUtils.isGradMode() && (training || x.hasGradient() || w.hasGradient());
        return checks.kernelFor(this, new KernelCheck.Geometry(outChannels, kernel, stride, x.getShape(), backward));
    }

    /** The library convolution with C_in and C_out zero-padded to multiples of 16; equal to the plain one in exact arithmetic. */
    private NDArray padded(NDArray x, NDArray w, NDArray bias1) {
        int ci = inChannels;
        int co = outChannels;
        int ci2 = (ci + 15) / 16 * 16;
        int co2 = (co + 15) / 16 * 16;
        NDManager m = x.getManager();
        Shape xs = x.getShape();
        NDArray xp = ci2 == ci ? x : x.concat(m.zeros(new Shape(xs.get(0), ci2 - ci, xs.get(2), xs.get(3))), 1);
        NDArray wp = ci2 == ci ? w : w.concat(m.zeros(new Shape(co, ci2 - ci, kernel, kernel)), 1);
        wp = co2 == co ? wp : wp.concat(m.zeros(new Shape(co2 - co, ci2, kernel, kernel)), 0);
        NDArray bp = co2 == co ? bias1 : bias1.concat(m.zeros(new Shape(co2 - co)), 0);
        int p = kernel / 2;
        NDArray out = ai.djl.nn.convolutional.Conv2d.conv2d(xp, wp, bp, new Shape(stride, stride), new Shape(p, p), new Shape(1, 1), 1).head();
        return co2 == co ? out : out.get(new ai.djl.ndarray.index.NDIndex(":, 0:" + co));
    }

    /** The im2col kernel: w is (C_out, C_in·k²), bt is (1, C_out, 1). */
    private NDArray gemm(NDArray x, NDArray w, NDArray bt) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long ho = (s.get(2) - 1) / stride + 1;
        long wo = (s.get(3) - 1) / stride + 1;
        NDArray cols;
        if (kernel == 1 && stride == 1) {
            cols = x.reshape(b, c, s.get(2) * s.get(3));
        } else {
            int p = kernel / 2;
            NDArray xp = p == 0 ? x : x.pad(new Shape(p, p, p, p), 0);
            NDList shifted = new NDList(kernel * kernel);
            for (int dy = 0; dy < kernel; dy++) {
                for (int dx = 0; dx < kernel; dx++) {
                    shifted.add(xp.get(":, :, " + dy + ":" + (dy + (ho - 1) * stride + 1) + ":" + stride
                            + ", " + dx + ":" + (dx + (wo - 1) * stride + 1) + ":" + stride));
                }
            }
            // (B, C, k², H_o, W_o) → (B, C·k², H_o·W_o); index c·k² + dy·k + dx matches the weight's layout
            cols = NDArrays.stack(shifted, 2).reshape(b, c * kernel * kernel, ho * wo);
        }
        NDArray out = w.matMul(cols).add(bt); // (B, C_out, H_o·W_o)
        return out.reshape(b, outChannels, ho, wo);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {new Shape(s.get(0), outChannels, (s.get(2) - 1) / stride + 1, (s.get(3) - 1) / stride + 1)};
    }
}
