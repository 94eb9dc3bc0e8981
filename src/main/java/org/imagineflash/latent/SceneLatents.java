package org.imagineflash.latent;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.data.scenes.Scene;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.Condition;
import org.imagineflash.train.TrainingData;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A text-to-image model's training data: training-split scenes, encoded by the autoencoder (the scaled posterior
 * mean), with their captions as tokens; a teacher's caption is dropped to the empty prompt at the label-dropout rate.
 */
public final class SceneLatents implements TrainingData {
    /** Scenes are drawn from the first 2⁴⁰ of the generator's stream. */
    private static final long SCENES = 1L << 40;
    private final SceneGenerator scenes;
    private final Autoencoder autoencoder;
    private final int maxTokens;

    public SceneLatents(SceneGenerator scenes, Autoencoder autoencoder, int maxTokens) {
        this.scenes = scenes;
        this.autoencoder = autoencoder;
        this.maxTokens = maxTokens;
    }

    @Override
    public Shape exampleShape() {
        int s = autoencoder.config().latentSize();
        return new Shape(autoencoder.config().latentChannels(), s, s);
    }

    @Override
    public Batch batch(DiffusionModel model, SplittableRandom r, int b, double dropout, int numTrain, NDManager sub) {
        List<byte[]> images = new ArrayList<>();
        long[] ids = new long[b * maxTokens];
        int[] t = new int[b];
        for (int i = 0; i < b; i++) {
            Scene s = scenes.scene(r.nextLong(SCENES));
            images.add(s.rgb());
            if (!(r.nextDouble() < dropout)) {
                System.arraycopy(CaptionParser.ids(s.text(), maxTokens), 0, ids, i * maxTokens, maxTokens);
            }
            t[i] = r.nextInt(numTrain);
        }
        return new Batch(encode(images, b, sub), model.textTokens(sub, ids, b), t);
    }

    @Override
    public Examples examples(DiffusionModel model, SplittableRandom r, int b, NDManager sub) {
        List<byte[]> images = new ArrayList<>();
        long[] ids = new long[b * maxTokens];
        for (int i = 0; i < b; i++) {
            Scene s = scenes.scene(r.nextLong(SCENES));
            images.add(s.rgb());
            System.arraycopy(CaptionParser.ids(s.text(), maxTokens), 0, ids, i * maxTokens, maxTokens);
        }
        return new Examples(encode(images, b, sub), model.textTokens(sub, ids, b));
    }

    @Override
    public Condition conditions(DiffusionModel model, SplittableRandom r, int b, NDManager sub) {
        long[] ids = new long[b * maxTokens];
        for (int i = 0; i < b; i++) {
            System.arraycopy(CaptionParser.ids(scenes.caption(r.nextLong(SCENES)), maxTokens), 0, ids, i * maxTokens, maxTokens);
        }
        return model.textTokens(sub, ids, b);
    }

    @Override
    public void requireFits(DiffusionModel model) {
        TrainingData.super.requireFits(model);
        if (!model.config().unet().isTextConditioned() || model.config().unet().text().maxTokens() != maxTokens) {
            throw new IllegalArgumentException("scene latents need a text-to-image model reading " + maxTokens + " tokens");
        }
    }

    /** The scaled posterior means of RGB scenes, (B, C, h, w) in {@code sub}. */
    private NDArray encode(List<byte[]> images, int b, NDManager sub) {
        try (NDManager enc = autoencoder.manager().newSubManager()) {
            float[] latents = autoencoder.encode(new ParameterStore(enc, false), AutoencoderTraining.images(enc, images)).toFloatArray();
            return org.imagineflash.model.Tensors.floats(sub, latents, new Shape(b).addAll(exampleShape()));
        }
    }
}
