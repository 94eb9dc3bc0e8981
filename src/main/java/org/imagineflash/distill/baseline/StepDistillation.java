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
import org.imagineflash.model.DataRange;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Condition;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.Prediction;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.schedule.TimestepSpacing;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Guided step distillation (Meng et al. 2023, "On distillation of guided diffusion models", built on progressive
 * distillation, Salimans &amp; Ho 2022): the student learns in one DDIM step what its teacher does in two; the
 * step count is halved stage by stage (e.g. 16 → 8 → 4), each stage's student initialised from the previous one,
 * which becomes the next stage's teacher. The first stage's teacher is the guided teacher (guidance {@code --cfg}
 * fixed), so the students need no guidance.
 *
 * <p>One step of a stage with student timesteps t_0 &gt; … &gt; t_{n−1} (trailing): real x and label c, a random
 * step i, z_t = α_t x + σ_t ε at t = t_i; the teacher takes two DDIM steps t → t' = (t + t'')/2 → t'' = t_{i+1}
 * (t'' = clean for the last step); the target x̃ is the x̂_0 with which one DDIM step of the student from z_t lands on
 * the teacher's z'':
 * <pre>
 *   x̃ = (z'' − (σ''/σ)·z_t) / (α'' − (σ''/σ)·α)         (Salimans &amp; Ho, Algorithm 2; x̃ = z'' at t'' = clean)
 * </pre>
 * The loss regresses the student onto x̃ in its network's own output space ({@link DistillationLoop.StudentOutput#regressionTo}):
 * for an x_0 student ‖x̃ − x̂_0‖², for an ε student the SNR-weighted version (Salimans &amp; Ho use v or x with
 * "truncated SNR" weighting max(SNR, 1)).
 * {@code --iterations} is the whole budget, split evenly over the stages. The teacher's DDIM steps do not clip x̂_0
 * between steps: clipping with guidance ruins DDIM at many steps (see the comment in the loss). The student samples
 * with x̂_0 clipped to the data range ([−1, 1] for images) before re-noising, as diffusers' DDIM default
 * ({@code clip_sample}) and every other few-step student here: the guidance is distilled into it, so clipping only
 * removes the overshoot of its high-noise x̂_0 (measured on Fashion-MNIST, n = 2000: 4 steps FD 22.3 clipped vs 32.0
 * unclipped, 8 steps 19.9 vs 26.0).
 */
public final class StepDistillation implements Distillation {
    public static final String METHOD = "step";
    private final DiffusionModel teacher;
    private final DistillOptions opt;
    private final TrainingData data;
    private final int startSteps;
    private final DiffusionModel init;

    /**
     * @param startSteps the first stage's teacher step count (a power-of-two multiple of the student's steps)
     * @param init the first stage's starting weights (null: the teacher's)
     */
    public StepDistillation(DiffusionModel teacher, DistillOptions options, TrainingData data, int startSteps, DiffusionModel init) {
        if (data == null || !data.hasExamples()) {
            throw new IllegalArgumentException("step distillation trains on real images: it needs the training data (--data)");
        }
        data.requireFits(teacher);
        int n = options.timesteps().length;
        if (startSteps <= n || Integer.bitCount(startSteps / n) != 1 || startSteps % n != 0 || startSteps > 256) {
            throw new IllegalArgumentException("--start-steps must be " + n + "·2^j (j ≥ 1, at most 256), got " + startSteps);
        }
        int numTrain = teacher.schedule().numTrainTimesteps();
        if (!java.util.Arrays.equals(options.timesteps(), TimestepSpacing.TRAILING.timesteps(numTrain, n, 0))) {
            throw new IllegalArgumentException("step distillation halves trailing schedules: use --steps, not --timesteps");
        }
        if (options.iterations() < stages(startSteps, n)) {
            throw new IllegalArgumentException("--iterations must be at least the number of stages (" + stages(startSteps, n) + ")");
        }
        this.teacher = teacher;
        this.opt = options;
        this.data = data;
        this.startSteps = startSteps;
        this.init = init;
    }

    static int stages(int startSteps, int steps) {
        return Integer.numberOfTrailingZeros(startSteps / steps);
    }

    private ModelConfig config(int steps) {
        int[] ts = TimestepSpacing.TRAILING.timesteps(teacher.schedule().numTrainTimesteps(), steps, 0);
        return Distillation.studentConfig(teacher, opt.studentPrediction(), new StudentConfig(METHOD, ts, false, StudentConfig.Sampling.CLIPPED));
    }

    @Override
    public ModelConfig studentConfig() {
        return config(opt.timesteps().length);
    }

