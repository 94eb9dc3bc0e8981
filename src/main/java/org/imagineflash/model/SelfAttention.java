package org.imagineflash.model;

import org.imagineflash.kernel.Conv2dBlock;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Spatial multi-head self-attention with a residual: x + Proj(softmax(QᵀK/√d) V) over the H·W positions.
 * Input and output (B, C, H, W).
 */
public final class SelfAttention extends AbstractBlock {
    private final int channels;
    private final int heads;
    private final GroupNorm norm;
    private final Conv2dBlock qkv;
    private final Conv2dBlock proj;

    public SelfAttention(int channels, int heads, int groups) {
        super((byte) 1);
        if (channels % heads != 0) {
            throw new IllegalArgumentException("attention channels (" + channels + ") must be divisible by heads (" + heads + ")");
        }
        this.channels = channels;
        this.heads = heads;
        norm = addChildBlock("norm", new GroupNorm(groups, channels));
        qkv = addChildBlock("qkv", new Conv2dBlock(3 * channels, 1, 1));
        proj = addChildBlock("proj", new Conv2dBlock(channels, 1, 1));
    }

    public int heads() {
        return heads;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape s = x.getShape();
        long b = s.get(0);
        long n = s.get(2) * s.get(3);
        long d = channels / heads;
        NDArray h = qkv.forward(ps, norm.forward(ps, new NDList(x), training), training).head(); // (B, 3C, H, W)
        NDArray r = h.reshape(b, 3, heads, d, n);
        NDArray q = r.get(":,0").reshape(b * heads, d, n);
        NDArray k = r.get(":,1").reshape(b * heads, d, n);
        NDArray v = r.get(":,2").reshape(b * heads, d, n);
        // the 1/√d scale is a PyTorch-owned tensor: a Java scalar would be saved for backward in freed memory (see Tensors)
        NDArray scale = Tensors.floats(x.getManager(), new float[] {(float) (1.0 / Math.sqrt(d))});
        NDArray attn = q.transpose(0, 2, 1).matMul(k).mul(scale).softmax(-1); // (B·h, N, N)
        NDArray o = v.matMul(attn.transpose(0, 2, 1)).reshape(b, channels, s.get(2), s.get(3)); // (B, C, H, W)
        return new NDList(x.add(proj.forward(ps, new NDList(o), training).head()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        norm.initialize(manager, dataType, inputShapes[0]);
        qkv.initialize(manager, dataType, inputShapes[0]);
        proj.initialize(manager, dataType, inputShapes[0]);
    }
}
