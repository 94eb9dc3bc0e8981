package org.imagineflash.distill.baseline;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.imagineflash.train.TrainingData;
import org.imagineflash.distill.DistillOptions;
import org.imagineflash.distill.Distillation;
import org.imagineflash.distill.DistillationLoop;
import org.imagineflash.distill.OptionIds;
import org.imagineflash.model.Condition;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.NoiseLevels;
import org.imagineflash.model.Prediction;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.model.Tensors;
import org.imagineflash.sampling.LcmMultistep;
import org.imagineflash.train.Checkpoint;
import org.imagineflash.train.Ema;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Latent consistency distillation (Luo et al. 2023, Algorithm 1; here in pixel space): the student f_θ learns to map
 * any point of the guided teacher's probability-flow trajectory to its origin, with one DDIM solver step of skipping
 * interval k = T/N as the ODE solver (N = 50 by default: the LCM default k = 20 on 1000 steps). A smaller N makes the
 * chain of targets between the anchor at t = 0 and t = T shorter (N links) at the price of a coarser solver step.
 * <pre>
 *   t_{n+k} on the skipping grid {k−1, 2k−1, …, T−1} (one per example),  t_n = max(t_{n+k} − k, 0)
 *   z = α x + σ ε                                                    (real x, label c)
 *   ẑ_{t_n} = α_{t_n}·x̂_0^Φ(z, t_{n+k}) + σ_{t_n}·ε̂^Φ(z, t_{n+k})       (guided teacher, scale w = --cfg)
 *   f_θ(x, t) = c_skip(t)·x + c_out(t)·x̂_0^θ(x, t)                      (boundary condition, as LCMScheduler)
 *   L = d(f_θ(z, t_{n+k}), f_θ⁻(ẑ_{t_n}, t_n))                           (θ⁻: EMA target network, decay 0.95)
 * </pre>
 * d is L2 or the pseudo-Huber distance √(‖a−b‖² + c²) − c with c = 0.001 (per pixel, as the LCM training script).
 * The student samples with {@link LcmMultistep} on the same skipping schedule (any step count up to the number it was
 * configured for; N is in its {@link StudentConfig}).
 */
public final class LatentConsistencyDistillation implements Distillation {
    public static final String METHOD = "lcm";
    public static final int ORIGINAL_STEPS = StudentConfig.LCM_ORIGINAL_STEPS;
    static final double HUBER_C = 0.001;
    private final DiffusionModel teacher;
    private final DistillOptions opt;
    private final TrainingData data;
    private final Options method;
    private final DiffusionModel init;

    /** The distance d between the student's and the target network's consistency outputs. */
    public enum Distance {
        /** Mean squared error. */
        L2,
        /** The pseudo-Huber distance, per pixel (the LCM training script's default). */
        HUBER;

