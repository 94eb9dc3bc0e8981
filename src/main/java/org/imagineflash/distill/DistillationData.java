package org.imagineflash.distill;

import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.ImageFolder;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.latent.Autoencoder;
import org.imagineflash.latent.SceneLatents;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.train.TrainingData;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What a distillation draws its examples and conditions from, chosen once by the teacher's conditioning: a
 * text-to-image teacher distils on training-split fashion scenes encoded by its own autoencoder (never a held-out
 * pair); a class-conditional teacher on labelled images (Fashion-MNIST or an image folder), or on its classes alone
 * when the method needs no real examples (backward distillation is data-free).
 *
 * @param description the data's provenance line
 * @param autoencoder the text teacher's autoencoder, open while the data is in use (null for class teachers)
 */
public record DistillationData(TrainingData data, String description, Autoencoder autoencoder) implements AutoCloseable {
    /**
     * @param teacherDir the teacher's folder (a text teacher's autoencoder is checked against its checksum there)
     * @param needsExamples whether the method trains on real examples
     * @param fashionMnist the Fashion-MNIST directory (null: the default locations)
     * @param imageFolder labelled images to use instead of Fashion-MNIST (class-conditional teachers only), or null
     * @param seed the scene generator's seed (text teachers)
     */
    public static DistillationData forTeacher(DiffusionModel teacher, Path teacherDir, boolean needsExamples, Path fashionMnist,
                                              Path imageFolder, long seed) throws IOException {
        if (teacher.config().unet().isTextConditioned()) {
            if (imageFolder != null) {
                throw new IllegalArgumentException("--image-folder is for class-conditional teachers; a text-to-image teacher distils on fashion scenes");
            }
            Autoencoder ae = Autoencoder.forModel(teacher.config(), teacherDir);
            try {
                TrainingData scenes = new SceneLatents(new SceneGenerator(FashionMnist.load(fashionMnist, FashionMnist.Split.TRAIN), false, seed), ae,
                        teacher.config().unet().text().maxTokens());
                String what = needsExamples ? "latents and captions" : "captions";
                return new DistillationData(scenes, "training-split fashion-scene " + what + " from Fashion-MNIST in "
                        + FashionMnist.locate(fashionMnist), ae);
            } catch (IOException | RuntimeException e) {
                ae.close();
                throw e;
            }
        }
        if (!needsExamples) {
            return new DistillationData(TrainingData.uniformClasses(teacher.config().unet().numClasses()),
                    "none (backward distillation is data-free)", null);
        }
        if (imageFolder != null) {
            return new DistillationData(TrainingData.classImages(ImageFolder.load(imageFolder)), "image folder " + imageFolder.toAbsolutePath(), null);
        }
        return new DistillationData(TrainingData.classImages(FashionMnist.load(fashionMnist, FashionMnist.Split.TRAIN)),
                "Fashion-MNIST train split from " + FashionMnist.locate(fashionMnist), null);
    }

    @Override
    public void close() {
        if (autoencoder != null) {
            autoencoder.close();
        }
    }
}
