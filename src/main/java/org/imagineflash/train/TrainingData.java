package org.imagineflash.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.model.Condition;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.Tensors;

import java.util.SplittableRandom;

/**
 * Where a model's training examples come from: clean inputs x_0 with their condition. A teacher trains on
 * {@link #batch}es (the condition dropped to ∅ at the label-dropout rate for classifier-free guidance, a timestep per
 * example); distillation draws real {@link #examples} (the baselines, an adversarial term) or only
 * {@link #conditions} (Imagine Flash's data-free backward distillation).
 */
public interface TrainingData {
    /** A teacher's training batch: x_0 (B, C, H, W), its condition, and t (B). */
    record Batch(NDArray x0, Condition condition, int[] t) {
    }

    /** Real examples x_0 (B, C, H, W) and their conditions. */
    record Examples(NDArray x0, Condition condition) {
    }

    /** (C, H, W) of one x_0. */
    Shape exampleShape();

    /** Draws a batch of {@code size} from r; t_i ~ U{0..numTrain − 1}. */
    Batch batch(DiffusionModel model, SplittableRandom r, int size, double dropout, int numTrain, NDManager sub);

    /** Draws {@code size} real examples from r, none dropped. */
    Examples examples(DiffusionModel model, SplittableRandom r, int size, NDManager sub);

    /** Draws {@code size} conditions from r as the data holds them, without their images. */
    Condition conditions(DiffusionModel model, SplittableRandom r, int size, NDManager sub);

    /** Whether {@link #examples} has real examples to give (not so for conditions alone). */
    default boolean hasExamples() {
        return true;
    }

    /** Checks that {@code model} denoises these examples: same (C, H, W) and conditions it knows. */
    default void requireFits(DiffusionModel model) {
        var u = model.config().unet();
        Shape s = exampleShape();
        if (s.get(0) != u.inChannels() || s.get(1) != u.imageSize() || s.get(2) != u.imageSize()) {
            throw new IllegalArgumentException("the training data's examples are " + s + " but the model denoises ("
                    + u.inChannels() + ", " + u.imageSize() + ", " + u.imageSize() + ")");
        }
    }

    /** Class-labelled images (Fashion-MNIST, an image folder): per example an image, its label or ∅, then t. */
    static TrainingData classImages(LabeledImages data) {
        return new TrainingData() {
            @Override
            public Shape exampleShape() {
                return new Shape(1, data.height(), data.width());
            }

            @Override
            public Batch batch(DiffusionModel model, SplittableRandom r, int b, double dropout, int numTrain, NDManager sub) {
                int hw = data.height() * data.width();
                float[] x0 = new float[b * hw];
                int[] labels = new int[b];
                int[] t = new int[b];
                for (int i = 0; i < b; i++) {
                    int idx = r.nextInt(data.size());
                    data.copyScaled(idx, x0, i * hw);
                    labels[i] = r.nextDouble() < dropout ? model.config().unet().nullClass() : data.labels()[idx];
                    t[i] = r.nextInt(numTrain);
                }
                return new Batch(Tensors.floats(sub, x0, new Shape(b, 1, data.height(), data.width())), model.classLabels(sub, labels), t);
            }

            @Override
            public Examples examples(DiffusionModel model, SplittableRandom r, int b, NDManager sub) {
                int hw = data.height() * data.width();
                float[] x0 = new float[b * hw];
                int[] labels = new int[b];
                for (int j = 0; j < b; j++) {
                    int idx = r.nextInt(data.size());
                    data.copyScaled(idx, x0, j * hw);
                    labels[j] = data.labels()[idx];
                }
                return new Examples(Tensors.floats(sub, x0, new Shape(b, 1, data.height(), data.width())), model.classLabels(sub, labels));
            }

            @Override
            public Condition conditions(DiffusionModel model, SplittableRandom r, int b, NDManager sub) {
                return uniformClasses(data.numClasses()).conditions(model, r, b, sub);
            }

            @Override
            public void requireFits(DiffusionModel model) {
                TrainingData.super.requireFits(model);
                if (data.numClasses() > model.config().unet().numClasses()) {
                    throw new IllegalArgumentException("the data has " + data.numClasses() + " classes but the model knows "
                            + model.config().unet().numClasses());
                }
            }
        };
    }

    /**
     * Uniformly random classes of a class-conditional model, with no images: the conditions of data-free
     * distillation. Asking it for examples is an error that names the missing data.
     */
    static TrainingData uniformClasses(int numClasses) {
        return new TrainingData() {
            @Override
            public Shape exampleShape() {
                throw new IllegalStateException("class labels alone have no images");
            }

            @Override
            public boolean hasExamples() {
                return false;
            }

            @Override
            public Batch batch(DiffusionModel model, SplittableRandom r, int size, double dropout, int numTrain, NDManager sub) {
                throw new IllegalArgumentException("training on images needs the training data (--data)");
            }

            @Override
            public Examples examples(DiffusionModel model, SplittableRandom r, int size, NDManager sub) {
                throw new IllegalArgumentException("real images need the training data (--data)");
            }

            @Override
            public Condition conditions(DiffusionModel model, SplittableRandom r, int b, NDManager sub) {
                int[] labels = new int[b];
                for (int j = 0; j < b; j++) {
                    labels[j] = r.nextInt(numClasses);
                }
                return model.classLabels(sub, labels);
            }

            @Override
            public void requireFits(DiffusionModel model) {
                if (numClasses > model.config().unet().numClasses()) {
                    throw new IllegalArgumentException(numClasses + " classes but the model knows " + model.config().unet().numClasses());
                }
            }
        };
    }
}
