package org.imagineflash.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import org.imagineflash.model.Condition;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.NoiseLevels;
import org.imagineflash.model.Tensors;
import org.imagineflash.train.AdamW;
import org.imagineflash.train.Checkpoint;
import org.imagineflash.train.Ema;
import org.imagineflash.train.LrSchedule;
import org.imagineflash.random.Seeds;
import org.imagineflash.train.TrainingData;
import org.imagineflash.train.TrainingLoop;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What every distillation method shares: the student's optimisation in the project's {@link TrainingLoop} (AdamW
 * with a constant LR after a short warm-up, an EMA copy, checkpoints with the method's extra state, e.g. a
 * discriminator, and exact resume), and the batch and forward-pass helpers. A method supplies one {@link Step}.
 */
public final class DistillationLoop {
    /** One optimisation step of a method (see {@link TrainingLoop.Step}). */
    public interface Step extends TrainingLoop.Step {
    }

    private DistillationLoop() {
    }

    /**
     * @param name the progress bar's name
     * @param stream the method's random-stream id (distinct per method, so methods never share noise by accident)
     */
    public static Distillation.Result run(String name, DiffusionModel student, DiffusionModel ema, DistillOptions opt, int stream,
                                          Checkpoint.Extra extra, Step step, Path checkpointDir, boolean resume,
                                          PrintStream progressOut) throws IOException {
        AdamW adam = AdamW.standard(student.parameters(), 0f);
        LrSchedule lr = new LrSchedule(opt.lrSchedule(), opt.lr(), Math.min(50, opt.iterations() / 10), opt.iterations());
        Checkpoint.Run run = new Checkpoint.Run(opt.seed(), opt.iterations(), opt.batchSize(), opt.lr(), opt.lrSchedule());
        TrainingLoop.Outcome o = new TrainingLoop(name, opt.iterations(), opt.seed(), stream, lr, adam)
                .ema(new Ema(student.parameters(), ema.parameters(), opt.emaDecay()))
                .checkpoints(checkpointDir == null ? null : new TrainingLoop.Checkpoints(checkpointDir, student, ema, extra, opt.checkpointEvery(), run),
                        resume)
                .progress(progressOut).run(student.manager(), step);
        return new Distillation.Result(ema, o.losses(), o.wallSeconds(), opt.iterations());
    }

    /**
     * The student's forward pass at timestep t (shared by the batch), differentiable: call inside a gradient collector.
     */
    public static StudentOutput forward(DiffusionModel student, NDArray z, int t, Condition c, NDManager sub) {
        int[] tb = new int[(int) z.getShape().get(0)];
        java.util.Arrays.fill(tb, t);
        return forward(student, z, tb, c, sub);
    }

    /** The student's forward pass with one timestep per sample, differentiable. */
    public static StudentOutput forward(DiffusionModel student, NDArray z, int[] tb, Condition c, NDManager sub) {
        NoiseLevels levels = new NoiseLevels(student.schedule());
        NDArray alpha = levels.alphas(sub, tb);
        NDArray sigma = levels.sigmas(sub, tb);
        NDArray out = student.forward(z, levels.timesteps(sub, tb), c, true);
        return new StudentOutput(student, z, out, alpha, sigma, student.parameterization().x0(out, z, alpha, sigma));
    }

    /** A student's raw output at input z, with α, σ and its x̂_0. */
    public record StudentOutput(DiffusionModel student, NDArray z, NDArray out, NDArray alpha, NDArray sigma, NDArray x0) {
        /**
         * The regression onto a clean-image target x̃, measured in the network's own output space (ε, v or x_0, with
         * ε̃ = (z − α x̃)/σ): the loss teacher training uses, so the weighting over t is the parameterization's own
         * (ε: the SNR-weighted x̂_0 error; x_0: unweighted).
         */
        public NDArray regressionTo(NDArray x0Target) {
            NDArray epsTarget = z.sub(x0Target.mul(alpha)).div(sigma);
            NDArray target = student.parameterization().target(x0Target, epsTarget, alpha, sigma);
            return out.sub(target).square().mean();
        }

        /**
         * x̂_0 with its gradient on the network output divided per example by |∂x̂_0/∂output|
         * ({@link org.imagineflash.model.Parameterization#x0EvenGradient}): unscaled, an ε student's x̂_0 at t = T moves
         * σ/α ≈ 152× its output, and those examples' gradients swamp the others in Adam.
         */
        public NDArray x0EvenGradient() {
            return student.parameterization().x0EvenGradient(x0, alpha, sigma);
        }

        /** The same regression with a weight per sample, w of shape (B, 1, 1, 1): mean of w_i·(output − target)². */
        public NDArray regressionTo(NDArray x0Target, NDArray w) {
            NDArray epsTarget = z.sub(x0Target.mul(alpha)).div(sigma);
            NDArray target = student.parameterization().target(x0Target, epsTarget, alpha, sigma);
            return out.sub(target).square().mul(w).mean();
        }
    }

    /** q(x_t | x_0): α_t·x_0 + σ_t·ε at a (possibly fractional) timestep t. */
    public static NDArray addNoise(DiffusionModel model, NDArray x0, NDArray eps, double t) {
        double[] as = model.schedule().alphaSigmaAt(t);
        return x0.mul(as[0]).add(eps.mul(as[1]));
    }

    /** The (B, C, H, W) shape of a training batch of the teacher's images (or latents). */
    public static Shape batchShape(DiffusionModel teacher, int batchSize) {
        int size = teacher.config().unet().imageSize();
        return new Shape(batchSize, teacher.config().unet().inChannels(), size, size);
    }

    /** Real examples x_0 (B, C, H, W), their condition and z = α_t x_0 + σ_t ε at the step's timestep. */
    public record NoisedBatch(NDArray x0, Condition condition, NDArray z) {
    }

    /**
     * A batch of {@code shape.get(0)} random real examples and their conditions, forward-noised to timestep t with fresh
     * Gaussian noise; drawn from r in this order: examples, then noise.
     */
    public static NoisedBatch noisedBatch(DiffusionModel model, TrainingData data, SplittableRandom r, Shape shape,
                                          double t, NDManager sub) {
        TrainingData.Examples ex = data.examples(model, r, (int) shape.get(0), sub);
        NDArray eps = Tensors.floats(sub, Seeds.gaussian(r, (int) shape.size()), shape);
        return new NoisedBatch(ex.x0(), ex.condition(), addNoise(model, ex.x0(), eps, t));
    }

    /** The same with one timestep per sample ({@code t.length} examples), α and σ broadcast per sample. */
    public static NoisedBatch noisedBatch(DiffusionModel model, TrainingData data, SplittableRandom r, Shape shape,
                                          int[] t, NDManager sub) {
        TrainingData.Examples ex = data.examples(model, r, (int) shape.get(0), sub);
        NDArray eps = Tensors.floats(sub, Seeds.gaussian(r, (int) shape.size()), shape);
        return new NoisedBatch(ex.x0(), ex.condition(), new NoiseLevels(model.schedule()).noise(ex.x0(), eps, t, sub));
    }

    /** Zeroes the gradients of parameters that a loss reached but that this step must not update. */
    public static void zeroGradients(List<Parameter> params) {
        for (Parameter p : params) {
            NDArray w = p.getArray();
            if (w.hasGradient()) {
                try (NDArray g = w.getGradient()) {
                    g.subi(g);
                }
            }
        }
    }
}
