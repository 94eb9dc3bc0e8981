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
 * Where a teacher's training examples come from: clean inputs x_0 and their condition, dropped to ∅ at the
 * label-dropout rate (classifier-free guidance), and each example's timestep.
 */
public interface TeacherData {
    /** A training batch: x_0 (B, C, H, W), its condition, and t (B). */
    record Batch(NDArray x0, Condition condition, int[] t) {
    }

    /** (C, H, W) of one x_0. */
    Shape exampleShape();

    /** Draws a batch of {@code size} from r; t_i ~ U{0..numTrain − 1}. */
    Batch batch(DiffusionModel model, SplittableRandom r, int size, double dropout, int numTrain, NDManager sub);

    /** Class-labelled images (Fashion-MNIST, an image folder): per example an image, its label or ∅, then t. */
    static TeacherData classImages(LabeledImages data) {
        return new TeacherData() {
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
        };
    }
}
