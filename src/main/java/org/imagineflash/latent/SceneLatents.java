package org.imagineflash.latent;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.data.scenes.Scene;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.TextTokens;
import org.imagineflash.train.TeacherData;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A text-to-image teacher's training data: training-split scenes, encoded by the autoencoder (the scaled posterior
 * mean), with their captions as tokens; a caption is dropped to the empty prompt at the label-dropout rate.
 */
public final class SceneLatents implements TeacherData {
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
        NDArray z;
        try (NDManager enc = autoencoder.manager().newSubManager()) {
            float[] latents = autoencoder.encode(new ParameterStore(enc, false), AutoencoderTraining.images(enc, images)).toFloatArray();
            z = org.imagineflash.model.Tensors.floats(sub, latents, new Shape(b).addAll(exampleShape()));
        }
        return new Batch(z, TextTokens.of(sub, ids, b, maxTokens), t);
    }
}
