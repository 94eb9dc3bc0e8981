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
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.FeatureNetwork;
import org.imagineflash.model.Tensors;
import org.imagineflash.train.AdamW;
import org.imagineflash.train.Checkpoint;
import org.imagineflash.train.Seeds;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The adversarial term shared by Imagine Flash and ADD: a class-conditional critic of x̂_0 images, hinge losses
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
 *   <li>{@link Critic#PIXELS}: a projection discriminator trained from scratch on pixels ({@link Discriminator}).</li>
 * </ul>
 * R1 (Mescheder et al. 2018; ADD uses it), γ/2·E‖∇_x D(x)‖² on real x, is estimated without double backward as
 * γ/2·E[(D(x + δn) − D(x))²]/δ² with n ~ N(0, I): for small δ, E[(∇D·n)²] = ‖∇D‖².
 */
public final class AdversarialTerm implements Checkpoint.Extra {
    /** The largest timestep at which the teacher's encoder looks at an image. */
    public static final int FEATURE_T_MAX = 500;
    /** γ of ADD's R1 penalty. */
    public static final double ADD_R1_GAMMA = 1.0;
    /** δ of the finite-difference R1 estimate. */
    static final double R1_DELTA = 0.01;

    /** What the discriminator looks at. */
    public enum Critic {
        TEACHER_FEATURES("teacher-features"),
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
            throw new IllegalArgumentException("--disc must be teacher-features or pixels, got " + s);
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

    /**
     * A critic for the teacher's images and classes, its trainable weights initialised from {@code seed}.
     *
     * @param r1Gamma γ of the R1 penalty (0: none)
     */
    public AdversarialTerm(DiffusionModel teacher, NDManager manager, long seed, double lr, Critic critic, double r1Gamma) {
        int numClasses = teacher.config().unet().numClasses();
        int size = teacher.config().unet().imageSize();
        int channels = teacher.config().unet().inChannels();
        Shape image = new Shape(1, channels, size, size);
        Engine.getInstance().setRandomSeed((int) (seed ^ 0x5EED));
        if (critic == Critic.TEACHER_FEATURES) {
            if (!(teacher.network() instanceof FeatureNetwork f)) {
                throw new IllegalArgumentException("--disc teacher-features needs a teacher network with an encoder (a UNet)");
            }
            try (NDManager probe = manager.newSubManager()) {
                NDList feats = f.features(new ParameterStore(probe, false), probe.zeros(image), probe.zeros(new Shape(1)),
                        probe.zeros(new Shape(1), DataType.INT32));
                Shape[] shapes = new Shape[feats.size() + 1];
                for (int i = 0; i < feats.size(); i++) {
                    shapes[i] = feats.get(i).getShape();
                }
                shapes[feats.size()] = new Shape(1);
                disc = new FeatureHeads(feats.size(), numClasses, 64);
                disc.initialize(manager, DataType.FLOAT32, shapes);
            }
        } else {
            disc = new Discriminator(numClasses, 32);
            disc.initialize(manager, DataType.FLOAT32, image, new Shape(1));
        }
        this.teacher = teacher;
        this.critic = critic;
        this.adam = new AdamW(BlockWeights.parameters(disc), 0.0f, 0.99f, 1e-8f, 0f);
        this.lr = lr;
        this.seed = seed;
        this.r1Gamma = r1Gamma;
    }

    /** D(x̂_0, c) at optimisation step {@code step} (the step fixes t_D and the feature noise). */
    private NDArray score(ParameterStore ps, NDArray x0, NDArray labels, long step, NDManager sub) {
        if (critic == Critic.PIXELS) {
            return disc.forward(ps, new NDList(x0, labels), true).head();
        }
        SplittableRandom r = Seeds.stream(seed, step, 0xD15C);
        int tD = r.nextInt(FEATURE_T_MAX + 1);
        Shape shape = x0.getShape();
        NDArray noise = Tensors.floats(sub, Seeds.gaussian(r, (int) shape.size()), shape);
        NDArray z = DistillationLoop.addNoise(teacher, x0, noise, tD);
        NDArray t = sub.full(new Shape(shape.get(0)), (float) tD);
        NDList feats = ((FeatureNetwork) teacher.network()).features(ps, z, t, labels);
        feats.add(labels);
        return disc.forward(ps, feats, true).head();
    }

    /** The generator's hinge loss −D(x̂_0, c) (differentiable in x̂_0). */
    public NDArray generatorLoss(NDArray x0, NDArray labels, long step, NDManager sub) {
        return AdversarialLoss.generator(score(new ParameterStore(sub, false), x0, labels, step, sub));
    }

    /** Clears the gradient that the generator loss left on the discriminator (call before the student's update). */
    public void clearGradients() {
        DistillationLoop.zeroGradients(BlockWeights.parameters(disc));
    }

    /** One hinge step of the discriminator on real images vs stopgrad(fake), plus R1; returns the hinge loss. */
    public float discriminatorStep(NDArray real, NDArray fake, NDArray labels, long step, NDManager sub) {
        float loss;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            ParameterStore ps = new ParameterStore(sub, false);
            NDArray realScore = score(ps, real, labels, step, sub);
            NDArray dl = AdversarialLoss.discriminator(realScore, score(ps, fake.stopGradient(), labels, step, sub));
            loss = dl.getFloat();
            if (r1Gamma > 0) {
                SplittableRandom r = Seeds.stream(seed, step, 0x121);
                NDArray n = Tensors.floats(sub, Seeds.gaussian(r, (int) real.getShape().size()), real.getShape());
                NDArray r1Weight = Tensors.floats(sub, new float[] {(float) (r1Gamma / 2 / (R1_DELTA * R1_DELTA))});
                NDArray nudged = score(ps, real.add(n.mul(R1_DELTA)), labels, step, sub);
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
