package org.imagineflash.distill;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import me.tongfei.progressbar.ProgressBar;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.model.BlockWeights;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.NoiseLevels;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.model.Tensors;
import org.imagineflash.sampling.FewStepStudent;
import org.imagineflash.train.AdamW;
import org.imagineflash.train.Checkpoint;
import org.imagineflash.train.Ema;
import org.imagineflash.train.LrSchedule;
import org.imagineflash.train.Seeds;
import org.imagineflash.train.TeacherTraining;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Imagine Flash (Kohler et al. 2024): distils a guided teacher Φ into a few-step student Θ initialised from it.
 * One optimisation step:
 * <ol>
 *   <li>pick the student step i (time t = t_i) and classes c; the input is x^Θ_{T→t} from {@link BackwardDistillation}
 *       (or q(x_t | x_0) on real images with {@code --inputs forward});</li>
 *   <li>the student predicts x̂_0^Θ = x̂_0(x^Θ_{T→t}, ε̂_Θ, t);</li>
 *   <li>target: with SRL, stopgrad(x̂_0^Θ) is re-noised to t_Φ = γ(t) with fresh noise and the guided teacher runs k
 *       DDIM steps ({@link TeacherTarget}); with {@code direct}, the teacher starts from x^Θ_{T→t} at t;</li>
 *   <li>loss w_t·‖x̂_0^Φ − x̂_0^Θ‖² ({@code gradientSRL.png}) + λ·hinge generator loss of a {@link Discriminator};
 *       w_t = α_t/σ_t makes the gradient on the network's ε̂ equal the x̂_0 error at every t (without it the
 *       t = T step, where x̂_0 = (x_T − σ ε̂)/α with α_T ≈ 0.006, has 150× larger gradients than the others);</li>
 *   <li>AdamW on Θ, EMA of Θ, then one hinge step of the discriminator on real images vs stopgrad(x̂_0^Θ).</li>
 * </ol>
 * Noise correction is part of the student's sampler ({@link FewStepStudent}) and so applies in the rollouts of
 * step 1 and at inference; it is recorded in the student's config.json.
 */
public final class ImagineFlashDistillation {
    public static final String METHOD = "imagine-flash";
    /** γ default: measured on the mixture problem and Fashion-MNIST (see the issue notes). */
    public static final String DEFAULT_SHIFT = "affine:0.5,0";
    private final DiffusionModel teacher;
    private final DistillOptions opt;
    private final LabeledImages data;

    /** @param data real images: needed for {@code --inputs forward} and the adversarial term, else may be null */
    public ImagineFlashDistillation(DiffusionModel teacher, DistillOptions options, LabeledImages data) {
        this.teacher = teacher;
        this.opt = options;
        this.data = data;
        int n = teacher.schedule().numTrainTimesteps();
        for (int t : options.timesteps()) {
            if (t < 1 || t >= n) {
                throw new IllegalArgumentException("student timesteps must be in 1.." + (n - 1) + ", got " + t);
            }
        }
        new StudentConfig(METHOD, options.timesteps(), options.noiseCorrection(), "student");
        if (data == null && (options.inputs().equals("forward") || options.advWeight() > 0)) {
            throw new IllegalArgumentException("--inputs forward and --adv-weight > 0 need the training images (--data)");
        }
        if (data != null && (data.height() != teacher.config().unet().imageSize() || data.numClasses() > teacher.config().unet().numClasses())) {
            throw new IllegalArgumentException("the data does not match the teacher's image size or classes");
        }
    }

    public ModelConfig studentConfig() {
        ModelConfig t = teacher.config();
        org.imagineflash.model.Parameterization p = opt.studentPrediction().equals("same") ? t.parameterization()
                : org.imagineflash.model.Parameterization.parse(opt.studentPrediction());
        return new ModelConfig(ModelConfig.STUDENT, t.unet(), t.schedule(), p,
                new StudentConfig(METHOD, opt.timesteps(), opt.noiseCorrection(), "student"));
    }

    /** Losses of each step: reconstruction (unweighted MSE), generator and discriminator hinge terms. */
    public record Result(DiffusionModel ema, List<float[]> losses, double wallSeconds, long steps) {
    }

