package org.imagineflash.distill;

import org.imagineflash.model.ClassLabels;
import org.imagineflash.model.Condition;
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
import org.imagineflash.data.LabeledImages;
import org.imagineflash.eval.SlicedWasserstein;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.Tensors;
import org.imagineflash.model.UNetConfig;
import org.imagineflash.sampling.NoiseSource;
import org.imagineflash.sampling.Sampler;
import org.imagineflash.sampling.SamplerFamily;
import org.imagineflash.sampling.SamplerOptions;
import org.imagineflash.schedule.ScheduleConfig;
import org.imagineflash.schedule.TimestepSpacing;
import org.imagineflash.train.TeacherTraining;
import org.imagineflash.train.TrainOptions;

import java.util.Random;

/**
 * A low-dimensional problem with a known data distribution: 16-D points (stored as 4×4 "images") from a
 * class-conditional mixture of Gaussians — 3 classes, 2 modes each, σ = 0.08 — and a small MLP denoiser.
 */
public final class MixtureProblem {
    public static final int CLASSES = 3;
    public static final double STD = 0.08;
    public static final double[][][] MODES = new double[CLASSES][2][16];

    static {
        Random r = new Random(42);
        for (int c = 0; c < CLASSES; c++) {
            for (int m = 0; m < 2; m++) {
                for (int j = 0; j < 16; j++) {
                    MODES[c][m][j] = r.nextBoolean() ? 0.6 : -0.6;
                }
            }
        }
    }

    private MixtureProblem() {
    }

    /** The guided-capable ε-teacher of the distillation tests: 1200 steps of the MLP, label dropout 0.1. */
    public static DiffusionModel trainTeacher() throws java.io.IOException {
        TrainOptions o = TrainOptions.builder(1200).batchSize(128).lr(3e-3).lrSchedule("cosine").warmup(50).emaDecay(0.99).labelDropout(0.1).build();
        return new TeacherTraining(config(), o, Mlp::new).run(data(6000, 1), null, false, null).ema();
    }

    /** n = 600 held-out points of the data distribution, as 16-vectors. */
    public static float[][] reference() {
        return points(data(600, 99));
    }

    public static float[][] points(LabeledImages d) {
        float[][] p = new float[d.size()][16];
        for (int i = 0; i < d.size(); i++) {
            d.copyScaled(i, p[i], 0);
        }
        return p;
    }

    /** Sliced Wasserstein distance between 600 samples of m (balanced classes, fixed noise) and the reference. */
    public static double distance(DiffusionModel m, Sampler s, double cfg, float[][] reference) {
        int n = reference.length;
        try (NDManager sub = m.manager().newSubManager()) {
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = i % CLASSES;
            }
            NDArray xT = NoiseSource.perImage(sub, 5000, n, new Shape(1, 4, 4));
            float[] f = s.sample(m.denoiser(m.classLabels(sub, labels), cfg), xT, new NoiseSource(3)).toFloatArray();
            float[][] pts = new float[n][16];
            for (int i = 0; i < n; i++) {
                System.arraycopy(f, i * 16, pts[i], 0, 16);
            }
            return SlicedWasserstein.distance(pts, reference, 64, 7);
        }
    }

    /** The teacher sampled with DDIM (η = 0) on the trailing schedule with {@code steps} steps. */
    /** The teacher with DDIM (trailing) in diffusers' DDIMScheduler default configuration: x̂_0 clipped to ±1. */
    public static double ddimClipped(DiffusionModel teacher, int steps, float[][] reference) {
        return distance(teacher, SamplerFamily.DDIM.create(teacher.schedule(),
                SamplerOptions.defaults(steps).withSpacing(TimestepSpacing.TRAILING).withClipSample(true)), 1.0, reference);
    }

    public static ModelConfig config() {
        UNetConfig u = UNetConfig.builder(4, CLASSES).baseChannels(8).channelMults(1)
                .numResBlocks(1).attentionResolutions().groups(4).heads(1).build();
        return ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS);
    }

    /** {@link #data} as distillation's training data. */
    public static org.imagineflash.train.TrainingData training(int n, long seed) {
        return org.imagineflash.train.TrainingData.classImages(data(n, seed));
    }

    /** n samples (bytes, as the data pipeline wants them), labels i mod 3. */
    public static LabeledImages data(int n, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 16];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % CLASSES;
            labels[i] = c;
            double[] mu = MODES[c][r.nextInt(2)];
            for (int j = 0; j < 16; j++) {
                double v = mu[j] + STD * r.nextGaussian();
                px[i * 16 + j] = (byte) Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
            }
        }
        return new LabeledImages(px, labels, 4, 4, CLASSES);
    }

    /** MLP: [x, sinusoidal(t), onehot(c)] → 256 → 256 → 16, SiLU. */
    public static final class Mlp extends AbstractBlock implements org.imagineflash.model.FeatureNetwork {
        private final Linear l1 = Linear.builder().setUnits(256).build();
        private final Linear l2 = Linear.builder().setUnits(256).build();
        private final Linear l3 = Linear.builder().setUnits(16).build();

        Mlp(UNetConfig ignored) {
            super((byte) 1);
            addChildBlock("l1", l1);
            addChildBlock("l2", l2);
            addChildBlock("l3", l3);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
            NDList h = hidden(ps, in.get(0), in.get(1), in.get(2), training);
            return new NDList(l3.forward(ps, new NDList(h.get(1)), training).head().reshape(in.get(0).getShape()));
        }

        /** The two hidden layers, (B, 256) each. */
        @Override
        public NDList features(ParameterStore ps, NDArray x, NDArray t, Condition c) {
            return hidden(ps, x, t, ClassLabels.labelsOf(c), false);
        }

        private NDList hidden(ParameterStore ps, NDArray x, NDArray tIn, NDArray labels, boolean training) {
            long b = x.getShape().get(0);
            NDArray t = tIn.toType(DataType.FLOAT32, false).reshape(-1, 1);
            float[] f = new float[8];
            for (int i = 0; i < 8; i++) {
                f[i] = (float) Math.exp(-Math.log(1000) * i / 8);
            }
            NDArray args = t.mul(Tensors.floats(x.getManager(), f).reshape(1, 8));
            NDArray onehot = labels.toType(DataType.INT32, false).oneHot(CLASSES + 1).toType(DataType.FLOAT32, false);
            NDArray h = NDArrayConcat.of(x.reshape(b, 16), args.sin(), args.cos(), onehot);
            NDArray h1 = silu(l1.forward(ps, new NDList(h), training).head());
            NDArray h2 = silu(l2.forward(ps, new NDList(h1), training).head());
            return new NDList(h1, h2);
        }

        private static NDArray silu(NDArray x) {
            return x.mul(Activation.sigmoid(x));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] s) {
            return new Shape[] {s[0]};
        }

        @Override
        protected void initializeChildBlocks(NDManager m, DataType dt, Shape... s) {
            l1.initialize(m, dt, new Shape(1, 16 + 16 + CLASSES + 1));
            l2.initialize(m, dt, new Shape(1, 256));
            l3.initialize(m, dt, new Shape(1, 256));
        }
    }

    /** Concatenation along the feature axis. */
    public static final class NDArrayConcat {
        private NDArrayConcat() {
        }

        static NDArray of(NDArray... parts) {
            return ai.djl.ndarray.NDArrays.concat(new NDList(parts), 1);
        }
    }
}
