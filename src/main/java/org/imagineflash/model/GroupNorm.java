package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

/**
 * Group normalization (Wu &amp; He 2018): y = (x − μ_g)/√(σ²_g + ε) · γ + β with statistics over each group of C/G
 * channels and all pixels. DJL has no GroupNorm block; this one runs as a single fused layer-norm over the
 * (B·G, C/G·H·W) view (each (sample, group) pair is one row), followed by the per-channel affine. (The fused
 * batch-norm route over (1, B·G, ·) does not normalise in DJL 0.36's PyTorch engine: measured, see GroupNormTest.)
 */
public final class GroupNorm extends AbstractBlock {
    private static final float EPS = 1e-5f;
    private final int groups;
    private final int channels;
    private final Parameter gamma;
    private final Parameter beta;

    public GroupNorm(int groups, int channels) {
        super((byte) 1);
        if (channels % groups != 0) {
            throw new IllegalArgumentException("channels (" + channels + ") must be divisible by groups (" + groups + ")");
        }
        this.groups = groups;
        this.channels = channels;
        gamma = addParameter(Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA)
                .optShape(new Shape(channels)).optInitializer(Initializer.ONES).build());
        beta = addParameter(Parameter.builder().setName("beta").setType(Parameter.Type.BETA)
                .optShape(new Shape(channels)).optInitializer(Initializer.ZEROS).build());
    }

    public int groups() {
        return groups;
    }

    /** ε of the normalisation. */
    public static float epsilon() {
        return EPS;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow(); // (B, C, H, W)
        Shape shape = x.getShape();
        long b = shape.get(0);
        NDManager m = x.getManager();
        long bg = b * groups;
        long n = shape.size() / bg;
        NDArray flat = x.reshape(bg, n); // (B·G, C/G·H·W)
        Shape ns = new Shape(n);
        NDArray normed = x.getNDArrayInternal().layerNorm(flat, ns, m.ones(ns), m.zeros(ns), EPS).singletonOrThrow();
        // reshaped views are attached to the caller's (per-step) manager, not the parameters' manager
        NDArray g = ps.getValue(gamma, x.getDevice(), training).reshape(1, channels, 1, 1);
        g.attach(m);
        NDArray bt = ps.getValue(beta, x.getDevice(), training).reshape(1, channels, 1, 1);
        bt.attach(m);
        return new NDList(normed.reshape(shape).mul(g).add(bt));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // no children
    }
}
