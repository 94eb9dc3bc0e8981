package org.imagineflash.distill;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.imagineflash.model.BlockWeights;
import org.imagineflash.model.Condition;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.FeatureNetwork;
import org.imagineflash.model.Tensors;
import org.imagineflash.train.AdamW;
import org.imagineflash.train.Checkpoint;
import org.imagineflash.random.Seeds;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The adversarial term shared by Imagine Flash and ADD: a conditional critic of x̂_0 (images, or latents of a latent model), hinge losses
 * ({@link AdversarialLoss}), an R1 penalty on real images, its own Adam (β1 = 0, as common for GAN discriminators)
 * and its state in the student's checkpoints.
 *
 * <p>Two critics ({@code --disc}):
 * <ul>
 *   <li>{@link Critic#TEACHER_FEATURES} (default): ADD's design, a frozen pretrained feature network with small
 *   trainable {@link FeatureHeads}. The feature network is the teacher's own UNet encoder (as LADD does), fed the
 *   image re-noised to a timestep t_D ~ U{0..{@value #FEATURE_T_MAX}} drawn per step (one t_D and one noise for the
 *   real and the generated batch). Never the evaluation classifier: the student would be trained on the instrument
 *   that measures it.</li>
 *   <li>{@link Critic#TEACHER_FEATURES_SOURCE}: the same, also conditioned on the source image (ADD's c_img, below).</li>
 *   <li>{@link Critic#PIXELS}: a projection discriminator trained from scratch on pixels ({@link Discriminator}).</li>
 * </ul>
 * R1 (Mescheder et al. 2018; ADD uses it), γ/2·E‖∇_x D(x)‖² on real x, is estimated without double backward as
 * γ/2·E[(D(x + δn) − D(x))²]/δ² with n ~ N(0, I): for small δ, E[(∇D·n)²] = ‖∇D‖².
 *
 * <p>ADD also conditions its critic on the image the student's input was noised from (c_img, Sauer et al. 2023,
 * Sec. 3.2): the real image x_0 scores with its own embedding, the student's x̂_θ(x_s) with the embedding of the x_0
 * that made x_s, so that the generator cannot answer every input with one good image of the class. The embedding is
 * the teacher encoder's deepest feature map of the clean source, averaged over positions. Measured on Fashion-MNIST
 * it made ADD worse (FD 309 against 184 without it, 400 it.), so it is a choice, not the default.
 */
public final class AdversarialTerm implements Checkpoint.Extra {
    /** The largest timestep at which the teacher's encoder looks at an image. */
    public static final int FEATURE_T_MAX = 500;
    /** How a method uses the critic: R1 weight γ (0: none) and whether its generated images have real sources. */
    public record Setup(double r1Gamma, boolean hasSources) {
        /** ADD: R1 with γ = 1; the student's inputs are noised real images. */
        public static final Setup ADD = new Setup(1.0, true);
        /** Imagine Flash: the student's inputs come from its own rollout, not from a real image; no R1. */
        public static final Setup IMAGINE_FLASH = new Setup(0, false);
    }
    /** δ of the finite-difference R1 estimate. */
    static final double R1_DELTA = 0.01;

    /** What the discriminator looks at. */
    public enum Critic {
        TEACHER_FEATURES("teacher-features"),
        TEACHER_FEATURES_SOURCE("teacher-features-source"),
        PIXELS("pixels");

        private final String id;

        Critic(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Critic parse(String s) {
            for (Critic c : values()) {
                if (c.id.equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return c;
                }
            }
            throw new IllegalArgumentException("--disc must be teacher-features, teacher-features-source or pixels, got " + s);
        }

        @Override
        public String toString() {
            return id;
        }
    }

    private final DiffusionModel teacher;
    private final Critic critic;
    private final AbstractBlock disc;
    private final AdamW adam;
    private final double lr;
    private final long seed;
    private final double r1Gamma;
    private final boolean sourceConditioned;

    /** A critic for the teacher's images and classes, its trainable weights initialised from {@code seed}. */
    public AdversarialTerm(DiffusionModel teacher, NDManager manager, long seed, double lr, Critic critic, Setup setup) {
        int size = teacher.config().unet().imageSize();
        int channels = teacher.config().unet().inChannels();
        Shape image = new Shape(1, channels, size, size);
        Engine.getInstance().setRandomSeed((int) (seed ^ 0x5EED));
        if (critic == Critic.TEACHER_FEATURES_SOURCE && !setup.hasSources()) {
            throw new IllegalArgumentException("--disc teacher-features-source needs students whose inputs are noised real images (ADD)");
        }
        boolean conditioned = critic == Critic.TEACHER_FEATURES_SOURCE;
        if (critic != Critic.PIXELS) {
            if (!(teacher.network() instanceof FeatureNetwork f)) {
                throw new IllegalArgumentException("--disc teacher-features needs a teacher network with an encoder (a UNet)");
            }
            try (NDManager probe = manager.newSubManager()) {
                Condition none = teacher.nullCondition(probe, 1);
                NDList feats = f.features(new ParameterStore(probe, false), probe.zeros(image), probe.zeros(new Shape(1)), none);
                int embedding = conditioned ? (int) feats.get(feats.size() - 1).getShape().get(1) : 0;
                Shape[] shapes = new Shape[feats.size() + (embedding > 0 ? 2 : 1)];
                for (int i = 0; i < feats.size(); i++) {
                    shapes[i] = feats.get(i).getShape();
                }
                shapes[feats.size()] = none.code().getShape();
                if (embedding > 0) {
                    shapes[feats.size() + 1] = new Shape(1, embedding);
                }
                disc = new FeatureHeads(feats.size(), (int) none.code().getShape().get(1), 64, embedding);
                disc.initialize(manager, DataType.FLOAT32, shapes);
            }
        } else {
            try (NDManager probe = manager.newSubManager()) {
                Shape code = teacher.nullCondition(probe, 1).code().getShape();
                disc = new Discriminator((int) code.get(1), 32);
                disc.initialize(manager, DataType.FLOAT32, image, code);
            }
        }
        this.teacher = teacher;
        this.critic = critic;
        this.adam = new AdamW(BlockWeights.parameters(disc), 0.0f, 0.99f, 1e-8f, 0f);
        this.lr = lr;
        this.seed = seed;
        this.r1Gamma = setup.r1Gamma();
        this.sourceConditioned = conditioned;
    }

    /** c_img: the teacher encoder's deepest features of the clean source images, averaged over positions (no gradient). */
    private NDArray sourceEmbedding(ParameterStore ps, NDArray source, Condition c, NDManager sub) {
        NDArray t = sub.zeros(new Shape(source.getShape().get(0)));
        NDList feats = ((FeatureNetwork) teacher.network()).features(ps, source.stopGradient(), t, c);
        NDArray deepest = feats.get(feats.size() - 1);
        return (deepest.getShape().dimension() == 4 ? deepest.mean(new int[] {3}).mean(new int[] {2}) : deepest).stopGradient(); // one axis at a time (DJL)
    }

    /** c_img of the sources when the critic is source-conditioned, else null. */
    private NDArray embeddingOf(ParameterStore ps, NDArray source, Condition c, NDManager sub) {
        return sourceConditioned ? sourceEmbedding(ps, source, c, sub) : null;
    }

    /**
     * D(x̂_0, c[, c_img]) at optimisation step {@code step} (the step fixes t_D and the feature noise); {@code embedding}
     * is c_img of the images the inputs were made from (null unless the critic is source-conditioned).
     */
    private NDArray score(ParameterStore ps, NDArray x0, Condition c, NDArray embedding, long step, NDManager sub) {
        if (critic == Critic.PIXELS) {
            return disc.forward(ps, new NDList(x0, c.code()), true).head();
        }
        SplittableRandom r = Seeds.stream(seed, step, 0xD15C);
        int tD = r.nextInt(FEATURE_T_MAX + 1);
        Shape shape = x0.getShape();
        NDArray noise = Tensors.floats(sub, Seeds.gaussian(r, (int) shape.size()), shape);
        NDArray z = DistillationLoop.addNoise(teacher, x0, noise, tD);
        NDArray t = sub.full(new Shape(shape.get(0)), (float) tD);
        NDList feats = ((FeatureNetwork) teacher.network()).features(ps, z, t, c);
        feats.add(c.code());
        if (embedding != null) {
            feats.add(embedding);
        }
        return disc.forward(ps, feats, true).head();
    }

    /**
     * The generator's hinge loss −D(x̂_0, c) (differentiable in x̂_0).
     *
     * @param source the real images the student's inputs were noised from (ADD); null when there are none
     */
    public NDArray generatorLoss(NDArray x0, Condition c, NDArray source, long step, NDManager sub) {
        requireSource(source);
        ParameterStore ps = new ParameterStore(sub, false);
        return AdversarialLoss.generator(score(ps, x0, c, embeddingOf(ps, source, c, sub), step, sub));
    }

    private void requireSource(NDArray source) {
        if (sourceConditioned && source == null) {
            throw new IllegalArgumentException("a source-conditioned critic needs the source images");
        }
    }

    /** Clears the gradient that the generator loss left on the discriminator (call before the student's update). */
    public void clearGradients() {
        DistillationLoop.zeroGradients(BlockWeights.parameters(disc));
    }

    /**
     * One hinge step of the discriminator on real images vs stopgrad(fake), plus R1; returns the hinge loss. With a
     * source-conditioned critic, fake[i] was made from real[i], and both score with real[i]'s embedding.
     */
    public float discriminatorStep(NDArray real, NDArray fake, Condition c, long step, NDManager sub) {
        float loss;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            ParameterStore ps = new ParameterStore(sub, false);
            NDArray embedding = embeddingOf(ps, real, c, sub); // once for the real, generated and nudged scores
            NDArray realScore = score(ps, real, c, embedding, step, sub);
            NDArray dl = AdversarialLoss.discriminator(realScore, score(ps, fake.stopGradient(), c, embedding, step, sub));
            loss = dl.getFloat();
            if (r1Gamma > 0) {
                SplittableRandom r = Seeds.stream(seed, step, 0x121);
                NDArray n = Tensors.floats(sub, Seeds.gaussian(r, (int) real.getShape().size()), real.getShape());
                NDArray r1Weight = Tensors.floats(sub, new float[] {(float) (r1Gamma / 2 / (R1_DELTA * R1_DELTA))});
                NDArray nudged = score(ps, real.add(n.mul(R1_DELTA)), c, embedding, step, sub);
                dl = dl.add(nudged.sub(realScore).square().mean().mul(r1Weight));
            }
            gc.backward(dl);
        }
        adam.step((float) lr);
        return loss;
    }

    public Critic critic() {
        return critic;
    }

    @Override
    public void save(Path dir) throws IOException {
        BlockWeights.write(disc, dir.resolve("disc.params"));
        adam.save(dir.resolve("disc-adam.bin"));
    }

    @Override
    public void load(Path dir) throws IOException {
        BlockWeights.read(disc, dir.resolve("disc.params"));
        adam.load(dir.resolve("disc-adam.bin"));
    }
}
