package org.imagineflash.model;

import org.imagineflash.kernel.Conv2dBlock;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The DDPM/ADM residual block: h = Conv(SiLU(GN(x))) + Linear(SiLU(emb)); h = Conv(SiLU(GN(h))); out = skip(x) + h.
 * Inputs: x (B, C_in, H, W) and the time+class embedding (B, E). Output (B, C_out, H, W).
 */
public final class ResBlock extends AbstractBlock {
    private final int inChannels;
    private final int outChannels;
    private final int embDim;
    private final GroupNorm norm1;
    private final Conv2dBlock conv1;
    private final Linear embProj;
    private final GroupNorm norm2;
    private final Conv2dBlock conv2;
    private final Conv2dBlock skip;

    public ResBlock(int inChannels, int outChannels, int embDim, int groups) {
        super((byte) 1);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.embDim = embDim;
        norm1 = addChildBlock("norm1", new GroupNorm(groups, inChannels));
        conv1 = addChildBlock("conv1", conv3(outChannels));
        embProj = addChildBlock("emb", Linear.builder().setUnits(outChannels).build());
        norm2 = addChildBlock("norm2", new GroupNorm(groups, outChannels));
        conv2 = addChildBlock("conv2", conv3(outChannels));
        skip = inChannels == outChannels ? null
                : addChildBlock("skip", new Conv2dBlock(outChannels, 1, 1));
    }

    /** SiLU(x) = x·sigmoid(x) (swish with β = 1). */
    static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    static Conv2dBlock conv3(int filters) {
        return new Conv2dBlock(filters, 3, 1);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);   // (B, C_in, H, W)
        NDArray emb = inputs.get(1); // (B, E)
        NDArray h = conv1.forward(ps, new NDList(ResBlock.silu(norm1.forward(ps, new NDList(x), training).head())), training).head();
        NDArray e = embProj.forward(ps, new NDList(ResBlock.silu(emb)), training).head().reshape(-1, outChannels, 1, 1);
        h = h.add(e);
        h = conv2.forward(ps, new NDList(ResBlock.silu(norm2.forward(ps, new NDList(h), training).head())), training).head();
        NDArray s = skip == null ? x : skip.forward(ps, new NDList(x), training).head();
        return new NDList(s.add(h));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        return new Shape[] {new Shape(x.get(0), outChannels, x.get(2), x.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        Shape in = new Shape(x.get(0), inChannels, x.get(2), x.get(3));
        Shape out = new Shape(x.get(0), outChannels, x.get(2), x.get(3));
        norm1.initialize(manager, dataType, in);
        conv1.initialize(manager, dataType, in);
        embProj.initialize(manager, dataType, new Shape(x.get(0), embDim));
        norm2.initialize(manager, dataType, out);
        conv2.initialize(manager, dataType, out);
        if (skip != null) {
            skip.initialize(manager, dataType, in);
        }
    }
}
