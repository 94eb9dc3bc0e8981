package org.imagineflash.distill;

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
import org.imagineflash.kernel.Conv2dBlock;

/**
 * Conditional projection discriminator (Miyato &amp; Koyama 2018) on images: three stride-2 3×3 convolutions
 * with leaky ReLU (28 → 14 → 7 → 4 on Fashion-MNIST, 12 → 6 → 3 → 2 on scene latents), global average pooling to h,
 * then D(x, c) = w·h + b + ⟨embed(code(c)), h⟩. Inputs: x (B, C, H, W), the condition's code (B, K)
 * ({@link org.imagineflash.model.Condition#code}). Output: (B) real-valued scores (hinge loss).
 */
public final class Discriminator extends AbstractBlock {
    private final int codeSize;
    private final int width;
    private final Conv2dBlock c1;
    private final Conv2dBlock c2;
    private final Conv2dBlock c3;
    private final Linear out;
    private final Linear embed;

    public Discriminator(int codeSize, int width) {
        super((byte) 1);
        this.codeSize = codeSize;
        this.width = width;
        c1 = addChildBlock("c1", new Conv2dBlock(width, 3, 2));
        c2 = addChildBlock("c2", new Conv2dBlock(2 * width, 3, 2));
        c3 = addChildBlock("c3", new Conv2dBlock(2 * width, 3, 2));
        out = addChildBlock("out", Linear.builder().setUnits(1).build());
        embed = addChildBlock("embed", Linear.builder().setUnits(2 * width).optBias(false).build());
    }

    private static NDArray leaky(NDArray x) {
        return Activation.leakyRelu(x, 0.2f);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray code = inputs.get(1);
        NDArray h = leaky(c1.forward(ps, new NDList(x), training).head());
        h = leaky(c2.forward(ps, new NDList(h), training).head());
        h = leaky(c3.forward(ps, new NDList(h), training).head());
        h = h.mean(new int[] {3}).mean(new int[] {2}); // (B, 2w) (one axis at a time: the engine reduces one axis per call)
        NDArray e = embed.forward(ps, new NDList(code), training).head(); // (B, 2w)
        NDArray score = out.forward(ps, new NDList(h), training).head().reshape(-1).add(e.mul(h).sum(new int[] {1}));
        return new NDList(score);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        long b = x.get(0);
        c1.initialize(manager, dataType, x);
        Shape s1 = c1.getOutputShapes(new Shape[] {x})[0];
        c2.initialize(manager, dataType, new Shape(b, width, s1.get(2), s1.get(3)));
        Shape s2 = c2.getOutputShapes(new Shape[] {new Shape(b, width, s1.get(2), s1.get(3))})[0];
        c3.initialize(manager, dataType, s2);
        out.initialize(manager, dataType, new Shape(b, 2L * width));
        embed.initialize(manager, dataType, new Shape(b, codeSize));
    }
}
