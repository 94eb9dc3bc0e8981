package org.imagineflash.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.imagineflash.model.Tensors;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class Conv2dBlockTest {
    /** Direct definition: out[b,o,y,x] = bias[o] + Σ_{c,dy,dx} w[o,c,dy,dx] · in[b,c,y·s+dy−p, x·s+dx−p] (zero outside). */
    static float[] naive(float[] in, float[] w, float[] bias, int b, int c, int h, int wd, int o, int k, int s) {
        int p = k / 2;
        int ho = (h - 1) / s + 1;
        int wo = (wd - 1) / s + 1;
        float[] out = new float[b * o * ho * wo];
        for (int n = 0; n < b; n++) {
            for (int oc = 0; oc < o; oc++) {
                for (int y = 0; y < ho; y++) {
                    for (int x = 0; x < wo; x++) {
                        double acc = bias[oc];
                        for (int ic = 0; ic < c; ic++) {
                            for (int dy = 0; dy < k; dy++) {
                                for (int dx = 0; dx < k; dx++) {
                                    int iy = y * s + dy - p;
                                    int ix = x * s + dx - p;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                        acc += w[((oc * c + ic) * k + dy) * k + dx] * in[((n * c + ic) * h + iy) * wd + ix];
                                    }
                                }
                            }
                        }
                        out[((n * o + oc) * ho + y) * wo + x] = (float) acc;
                    }
                }
            }
        }
        return out;
    }

    private static void check(int k, int s, int h) {
        check(k, s, h, ConvKernel.GEMM);
        check(k, s, h, ConvKernel.LIBRARY);
    }

    private static void check(int k, int s, int h, ConvKernel impl) {
        int b = 2;
        int c = 3;
        int o = 4;
        try (NDManager m = NDManager.newBaseManager()) {
            Conv2dBlock conv = new Conv2dBlock(o, k, s, impl);
            conv.initialize(m, DataType.FLOAT32, new Shape(b, c, h, h));
            Random r = new Random(7);
            float[] in = new float[b * c * h * h];
            for (int i = 0; i < in.length; i++) {
                in[i] = (float) r.nextGaussian();
            }
            NDArray w = conv.getParameters().get("weight").getArray();
            NDArray bias = conv.getParameters().get("bias").getArray();
            bias.addi(0.5f);
            float[] expected = naive(in, w.toFloatArray(), bias.toFloatArray(), b, c, h, h, o, k, s);
            NDArray x = Tensors.floats(m, in, new Shape(b, c, h, h));
            NDArray out = conv.forward(new ParameterStore(m, false), new NDList(x), false).head();
            int ho = (h - 1) / s + 1;
            assertEquals(new Shape(b, o, ho, ho), out.getShape());
            assertArrayEquals(expected, out.toFloatArray(), 1e-4f, impl.id());
        }
    }

    @Test
    void matchesTheDefinition3x3() {
        check(3, 1, 5);
    }

    @Test
    void matchesTheDefinitionStride2() {
        check(3, 2, 6);
        check(3, 2, 7);
    }

    @Test
    void matchesTheDefinition1x1() {
        check(1, 1, 4);
    }

    @Test
    void bothKernelsAgreeInGradientModeOverRepeatedSteps() {
        // the failure this guards against: oneDNN's convolution returning NaN / wrong values after backward passes
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(8, 16, 28, 28);
            Conv2dBlock gemm = new Conv2dBlock(16, 3, 1, ConvKernel.GEMM);
            Conv2dBlock lib = new Conv2dBlock(16, 3, 1, ConvKernel.LIBRARY);
            gemm.initialize(m, DataType.FLOAT32, in);
            lib.initialize(m, DataType.FLOAT32, in);
            lib.getParameters().get("weight").getArray().set(gemm.getParameters().get("weight").getArray().toFloatArray());
            Random r = new Random(3);
            for (int it = 0; it < 20; it++) {
                float[] data = new float[(int) in.size()];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) r.nextGaussian();
                }
                float[][] outs = new float[2][];
                float[][] grads = new float[2][];
                Conv2dBlock[] blocks = {gemm, lib};
                for (int k = 0; k < 2; k++) {
                    try (NDManager sub = m.newSubManager();
                         ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                        NDArray x = Tensors.floats(sub, data, in);
                        x.setRequiresGradient(true);
                        NDArray out = blocks[k].forward(new ParameterStore(sub, false), new NDList(x), true).head();
                        gc.backward(out.square().sum());
                        outs[k] = out.toFloatArray();
                        grads[k] = x.getGradient().toFloatArray();
                    }
                }
                assertArrayEquals(outs[0], outs[1], 1e-3f, "output, step " + it);
                assertArrayEquals(grads[0], grads[1], 1e-2f, "input gradient, step " + it);
            }
        }
    }

    @Test
    void kernelChoice() {
        assertEquals(ConvKernel.LIBRARY, Conv2dBlock.chooseKernel(null, "SSE41"));
        // above SSE4.1 (or no limit) each block checks its kernel per shape
        assertEquals(ConvKernel.CHECKED, Conv2dBlock.chooseKernel(null, null));
        assertEquals(ConvKernel.CHECKED, Conv2dBlock.chooseKernel(null, "AVX512_CORE"));
        assertEquals(ConvKernel.CHECKED, Conv2dBlock.chooseKernel("checked", "SSE41"));
        assertEquals(ConvKernel.GEMM, Conv2dBlock.chooseKernel("gemm", "SSE41"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Conv2dBlock.chooseKernel("fast", null));
    }
}
