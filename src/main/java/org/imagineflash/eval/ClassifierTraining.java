package org.imagineflash.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import me.tongfei.progressbar.ProgressBar;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.model.BlockWeights;
import org.imagineflash.model.KernelCheck;
import org.imagineflash.model.Tensors;
import org.imagineflash.train.AdamW;
import org.imagineflash.train.LrSchedule;
import org.imagineflash.train.Seeds;
import org.imagineflash.train.TeacherTraining;

import java.io.PrintStream;
import java.util.SplittableRandom;

/** Cross-entropy training of the {@link Classifier} with AdamW and a cosine learning rate; random horizontal flips. */
public final class ClassifierTraining {
    private ClassifierTraining() {
    }

    public static void train(DomainClassifier dc, LabeledImages train, long steps, int batch, double lr, long seed,
                             PrintStream progress) {
        AdamW adam = AdamW.standard(BlockWeights.parameters(dc.net()), 1e-4f);
        LrSchedule schedule = new LrSchedule("cosine", lr, Math.min(100, steps / 10), steps);
        int size = dc.config().imageSize();
        int hw = size * size;
        int k = dc.config().numClasses();
        try (ProgressBar pb = TeacherTraining.progress("train-classifier", steps, 0, progress)) {
            for (long step = 0; step < steps; step++) {
                SplittableRandom r = Seeds.stream(seed, step, 31);
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
                }
                float loss;
                try (NDManager sub = dc.manager().newSubManager()) {
                    NDArray xa = Tensors.floats(sub, x, new Shape(batch, 1, size, size));
                    NDArray onehot = Tensors.ints(sub, labels).oneHot(k).toType(DataType.FLOAT32, false);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = dc.net().forward(new ParameterStore(sub, false), new NDList(xa), true).get(0);
                        NDArray l = logits.logSoftmax(1).mul(onehot).sum(new int[] {1}).mean().neg();
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    adam.step((float) schedule.at(step));
                    KernelCheck.verifyPending();
                }
                pb.stepTo(step + 1);
                pb.setExtraMessage(String.format("loss %.4f", loss));
            }
        }
    }
}
