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
import org.imagineflash.model.Condition;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.Prediction;
import org.imagineflash.model.StudentConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Stage one of guided distillation (Meng et al. 2023, "On distillation of guided diffusion models", §3.1): one
 * network learns to match the guided teacher, x̂_0^w = x̂_0(z, c) + (w − 1)(x̂_0(z, c) − x̂_0(z, ∅)), at every
 * timestep, so that a student needs no guidance and no second network evaluation.
 * <pre>
 *   t ~ U{0..T−1},  z = α_t x + σ_t ε                                   (real x, label c)
 *   L = ‖F_θ(z, t, c) − target_p(x̂_0^w, ε̂^w)‖²                         (in the student network's own output space p)
 * </pre>
 * It is also where a student's <em>parameterization</em> changes: the result may predict v or x_0 although the
 * teacher predicts ε. The same weights cannot give v̂ = (ε̂ − σ z)/α exactly (that needs a skip of z around the
 * network's normalisations), so the converted network is learnt by regression on the teacher's own outputs, and
 * {@code eval} shows how closely it reproduces the teacher (its DDIM at a few steps against the teacher's DDIM with
 * guidance). The baselines start from it with {@code distill --init}. It samples with unclipped DDIM on its own
 * timesteps, and with any sampler at cfg 1 on the full schedule.
 */
public final class GuidanceDistillation implements Distillation {
    public static final String METHOD = "guidance";
    private final DiffusionModel teacher;
    private final DistillOptions opt;
    private final TrainingData data;

    public GuidanceDistillation(DiffusionModel teacher, DistillOptions options, TrainingData data) {
        if (data == null || !data.hasExamples()) {
            throw new IllegalArgumentException("guidance distillation trains on real images: it needs the training data (--data)");
        }
        data.requireFits(teacher);
        this.teacher = teacher;
        this.opt = options;
        this.data = data;
    }

    @Override
    public ModelConfig studentConfig() {
        return Distillation.studentConfig(teacher, opt.studentPrediction(),
                new StudentConfig(METHOD, opt.timesteps(), false, StudentConfig.Sampling.UNCLIPPED));
    }

    @Override
    public Result run(Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        return Distillation.Scope.run(teacher, null, studentConfig(), scope -> train(scope, checkpointDir, resume, progressOut));
    }

    private Result train(Distillation.Scope scope, Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        DiffusionModel student = scope.student();
        int numTrain = teacher.schedule().numTrainTimesteps();
        int b = opt.batchSize();
        Shape shape = DistillationLoop.batchShape(teacher, b);
        DistillationLoop.Step step = new DistillationLoop.Step() {
            @Override
            public float[] loss(long s, SplittableRandom r, NDManager sub) {
                int t = r.nextInt(numTrain);
                DistillationLoop.NoisedBatch batch = DistillationLoop.noisedBatch(teacher, data, r, shape, t, sub);
                Condition lab = batch.condition();
                NDArray z = batch.z();
                Prediction guided = teacher.denoiser(lab, opt.cfg()).predict(z, t);
                float mse;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    // the guided (x̂_0, ε̂) satisfy z = α x̂_0 + σ ε̂, so the regression onto x̂_0 has the target ε̂ too
                    NDArray l = DistillationLoop.forward(student, z, t, lab, sub).regressionTo(guided.x0().stopGradient());
                    gc.backward(l);
                    mse = l.getFloat();
                }
                return new float[] {mse, t};
            }

            @Override
            public String describe(float[] terms) {
                return String.format("t %d mse %.4f", (int) terms[1], terms[0]);
            }
        };
        return DistillationLoop.run("guidance-distill", student, scope.ema(), opt, 25, null, step, checkpointDir, resume, progressOut);
    }
}