    public Result run(Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        ModelConfig sc = studentConfig();
        teacher.network().freezeParameters(true);
        DiffusionModel student = teacher.copy(sc);
        DiffusionModel ema = teacher.copy(sc);
        int numClasses = teacher.config().unet().numClasses();
        int size = teacher.config().unet().imageSize();
        int channels = teacher.config().unet().inChannels();
        Discriminator disc = null;
        AdamW discAdam = null;
        if (opt.advWeight() > 0) {
            Engine.getInstance().setRandomSeed((int) (opt.seed() ^ 0x5EED));
            disc = new Discriminator(numClasses, 32);
            disc.initialize(student.manager(), DataType.FLOAT32, new Shape(1, channels, size, size), new Shape(1));
            discAdam = new AdamW(BlockWeights.parameters(disc), 0.0f, 0.99f, 1e-8f, 0f);
        }
        AdamW adam = AdamW.standard(student.parameters(), 0f);
        Ema emaUpdate = new Ema(student.parameters(), ema.parameters(), opt.emaDecay());
        LrSchedule lr = new LrSchedule("constant", opt.lr(), Math.min(50, opt.iterations() / 10), opt.iterations());
        FewStepStudent sampler = new FewStepStudent(teacher.schedule(), opt.timesteps(), opt.noiseCorrection());
        TeacherTarget target = new TeacherTarget(teacher.schedule(), opt.teacherSteps());
        NoiseLevels levels = new NoiseLevels(teacher.schedule());
        Discriminator d = disc;
        AdamW da = discAdam;
        Checkpoint.Extra extra = d == null ? null : new Checkpoint.Extra() {
            @Override
            public void save(Path dir) throws IOException {
                BlockWeights.write(d, dir.resolve("disc.params"));
                da.save(dir.resolve("disc-adam.bin"));
            }

            @Override
            public void load(Path dir) throws IOException {
                BlockWeights.read(d, dir.resolve("disc.params"));
                da.load(dir.resolve("disc-adam.bin"));
            }
        };
        Checkpoint.Resumed from = resume ? Checkpoint.resume(checkpointDir, student, ema, adam, extra, opt.seed()) : Checkpoint.Resumed.FRESH;
        long start = from.step();
        double priorWall = from.wallSeconds();
        int b = opt.batchSize();
        int hw = channels * size * size;
        Shape shape = new Shape(b, channels, size, size);
        int[] ts = opt.timesteps();
        int numTrain = teacher.schedule().numTrainTimesteps();
        List<float[]> losses = new ArrayList<>();
        long t0 = System.nanoTime();
        try (ProgressBar pb = TeacherTraining.progress("distill", opt.iterations(), start, progressOut)) {
            for (long step = start; step < opt.iterations(); step++) {
                SplittableRandom r = Seeds.stream(opt.seed(), step, 21);
                int i = r.nextInt(ts.length);
                int t = ts[i];
                int[] labels = new int[b];
                float[] x0Real = null;
                boolean needReal = data != null && (opt.inputs().equals("forward") || d != null);
                if (needReal) {
                    x0Real = new float[b * hw];
                    for (int j = 0; j < b; j++) {
                        int idx = r.nextInt(data.size());
                        data.copyScaled(idx, x0Real, j * hw);
                        labels[j] = data.labels()[idx];
                    }
                } else {
                    for (int j = 0; j < b; j++) {
                        labels[j] = r.nextInt(numClasses);
                    }
                }
                float[] noise = Seeds.gaussian(r, b * hw);
                float[] fresh = Seeds.gaussian(r, b * hw);
                int tauInt = opt.target().equals("srl") ? opt.shift().apply(t, numTrain, r) : t;
                float rec;
                float gLoss = 0;
                float dLoss = 0;
                try (NDManager sub = student.manager().newSubManager()) {
                    NDArray lab = Tensors.ints(sub, labels);
                    NDArray xIn;
                    if (opt.inputs().equals("backward")) {
                        NDArray xT = Tensors.floats(sub, noise, shape);
                        xIn = BackwardDistillation.input(student.denoiser(lab, 1.0), sampler, xT, i);
                    } else {
                        double[] as = teacher.schedule().alphaSigmaAt(t);
                        xIn = Tensors.floats(sub, x0Real, shape).mul(as[0]).add(Tensors.floats(sub, noise, shape).mul(as[1]));
                    }
                    int[] tb = new int[b];
                    java.util.Arrays.fill(tb, t);
                    NDArray alpha = levels.alphas(sub, tb);
                    NDArray sigma = levels.sigmas(sub, tb);
                    double[] at = teacher.schedule().alphaSigmaAt(t);
                    NDArray weight = Tensors.floats(sub, new float[] {(float) (at[0] / at[1])});
                    Denoiser guidedTeacher = teacher.denoiser(lab, opt.cfg());
                    NDArray x0Student;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray out = student.forward(xIn, levels.timesteps(sub, tb), lab, true);
                        x0Student = student.parameterization().x0(out, xIn, alpha, sigma);
                        NDArray goal;
                        NDArray detached = x0Student.stopGradient();
                        if (opt.target().equals("srl")) {
                            // shifted reconstruction loss: re-noise stopgrad(x̂_0^Θ) to t_Φ = γ(t), fresh noise
                            double[] as = teacher.schedule().alphaSigmaAt(tauInt);
                            NDArray noiseForSrl = opt.srlNoise().equals("fresh") ? Tensors.floats(sub, fresh, shape)
                                    : student.parameterization().eps(out, xIn, alpha, sigma).stopGradient();
                            NDArray chi = detached.clip(-1, 1).mul(as[0]).add(noiseForSrl.mul(as[1]));
                            goal = target.x0(guidedTeacher, chi, tauInt);
                        } else {
                            goal = target.x0(guidedTeacher, xIn, t);
                        }
                        NDArray mse = x0Student.sub(goal).square().mean();
                        NDArray loss = mse.mul(weight);
                        if (d != null) {
                            NDArray fake = d.forward(new ParameterStore(sub, false), new NDList(x0Student, lab), true).head();
                            NDArray g = AdversarialLoss.generator(fake);
                            gLoss = g.getFloat();
                            loss = loss.add(g.mul(Tensors.floats(sub, new float[] {(float) opt.advWeight()})));
                        }
                        gc.backward(loss);
                        rec = mse.getFloat();
                    }
                    if (d != null) {
                        zeroGradients(BlockWeights.parameters(d));
                    }
                    adam.step((float) lr.at(step));
                    emaUpdate.update(step);
                    if (d != null) {
                        NDArray real = Tensors.floats(sub, x0Real, shape);
                        NDArray fakeImages = x0Student.stopGradient();
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            ParameterStore ps = new ParameterStore(sub, false);
                            NDArray dl = AdversarialLoss.discriminator(d.forward(ps, new NDList(real, lab), true).head(),
                                    d.forward(ps, new NDList(fakeImages, lab), true).head());
                            gc.backward(dl);
                            dLoss = dl.getFloat();
                        }
                        da.step((float) opt.discLr());
                        zeroGradients(student.parameters());
                    }
                }
                if (!Float.isFinite(rec)) {
                    throw new IllegalStateException("distillation diverged at step " + step + " (non-finite loss); lower --lr");
                }
                losses.add(new float[] {rec, gLoss, dLoss});
                pb.stepTo(step + 1);
                pb.setExtraMessage(d == null ? String.format("t %d rec %.4f", t, rec)
                        : String.format("t %d rec %.4f g %.3f d %.3f", t, rec, gLoss, dLoss));
                if (Checkpoint.due(checkpointDir, step + 1, opt.iterations(), opt.checkpointEvery())) {
                    Checkpoint.save(checkpointDir, student, ema, adam, extra, step + 1, opt.seed(),
                            priorWall + (System.nanoTime() - t0) / 1e9, "lastReconstructionLoss", rec);
                }
            }
        }
        double wall = priorWall + (System.nanoTime() - t0) / 1e9;
        student.close();
        teacher.network().freezeParameters(false);
        return new Result(ema, losses, wall, opt.iterations());
    }

    private static void zeroGradients(List<Parameter> params) {
        for (Parameter p : params) {
            zero(p);
        }
    }

    private static void zero(Parameter p) {
        NDArray w = p.getArray();
        if (w.hasGradient()) {
            try (NDArray g = w.getGradient()) {
                g.subi(g);
            }
        }
    }
}