        public static Distance parse(String s) {
            return OptionIds.parse(Distance.class, s, "--lcm-loss");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How the distance's gradient reaches the student's output. */
    public enum Gradient {
        /**
         * Through ∂x̂_0/∂output, as the LCM script: for an ε student σ/α, 152 at t = 999 on our linear schedule (14.6 on
         * Stable Diffusion's), so the high-noise examples decide the update.
         */
        SCRIPT,
        /** Divided per example by that factor ({@link DistillationLoop.StudentOutput#x0EvenGradient}): every grid timestep moves the output alike. */
        EVEN;

        public static Gradient parse(String s) {
            return OptionIds.parse(Gradient.class, s, "--lcm-gradient");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * LCM's own options.
     *
     * @param distance d of the consistency loss
     * @param targetDecay EMA decay μ of the target network θ⁻
     * @param originalSteps N of the skipping schedule: the solver step spans k = T/N training timesteps (LCM: 50)
     * @param gradient how the distance's gradient reaches the student's output
     */
    public record Options(Distance distance, double targetDecay, int originalSteps, Gradient gradient) {
        public Options {
            if (distance == null) {
                throw new IllegalArgumentException("--lcm-loss must be l2 or huber");
            }
            if (!(targetDecay >= 0 && targetDecay < 1)) {
                throw new IllegalArgumentException("--lcm-target-decay must be in [0, 1), got " + targetDecay);
            }
            if (originalSteps < 2 || originalSteps > 1000) {
                throw new IllegalArgumentException("--lcm-original-steps must be in 2..1000, got " + originalSteps);
            }
            if (gradient == null) {
                throw new IllegalArgumentException("--lcm-gradient must be script or even");
            }
        }

        /** With the script's gradient. */
        public Options(Distance distance, double targetDecay, int originalSteps) {
            this(distance, targetDecay, originalSteps, Gradient.SCRIPT);
        }

        /** With the LCM default N = 50. */
        public Options(Distance distance, double targetDecay) {
            this(distance, targetDecay, ORIGINAL_STEPS);
        }

        /** The LCM training script's: pseudo-Huber, μ = 0.95. */
        public static Options script() {
            return new Options(Distance.HUBER, 0.95);
        }
    }

    /** @param init the student's starting weights (null: the teacher's) */
    public LatentConsistencyDistillation(DiffusionModel teacher, DistillOptions options, Options method, TrainingData data,
                                         DiffusionModel init) {
        if (data == null || !data.hasExamples()) {
            throw new IllegalArgumentException("consistency distillation trains on real images: it needs the training data (--data)");
        }
        data.requireFits(teacher);
        int original = method.originalSteps();
        if (teacher.schedule().numTrainTimesteps() % original != 0) {
            throw new IllegalArgumentException("the teacher's training timesteps must be a multiple of --lcm-original-steps " + original);
        }
        int numTrain = teacher.schedule().numTrainTimesteps();
        int n = options.timesteps().length;
        if (!java.util.Arrays.equals(options.timesteps(), LcmMultistep.skippingTimesteps(numTrain, original, n))) {
            throw new IllegalArgumentException("an LCM student samples on the LCM schedule: use --steps, not --timesteps");
        }
        this.teacher = teacher;
        this.opt = options;
        this.data = data;
        this.method = method;
        this.init = init;
    }

    @Override
    public ModelConfig studentConfig() {
        return Distillation.studentConfig(teacher, opt.studentPrediction(), new StudentConfig(METHOD, opt.timesteps(), false, StudentConfig.Sampling.LCM,
                method.originalSteps()));
    }

    /** f(x, t) = c_skip(t)·x + c_out(t)·x̂_0 (LCMScheduler's boundary condition), one timestep per sample. */
    static NDArray consistency(NDArray x, NDArray x0, int[] t, NDManager m) {
        float[] skip = new float[t.length];
        float[] out = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            skip[i] = (float) LcmMultistep.cSkip(t[i]);
            out[i] = (float) LcmMultistep.cOut(t[i]);
        }
        return x0.mul(Tensors.floats(m, out).reshape(-1, 1, 1, 1)).add(x.mul(Tensors.floats(m, skip).reshape(-1, 1, 1, 1)));
    }

    @Override
    public Result run(Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        ModelConfig sc = studentConfig();
        try (DiffusionModel targetNet = Distillation.startingPoint(teacher, init, sc)) {
            targetNet.network().freezeParameters(true);
            return Distillation.Scope.run(teacher, init, sc, scope -> run(scope, targetNet, checkpointDir, resume, progressOut));
        }
    }

    private Result run(Distillation.Scope scope, DiffusionModel targetNet, Path checkpointDir, boolean resume, PrintStream progressOut)
            throws IOException {
        DiffusionModel student = scope.student();
        Ema targetUpdate = new Ema(student.parameters(), targetNet.parameters(), method.targetDecay());
        Checkpoint.Extra extra = new Checkpoint.Extra() {
            @Override
            public void save(Path dir) throws IOException {
                ModelStore.writeWeights(targetNet, dir.resolve("target.params"));
            }

            @Override
            public void load(Path dir) throws IOException {
                ModelStore.readWeights(targetNet, dir.resolve("target.params"));
            }
        };
        int numTrain = teacher.schedule().numTrainTimesteps();
        int original = method.originalSteps();
        int k = numTrain / original;
        int b = opt.batchSize();
        Shape shape = DistillationLoop.batchShape(teacher, b);
        DistillationLoop.Step step = new DistillationLoop.Step() {
            @Override
            public float[] loss(long s, SplittableRandom r, NDManager sub) {
                // one skipping-grid timestep per example, as the LCM training script draws them
                int[] tHigh = new int[b];
                int[] tLow = new int[b];
                double mean = 0;
                for (int i = 0; i < b; i++) {
                    tHigh[i] = (r.nextInt(original) + 1) * k - 1;
                    tLow[i] = Math.max(tHigh[i] - k, 0);
                    mean += tHigh[i] / (double) b;
                }
                DistillationLoop.NoisedBatch batch = DistillationLoop.noisedBatch(teacher, data, r, shape, tHigh, sub);
                Condition lab = batch.condition();
                NDArray z = batch.z();
                // one guided DDIM step of the teacher: t_{n+k} → t_n
                Prediction p = teacher.predict(z, tHigh, lab, opt.cfg());
                NDArray zLow = new NoiseLevels(teacher.schedule()).noise(p.x0(), p.eps(), tLow, sub);
                NDArray goal = consistency(zLow, targetNet.predict(zLow, tLow, lab, 1.0).x0(), tLow, sub);
                float loss;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    DistillationLoop.StudentOutput so = DistillationLoop.forward(student, z, tHigh, lab, sub);
                    NDArray f = consistency(z, method.gradient() == Gradient.EVEN ? so.x0EvenGradient() : so.x0(), tHigh, sub);
                    NDArray diff = f.sub(goal);
                    NDArray l = method.distance() == Distance.L2 ? diff.square().mean()
                            : diff.square().add(HUBER_C * HUBER_C).sqrt().sub(HUBER_C).mean();
                    gc.backward(l);
                    loss = l.getFloat();
                }
                return new float[] {loss, (float) mean};
            }

            @Override
            public void afterUpdate(long s, NDManager sub) {
                targetUpdate.update(s);
            }

            @Override
            public String describe(float[] terms) {
                return String.format("mean t %d %s %.5f", (int) terms[1], method.distance(), terms[0]);
            }
        };
        return DistillationLoop.run("lcm-distill", student, scope.ema(), opt, 23, extra, step, checkpointDir, resume, progressOut);
    }
}
