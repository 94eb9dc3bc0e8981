package org.imagineflash.eval;

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
 * The domain classifier whose penultimate features play the role of Inception features (FID) and whose accuracy
 * on requested classes plays the role of CLIP score: conv3×3(32) → conv3×3/2(32) → conv3×3(64) → conv3×3/2(64)
 * (ReLU after each; 28 → 14 → 7), flatten, dense(features) + ReLU, dense(classes).
 * Output of {@link #forwardInternal}: (logits (B, K), features (B, F)).
 */
public final class Classifier extends AbstractBlock {
    private final int featureDim;
    private final int numClasses;
    private final Conv2dBlock c1 = new Conv2dBlock(32, 3, 1);
    private final Conv2dBlock c2 = new Conv2dBlock(32, 3, 2);
    private final Conv2dBlock c3 = new Conv2dBlock(64, 3, 1);
    private final Conv2dBlock c4 = new Conv2dBlock(64, 3, 2);
    private final Linear fc;
    private final Linear head;

    public Classifier(int featureDim, int numClasses) {
        super((byte) 1);
        this.featureDim = featureDim;
        this.numClasses = numClasses;
        addChildBlock("c1", c1);
        addChildBlock("c2", c2);
        addChildBlock("c3", c3);
        addChildBlock("c4", c4);
        fc = addChildBlock("fc", Linear.builder().setUnits(featureDim).build());
        head = addChildBlock("head", Linear.builder().setUnits(numClasses).build());
    }

    public int featureDim() {
        return featureDim;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray h = Activation.relu(c1.forward(ps, new NDList(x), training).head());
        h = Activation.relu(c2.forward(ps, new NDList(h), training).head());
        h = Activation.relu(c3.forward(ps, new NDList(h), training).head());
        h = Activation.relu(c4.forward(ps, new NDList(h), training).head());
        NDArray f = Activation.relu(fc.forward(ps, new NDList(h.reshape(h.getShape().get(0), -1)), training).head());
        NDArray logits = head.forward(ps, new NDList(f), training).head();
        return new NDList(logits, f);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        return new Shape[] {new Shape(b, numClasses), new Shape(b, featureDim)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        long b = x.get(0);
        long h = x.get(2);
        long w = x.get(3);
        c1.initialize(manager, dataType, x);
        c2.initialize(manager, dataType, new Shape(b, 32, h, w));
        long h2 = (h - 1) / 2 + 1;
        long w2 = (w - 1) / 2 + 1;
        c3.initialize(manager, dataType, new Shape(b, 32, h2, w2));
        c4.initialize(manager, dataType, new Shape(b, 64, h2, w2));
        long h4 = (h2 - 1) / 2 + 1;
        long w4 = (w2 - 1) / 2 + 1;
        fc.initialize(manager, dataType, new Shape(b, 64 * h4 * w4));
        head.initialize(manager, dataType, new Shape(b, featureDim));
    }
}
