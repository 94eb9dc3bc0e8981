package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.imagineflash.kernel.Conv2dBlock;

/**
 * Multi-head cross-attention from image positions to prompt tokens, with a residual (latent diffusion's conditioning,
 * Rombach et al. 2022): x + Proj(softmax(Q Kᵀ/√d) V), Q from GroupNorm(x), K and V from the token sequence.
 * Inputs: x (B, C, H, W) and the text encoder's sequence (B, L, W). Output (B, C, H, W).
 */
public final class CrossAttention extends AbstractBlock {
    private final int channels;
    private final int heads;
    private final GroupNorm norm;
    private final Conv2dBlock q;
    private final Linear kv;
    private final Conv2dBlock proj;

    public CrossAttention(int channels, int heads, int groups) {
        super((byte) 1);
        if (channels % heads != 0) {
            throw new IllegalArgumentException("attention channels (" + channels + ") must be divisible by heads (" + heads + ")");
        }
        this.channels = channels;
        this.heads = heads;
        norm = addChildBlock("norm", new GroupNorm(groups, channels));
        q = addChildBlock("q", new Conv2dBlock(channels, 1, 1));
        kv = addChildBlock("kv", Linear.builder().setUnits(2L * channels).build());
        proj = addChildBlock("proj", new Conv2dBlock(channels, 1, 1));
    }

    public int heads() {
        return heads;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray context = inputs.get(1); // (B, L, W)
        Shape s = x.getShape();
        long b = s.get(0);
        long n = s.get(2) * s.get(3);
        long l = context.getShape().get(1);
        long d = channels / heads;
        NDArray qs = q.forward(ps, norm.forward(ps, new NDList(x), training), training).head()
                .reshape(b, heads, d, n).reshape(b * heads, d, n).transpose(0, 2, 1); // (B·h, N, d)
        NDArray kvs = kv.forward(ps, new NDList(context), training).head(); // (B, L, 2C)
        NDArray k = kvs.get(":, :, 0:" + channels).reshape(b, l, heads, d).transpose(0, 2, 3, 1).reshape(b * heads, d, l);
        NDArray v = kvs.get(":, :, " + channels + ":").reshape(b, l, heads, d).transpose(0, 2, 1, 3).reshape(b * heads, l, d);
        NDArray scale = Tensors.floats(x.getManager(), new float[] {(float) (1.0 / Math.sqrt(d))}); // see SelfAttention
        NDArray attn = qs.matMul(k).mul(scale).softmax(-1); // (B·h, N, L)
        NDArray o = attn.matMul(v).transpose(0, 2, 1).reshape(b, channels, s.get(2), s.get(3)); // (B, C, H, W)
        return new NDList(x.add(proj.forward(ps, new NDList(o), training).head()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        norm.initialize(manager, dataType, inputShapes[0]);
        q.initialize(manager, dataType, inputShapes[0]);
        kv.initialize(manager, dataType, inputShapes[1]);
        proj.initialize(manager, dataType, inputShapes[0]);
    }
}
