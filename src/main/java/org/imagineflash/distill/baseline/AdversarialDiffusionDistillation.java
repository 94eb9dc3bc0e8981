package org.imagineflash.distill.baseline;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.imagineflash.train.TrainingData;
import org.imagineflash.distill.Adversarial;
import org.imagineflash.distill.AdversarialTerm;
import org.imagineflash.distill.DistillOptions;
import org.imagineflash.distill.Distillation;
import org.imagineflash.distill.DistillationLoop;
import org.imagineflash.distill.OptionIds;
import org.imagineflash.model.DataRange;
import org.imagineflash.model.Condition;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.NoiseLevels;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.model.Tensors;
import org.imagineflash.random.Seeds;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Adversarial diffusion distillation (Sauer et al. 2023): the student sees forward-noised real images at its own
 * timesteps and is trained with an adversarial loss plus a score-distillation loss from the guided teacher.
 * <pre>
 *   x_s = α_s x_0 + σ_s ε,  s ∈ student timesteps          (real x_0, label c; s and t drawn per example)
 *   x̂_θ = x̂_0^θ(x_s, s)
 *   x̂_ψ = stopgrad(x̂_0^Φ(α_t x̂_θ + σ_t ε', t)),  t ~ U{1..T−1}  (guided teacher, one step, fresh ε')
 *   L = λ_adv·L_G^hinge(D(x̂_θ, c)) + mean over examples of λ_distill·c(t)·d(x̂_θ, x̂_ψ)   (c(t) = ᾱ_t and λ_distill = 2.5 as the paper; {@link Weighting})
 * </pre>
 * d is the squared error on x̂_0, the paper's ‖x̂_θ − x̂_ψ‖² ({@link Distance#X0}), or in the student network's output
 * space ({@link Distance#OUTPUT}), which for an ε student is its SNR-weighted form.
 * The discriminator follows the paper's design, small trainable heads on a frozen pretrained feature network
 * ({@link AdversarialTerm}, {@code --disc teacher-features}): the paper's DINOv2 has no counterpart for our domain
 * that is not the evaluation instrument, so the feature network is the teacher's own encoder, as in LADD. Hinge loss
 * and an R1 penalty on real images. The student samples deterministically over its timesteps (x̂_0 re-noised with
 * its own ε̂, as {@code sample} does for every few-step student).
 */
public final class AdversarialDiffusionDistillation implements Distillation {
    public static final String METHOD = "add";
    /** λ of the distillation term (the paper's value). */
    public static final double DISTILL_WEIGHT = 2.5;
    /**
     * The critic's learning rate: at 2e-4 the heads on frozen teacher features lag the student, which drifts below its
     * start (mixture: 0.1475 against 0.1225 at 1e-3 after 2400 iterations; Fashion-MNIST: FD 96.8 against 49.1 at 800).
     */
    public static final double CRITIC_LR = 1e-3;
    private final DiffusionModel teacher;
    private final DistillOptions opt;
    private final TrainingData data;
    private final DiffusionModel init;

    /** When the teacher looks at the re-noised student output. */
    public enum TeacherTime {
        /** t ~ U{1..T−1}, as the ADD paper. */
        UNIFORM,
        /** t = the student's own timestep, as Imagine Flash's SRL with γ = identity. */
        STUDENT;

        public static TeacherTime parse(String s) {
            return OptionIds.parse(TeacherTime.class, s, "--add-teacher-time");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** c(t), the distillation term's weight per teacher timestep (ADD, Sec. 3.2 and Table 1d). */
    public enum Weighting {
        /** c(t) = ᾱ_t, the paper's choice: almost all weight below t ≈ 500, where the re-noised output keeps its content. */
        EXPONENTIAL,
        /**
         * c(t) = α_t·σ_t: score distillation's gradient w(t)·(ε̂ − ε) with DreamFusion's w(t) = σ_t², written in x_0
         * (ε̂ − ε = (α_t/σ_t)·(x̂_θ − x̂_ψ)); more weight at high noise, where the teacher decides the content.
         */
        SDS;

        public static Weighting parse(String s) {
            return OptionIds.parse(Weighting.class, s, "--add-weighting");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        double at(org.imagineflash.schedule.NoiseSchedule schedule, int t) {
            return this == EXPONENTIAL ? schedule.alphaBar(t) : schedule.alpha(t) * schedule.sigma(t);
        }
    }

    /** The space in which d(x̂_θ, x̂_ψ) is measured. */
    public enum Distance {
        /**
         * The student network's output space ({@link DistillationLoop.StudentOutput#regressionTo}): for an ε student
         * ‖ε̂ − ε̂(x̂_ψ)‖² = SNR(s)·‖x̂_θ − x̂_ψ‖², which all but removes the term at high student timesteps (SNR(999) ≈ 4·10⁻⁵).
         */
        OUTPUT,
        /**
         * The paper's ‖x̂_θ − x̂_ψ‖² on x̂_0, its gradient on the network output scaled per example as the adversarial
         * term's: both terms of L then reach every student timestep with one scale.
         */
        X0;

        public static Distance parse(String s) {
            return OptionIds.parse(Distance.class, s, "--add-distance");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * ADD's own options.
     *
     * @param adversarial the adversarial term (its weight must be > 0)
     * @param teacherTime when the teacher denoises the re-noised student output for the distillation term
     * @param weighting   c(t) of the distillation term
     * @param distance    where the distillation term's distance is measured
     */
    public record Options(Adversarial adversarial, TeacherTime teacherTime, Weighting weighting, Distance distance) {
        public Options {
            if (adversarial == null || !adversarial.enabled()) {
                throw new IllegalArgumentException("ADD needs an adversarial term: --adv-weight must be > 0");
            }
            if (teacherTime == null) {
                throw new IllegalArgumentException("--add-teacher-time must be uniform or student");
            }
            if (weighting == null) {
                throw new IllegalArgumentException("--add-weighting must be exponential or sds");
            }
            if (distance == null) {
                throw new IllegalArgumentException("--add-distance must be output or x0");
            }
        }

        /** The paper's weighting c(t) = ᾱ_t, the distance in the student's output space (as the shipped scene ADD was trained). */
        public Options(Adversarial adversarial, TeacherTime teacherTime) {
            this(adversarial, teacherTime, Weighting.EXPONENTIAL, Distance.OUTPUT);
        }

        /**
         * The paper's: λ_adv = 1, the critic on frozen teacher features (learning at {@link #CRITIC_LR}), a uniform
         * teacher time, c(t) = ᾱ_t, the distance on x̂_0.
         */
        public static Options paper() {
            return new Options(new Adversarial(1.0, CRITIC_LR, AdversarialTerm.Critic.TEACHER_FEATURES), TeacherTime.UNIFORM,
                    Weighting.EXPONENTIAL, Distance.X0);
        }

        @Override
        public String toString() {
            return "AddOptions[" + adversarial + ", teacherTime=" + teacherTime + ", weighting=" + weighting + ", distance=" + distance + "]";
        }
    }

    private final Options method;

    /** @param init the student's starting weights (null: the teacher's) */
    public AdversarialDiffusionDistillation(DiffusionModel teacher, DistillOptions options, Options method, TrainingData data,
                                            DiffusionModel init) {
        if (data == null || !data.hasExamples()) {
            throw new IllegalArgumentException("ADD trains on real images: it needs the training data (--data)");
        }
        data.requireFits(teacher);
        this.teacher = teacher;
        this.opt = options;
        this.method = method;
        this.data = data;
        this.init = init;
    }

    @Override
    public ModelConfig studentConfig() {
        return Distillation.studentConfig(teacher, opt.studentPrediction(), new StudentConfig(METHOD, opt.timesteps(), false, StudentConfig.Sampling.CLIPPED));
    }

    @Override
    public Result run(Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        return Distillation.Scope.run(teacher, init, studentConfig(), scope -> train(scope, checkpointDir, resume, progressOut));
    }

    private Result train(Distillation.Scope scope, Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        DiffusionModel student = scope.student();
        Adversarial a = method.adversarial();
        AdversarialTerm adv = new AdversarialTerm(teacher, student.manager(), opt.seed(), a.discLr(), a.critic(), AdversarialTerm.Setup.ADD);
        int[] ts = opt.timesteps();
        int numTrain = teacher.schedule().numTrainTimesteps();
        int b = opt.batchSize();
        Shape shape = DistillationLoop.batchShape(teacher, b);
        DataRange range = teacher.config().dataRange();
        DistillationLoop.Step step = new DistillationLoop.Step() {
            private NDArray real;
            private NDArray fake;
            private Condition lab;
            private float[] last;

            @Override
            public float[] loss(long s, SplittableRandom r, NDManager sub) {
                // a student timestep and a teacher timestep per example, as the paper's training draws them: the
                // critic sees every student step's outputs in each batch
                int[] studentT = new int[b];
                int[] teacherT = new int[b];
                float[] distillWeight = new float[b];
                for (int i = 0; i < b; i++) {
                    studentT[i] = ts[r.nextInt(ts.length)];
                    teacherT[i] = method.teacherTime() == TeacherTime.STUDENT ? studentT[i] : 1 + r.nextInt(numTrain - 1);
                    distillWeight[i] = (float) (DISTILL_WEIGHT * method.weighting().at(teacher.schedule(), teacherT[i]));
                }
                DistillationLoop.NoisedBatch batch = DistillationLoop.noisedBatch(teacher, data, r, shape, studentT, sub);
                NDArray fresh = Tensors.floats(sub, Seeds.gaussian(r, (int) shape.size()), shape);
                real = batch.x0();
                lab = batch.condition();
                NDArray xs = batch.z();
                float mse;
                float g;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    DistillationLoop.StudentOutput so = DistillationLoop.forward(student, xs, studentT, lab, sub);
                    fake = so.x0();
                    // the teacher's target carries no gradient (stopgrad on x̂_ψ)
                    NDArray renoised = new NoiseLevels(teacher.schedule()).noise(range.clip(fake.stopGradient()), fresh, teacherT, sub);
                    NDArray goal = range.clip(teacher.predict(renoised, teacherT, lab, opt.cfg()).x0()).stopGradient();
                    // the adversarial loss is measured on x̂_0 with its gradient on the network output of one scale at
                    // every student timestep (an ε student's x̂_0 at t = T moves 152× its output)
                    NDArray fakeScaled = so.x0EvenGradient();
                    NDArray c = Tensors.floats(sub, distillWeight).reshape(-1, 1, 1, 1);
                    NDArray distill = method.distance() == Distance.X0 ? fakeScaled.sub(goal).square().mul(c).mean()
                            : so.regressionTo(goal, c);
                    NDArray gen = adv.generatorLoss(fakeScaled, lab, real, s, sub);
                    NDArray w = Tensors.floats(sub, new float[] {(float) a.weight()});
                    NDArray loss = gen.mul(w).add(distill);
                    gc.backward(loss);
                    mse = distill.getFloat();
                    g = gen.getFloat();
                }
                adv.clearGradients();
                double meanS = java.util.Arrays.stream(studentT).average().orElse(0);
                last = new float[] {mse, g, 0, (float) meanS};
                return last;
            }

            @Override
            public void afterUpdate(long s, NDManager sub) {
                last[2] = adv.discriminatorStep(real, fake, lab, s, sub);
            }

            @Override
            public String describe(float[] terms) {
                return String.format("mean s %d distill %.4f g %.3f d %.3f", (int) terms[3], terms[0], terms[1], terms[2]);
            }
        };
        return DistillationLoop.run("add-distill", student, scope.ema(), opt, 24, adv, step, checkpointDir, resume, progressOut);
    }
}
