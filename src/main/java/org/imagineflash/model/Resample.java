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

/** Halving (3×3 conv, stride 2) or doubling (nearest-neighbour ×2 then 3×3 conv) of H and W; channels kept. */
public final class Resample extends AbstractBlock {
    /** Direction. */
    public enum Kind { DOWN, UP }

    private final Kind kind;
    private final Conv2dBlock conv;

    public Resample(int channels, Kind kind) {
        super((byte) 1);
        this.kind = kind;
        conv = addChildBlock("conv", new Conv2dBlock(channels, 3, kind == Kind.DOWN ? 2 : 1));
    }

    public Kind kind() {
        return kind;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0); // (B, C, H, W)
        if (kind == Kind.UP) {
            x = x.repeat(2, 2).repeat(3, 2); // (B, C, 2H, 2W)
        }
        return conv.forward(ps, new NDList(x), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        long h = kind == Kind.UP ? s.get(2) * 2 : (s.get(2) + 1) / 2;
        long w = kind == Kind.UP ? s.get(3) * 2 : (s.get(3) + 1) / 2;
        return new Shape[] {new Shape(s.get(0), s.get(1), h, w)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        conv.initialize(manager, dataType, kind == Kind.UP ? getOutputShapes(inputShapes)[0] : s);
    }
}