    @Override
    public Result run(Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        int n = opt.timesteps().length;
        int stages = stages(startSteps, n);
        long perStage = opt.iterations() / stages;
        DiffusionModel stageTeacher = teacher;
        double cfg = opt.cfg();
        List<float[]> losses = new ArrayList<>();
        double wall = 0;
        Result r = null;
        for (int stage = 1; stage <= stages; stage++) {
            int steps = startSteps >> stage;
            long iters = stage == stages ? opt.iterations() - perStage * (stages - 1) : perStage;
            Path dir = checkpointDir == null ? null : checkpointDir.resolve("stage-" + stage + "-" + steps + "steps");
            boolean resumeStage = resume && dir != null && java.nio.file.Files.exists(dir.resolve(org.imagineflash.train.Checkpoint.STATE));
            r = stage(stageTeacher, cfg, config(steps), steps * 2, iters, stage, dir, resumeStage, progressOut);
            losses.addAll(r.losses());
            wall += r.wallSeconds();
            if (stageTeacher != teacher) {
                stageTeacher.close();
            }
            stageTeacher = r.ema();
            cfg = 1.0; // guidance is distilled into the first stage's student
        }
        return new Result(r.ema(), losses, wall, opt.iterations());
    }

    /** One halving stage: a student with {@code teacherSteps / 2} steps learns a teacher's two DDIM steps. */
    private Result stage(DiffusionModel stageTeacher, double cfg, ModelConfig sc, int teacherSteps, long iterations, int stage,
                         Path dir, boolean resume, PrintStream progressOut) throws IOException {
        // a stage starts as its teacher; the first may start from --init instead
        return Distillation.Scope.run(stageTeacher, stage == 1 ? init : stageTeacher, sc,
                scope -> stage(scope, stageTeacher, cfg, sc, teacherSteps, iterations, stage, dir, resume, progressOut));
    }

    private Result stage(Distillation.Scope scope, DiffusionModel stageTeacher, double cfg, ModelConfig sc, int teacherSteps, long iterations,
                         int stage, Path dir, boolean resume, PrintStream progressOut) throws IOException {
        DiffusionModel student = scope.student();
        int[] ts = sc.student().timesteps();
        int b = opt.batchSize();
        Shape shape = DistillationLoop.batchShape(teacher, b);
        DataRange range = stageTeacher.config().dataRange();
        DistillationLoop.Step step = new DistillationLoop.Step() {
            @Override
            public float[] loss(long s, SplittableRandom r, NDManager sub) {
                int i = r.nextInt(ts.length);
                int t = ts[i];
                DistillationLoop.NoisedBatch batch = DistillationLoop.noisedBatch(stageTeacher, data, r, shape, t, sub);
                Condition lab = batch.condition();
                NDArray z = batch.z();
                double tNext = i + 1 < ts.length ? ts[i + 1] : -1; // −1: clean (α = 1, σ = 0)
                double tMid = i + 1 < ts.length ? (t + tNext) / 2.0 : t / 2.0;
                Denoiser d = stageTeacher.denoiser(lab, cfg);
                // two teacher DDIM steps t → t' → t'', x̂_0 not clipped between them: with guidance, clipping
                // x̂_0 (huge at high noise) saturates the trajectory (measured, n = 500: the teacher's 16-step DDIM
                // at CFG 3 has FD 192 clipped vs 26.7 unclipped), and the student's unclipped step must match it
                Prediction p1 = d.predict(z, t);
                double[] mid = stageTeacher.schedule().alphaSigmaAt(tMid);
                NDArray zMid = p1.x0().mul(mid[0]).add(p1.eps().mul(mid[1]));
                Prediction p2 = d.predict(zMid, tMid);
                NDArray target;
                if (tNext < 0) {
                    target = range.clip(p2.x0());
                } else {
                    double[] nx = stageTeacher.schedule().alphaSigmaAt(tNext);
                    NDArray z2 = p2.x0().mul(nx[0]).add(p2.eps().mul(nx[1]));
                    double[] cur = stageTeacher.schedule().alphaSigmaAt(t);
                    double ratio = nx[1] / cur[1];
                    target = z2.sub(z.mul(ratio)).div(nx[0] - ratio * cur[0]);
                }
                float mse;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray l = DistillationLoop.forward(student, z, t, lab, sub).regressionTo(target.stopGradient());
                    gc.backward(l);
                    mse = l.getFloat();
                }
                return new float[] {mse, t};
            }

            @Override
            public String describe(float[] terms) {
                return String.format("stage %d t %d mse %.4f", stage, (int) terms[1], terms[0]);
            }
        };
        DistillOptions o = opt.withIterations(iterations);
        return DistillationLoop.run("step-distill " + teacherSteps + "→" + ts.length, student, scope.ema(), o, 22 + 1000 * stage, null,
                step, dir, resume, progressOut);
    }
}
