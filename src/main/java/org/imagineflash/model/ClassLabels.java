package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Class-label conditioning: one class index per image, {@code nullClass} (= the number of real classes) meaning ∅.
 *
 * @param labels (B) int32 class indices
 * @param nullClass the index the network was trained on for a dropped label
 */
public record ClassLabels(NDArray labels, int nullClass) implements Condition {
    public ClassLabels {
        if (labels.getShape().dimension() != 1) {
            throw new IllegalArgumentException("class labels must be a vector (B), got shape " + labels.getShape());
        }
    }

    /** Labels as an int32 tensor of {@code manager}. */
    public static ClassLabels of(NDManager manager, int[] labels, int nullClass) {
        return new ClassLabels(Tensors.ints(manager, labels), nullClass);
    }

    /** The labels of a condition that must be class labels (a class-conditional network's input). */
    public static NDArray labelsOf(Condition c) {
        if (c instanceof ClassLabels l) {
            return l.labels();
        }
        throw new IllegalArgumentException("this network is class-conditional; it cannot take " + c.getClass().getSimpleName());
    }

    @Override
    public long batchSize() {
        return labels.getShape().get(0);
    }

    @Override
    public NDList inputs() {
        return new NDList(labels);
    }

    @Override
    public ClassLabels unconditional() {
        return new ClassLabels(labels.getManager().full(labels.getShape(), nullClass, labels.getDataType()), nullClass);
    }

    /** One-hot over the real classes; ∅ (the null class) is all zeros. */
    @Override
    public NDArray code() {
        return labels.toType(ai.djl.ndarray.types.DataType.INT32, false).oneHot(nullClass + 1).get(":, :" + nullClass);
    }

    @Override
    public ClassLabels concat(Condition other) {
        return new ClassLabels(labels.concat(labelsOf(other)), nullClass);
    }
}
