package org.imagineflash.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.model.BlockWeights;
import org.imagineflash.model.Tensors;
import org.imagineflash.train.AdamW;
import org.imagineflash.train.LrSchedule;
import org.imagineflash.train.TrainingLoop;

import java.io.PrintStream;

/**
 * Cross-entropy training of the {@link Classifier} with AdamW and a cosine learning rate; random horizontal flips and,
 * optionally, random blur: each image with probability ½ becomes (1 − s)·x + s·blur₃ₓ₃(x), s ~ U[0, 1], so that the
 * classifier reads a garment's class from its shape rather than from pixel-exact texture (what a decoder or a
 * generator cannot reproduce exactly).
 */
public final class ClassifierTraining {
    private ClassifierTraining() {
    }

    public static void train(DomainClassifier dc, LabeledImages train, long steps, int batch, double lr, long seed,
                             PrintStream progress) {
        train(dc, train, steps, batch, lr, seed, false, progress);
    }

    public static void train(DomainClassifier dc, LabeledImages train, long steps, int batch, double lr, long seed, boolean blur,
                             PrintStream progress) {
        AdamW adam = AdamW.standard(BlockWeights.parameters(dc.net()), 1e-4f);
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.COSINE, lr, Math.min(100, steps / 10), steps);
        int size = dc.config().imageSize();
        int hw = size * size;
        int k = dc.config().numClasses();
        TrainingLoop.Step step = (s, r, sub) -> {
            float[] x = new float[batch * hw];
            int[] labels = new int[batch];
            float[] tmp = new float[hw];
            for (int i = 0; i < batch; i++) {
                int idx = r.nextInt(train.size());
                labels[i] = train.labels()[idx];
                train.copyScaled(idx, tmp, 0);
                boolean flip = r.nextBoolean();
                for (int y = 0; y < size; y++) {
                    for (int xx = 0; xx < size; xx++) {
                        x[i * hw + y * size + xx] = tmp[y * size + (flip ? size - 1 - xx : xx)];
                    }
                }
                if (blur && r.nextBoolean()) {
                    blurInPlace(x, i * hw, size, (float) r.nextDouble());
                }
            }
            NDArray xa = Tensors.floats(sub, x, new Shape(batch, 1, size, size));
            NDArray onehot = Tensors.ints(sub, labels).oneHot(k).toType(DataType.FLOAT32, false);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = dc.net().forward(new ParameterStore(sub, false), new NDList(xa), true).get(0);
                NDArray l = logits.logSoftmax(1).mul(onehot).sum(new int[] {1}).mean().neg();
                gc.backward(l);
                return new float[] {l.getFloat()};
            }
        };
        try {
            new TrainingLoop("train-classifier", steps, seed, 31, schedule, adam).progress(progress).run(dc.manager(), step);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // no checkpoints: nothing is read or written
        }
    }

    /** (1 − s)·x + s·(the 3×3 binomial blur of x) for one size×size image at offset off (edges replicated). */
    static void blurInPlace(float[] x, int off, int size, float s) {
        float[] src = java.util.Arrays.copyOfRange(x, off, off + size * size);
        float[] k = {0.25f, 0.5f, 0.25f};
        for (int y = 0; y < size; y++) {
            for (int xx = 0; xx < size; xx++) {
                float acc = 0;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int yy = Math.min(size - 1, Math.max(0, y + dy));
                        int xc = Math.min(size - 1, Math.max(0, xx + dx));
                        acc += k[dy + 1] * k[dx + 1] * src[yy * size + xc];
                    }
                }
                x[off + y * size + xx] = (1 - s) * src[y * size + xx] + s * acc;
            }
        }
    }
}
