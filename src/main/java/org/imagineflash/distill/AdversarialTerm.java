package org.imagineflash.distill;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.imagineflash.model.BlockWeights;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.train.AdamW;
import org.imagineflash.train.Checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The adversarial term shared by Imagine Flash and ADD: a class-conditional {@link Discriminator} on x̂_0 images,
 * hinge losses ({@link AdversarialLoss}), its own Adam (β1 = 0, as common for GAN discriminators) and its state in
 * the student's checkpoints.
 */
public final class AdversarialTerm implements Checkpoint.Extra {
    private final Discriminator disc;
    private final AdamW adam;
    private final double lr;

    /** A discriminator for the teacher's image size and classes, initialised from {@code seed}. */
    public AdversarialTerm(DiffusionModel teacher, NDManager manager, long seed, double lr) {
        int numClasses = teacher.config().unet().numClasses();
        int size = teacher.config().unet().imageSize();
        int channels = teacher.config().unet().inChannels();
        Engine.getInstance().setRandomSeed((int) (seed ^ 0x5EED));
        disc = new Discriminator(numClasses, 32);
        disc.initialize(manager, DataType.FLOAT32, new Shape(1, channels, size, size), new Shape(1));
        adam = new AdamW(BlockWeights.parameters(disc), 0.0f, 0.99f, 1e-8f, 0f);
        this.lr = lr;
    }

    /** The generator's hinge loss −D(x̂_0, c) (differentiable in x̂_0). */
    public NDArray generatorLoss(NDArray x0, NDArray labels, NDManager sub) {
        return AdversarialLoss.generator(disc.forward(new ParameterStore(sub, false), new NDList(x0, labels), true).head());
    }

    /** Clears the gradient that the generator loss left on the discriminator (call before the student's update). */
    public void clearGradients() {
        DistillationLoop.zeroGradients(BlockWeights.parameters(disc));
    }

    /** One hinge step of the discriminator on real images vs stopgrad(fake); returns its loss. */
    public float discriminatorStep(NDArray real, NDArray fake, NDArray labels, NDManager sub) {
        float loss;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            ParameterStore ps = new ParameterStore(sub, false);
            NDArray dl = AdversarialLoss.discriminator(disc.forward(ps, new NDList(real, labels), true).head(),
                    disc.forward(ps, new NDList(fake.stopGradient(), labels), true).head());
            gc.backward(dl);
            loss = dl.getFloat();
        }
        adam.step((float) lr);
        return loss;
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
