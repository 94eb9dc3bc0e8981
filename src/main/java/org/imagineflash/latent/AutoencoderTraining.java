package org.imagineflash.latent;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.imagineflash.data.scenes.Scene;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.model.Tensors;
import org.imagineflash.random.Seeds;
import org.imagineflash.train.AdamW;
import org.imagineflash.train.Checkpoint;
import org.imagineflash.train.LrSchedule;
import org.imagineflash.train.TrainingLoop;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Training of the {@link Autoencoder} on training-split scenes: L1 reconstruction of a sample z = μ + σ·ε of the
 * posterior plus β·KL(q(z|x) ‖ N(0, I)) (means over pixels and latent elements), AdamW with a cosine learning rate;
 * then the scaling factor 1/std of the latent means of training scenes.
 * <p>
 * A <em>decoder fine-tune</em> trains the decoder alone, on the L1 reconstruction of the posterior means, with the
 * encoder frozen: the latents (the means, scaled) are unchanged, so every latent diffusion model trained on them keeps
 * working and gets the better decoder. The means are also exactly what those models learn to generate and what the
 * round trip decodes.
 * <p>
 * An optional <em>gradient term</em> adds w·mean |∇x̂ − ∇x| (horizontal and vertical finite differences) to the L1 term:
 * L1 alone is minimised by the median of what the latent leaves uncertain, which blurs the garments' small structure
 * (collars, seams, sleeves) that tells shirts, tops, pullovers and coats apart; matching the image's gradients puts
 * weight on exactly those edges.
 */
public final class AutoencoderTraining {
    /** β of the shipped autoencoder: small, so that latents stay informative (the KL term only keeps their scale in check, as in latent diffusion). */
    public static final double KL_WEIGHT = 1e-4;
    static final int SCALE_SCENES = 2000;

    private AutoencoderTraining() {
    }

    /** Scenes (C·H·W bytes each) as a (B, 3, 48, 48) tensor in [−1, 1]. */
    public static NDArray images(NDManager m, List<byte[]> scenes) {
        return Tensors.pixels(m, scenes, Scene.CHANNELS, Scene.SIZE, Scene.SIZE);
    }

    /** Which parameters a run trains. */
    public enum Part {
        /** Encoder and decoder: L1 of a posterior sample's decoding + β·KL. */
        ALL,
        /** The decoder alone, the encoder frozen: L1 of the posterior means' decoding. */
        DECODER
    }

    /** Mean |∇a − ∇b| over horizontal and vertical finite differences of (B, C, H, W) images. */
    static NDArray gradientDistance(NDArray a, NDArray b) {
        NDArray d = a.sub(b);
        long h = d.getShape().get(2);
        long w = d.getShape().get(3);
        NDArray dx = d.get(":, :, :, 1:" + w).sub(d.get(":, :, :, 0:" + (w - 1))).abs().mean();
        NDArray dy = d.get(":, :, 1:" + h + ", :").sub(d.get(":, :, 0:" + (h - 1) + ", :")).abs().mean();
        return dx.add(dy);
    }

    /** Refuses loss weights outside their ranges: w of the gradient term in [0, 100], β of the KL term in (0, 1]. */
    public static void requireWeights(double gradientWeight, double klWeight) {
        if (!(gradientWeight >= 0 && gradientWeight <= 100)) {
            throw new IllegalArgumentException("--gradient-weight must be in [0, 100], got " + gradientWeight);
        }
        if (!(klWeight > 0 && klWeight <= 1)) {
            throw new IllegalArgumentException("--kl-weight must be in (0, 1], got " + klWeight);
        }
    }

    /**
     * @param gradientWeight w of the gradient term (0: L1 alone)
     * @param klWeight       β of the KL term (ignored by a decoder fine-tune, whose encoder is frozen)
     */
    public static TrainingLoop.Outcome train(Autoencoder ae, Part part, double gradientWeight, double klWeight, SceneGenerator scenes,
                                             long steps, int batch, double lr, long seed, Path checkpointDir, long checkpointEvery,
                                             boolean resume, PrintStream progress) throws IOException {
        requireWeights(gradientWeight, klWeight);
        if (part == Part.DECODER) {
            ae.freezeEncoder();
        }
        AdamW adam = AdamW.standard(part == Part.DECODER ? ae.decoderParameters() : ae.parameters(), 1e-4f);
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.COSINE, lr, Math.min(200, steps / 10), steps);
        int z = ae.config().latentChannels();
        int ls = ae.config().latentSize();
        Shape latent = new Shape(batch, z, ls, ls);
        TrainingLoop.Step step = new TrainingLoop.Step() {
            @Override
            public float[] loss(long s, java.util.SplittableRandom r, NDManager sub) {
                List<byte[]> images = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    images.add(scenes.scene(s * batch + i).rgb());
                }
                NDArray x = images(sub, images);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    ParameterStore ps = new ParameterStore(sub, false);
                    // constants as tensors of the step's manager (Tensors: a scalar DJL creates for mul(float) is
                    // freed at once while autograd may still read it in backward)
                    NDArray c = Tensors.floats(sub, new float[] {0.5f, 1f, (float) klWeight, (float) gradientWeight});
                    NDArray xHat;
                    NDArray kl = null;
                    if (part == Part.DECODER) {
                        xHat = ae.decodeUnscaled(ps, ae.posterior(ps, x, false).get(0).stopGradient(), true);
                    } else {
                        NDList post = ae.posterior(ps, x, true);
                        NDArray mu = post.get(0);
                        NDArray logvar = post.get(1);
                        NDArray half = c.get("0:1");
                        NDArray eps = Tensors.floats(sub, Seeds.gaussian(r, (int) latent.size()), latent);
                        xHat = ae.decodeUnscaled(ps, mu.add(logvar.mul(half).exp().mul(eps)), true);
                        kl = mu.square().add(logvar.exp()).sub(c.get("1:2")).sub(logvar).mul(half).mean();
                    }
                    NDArray rec = xHat.sub(x).abs().mean();
                    NDArray l = kl == null ? rec : rec.add(kl.mul(c.get("2:3")));
                    if (gradientWeight > 0) {
                        l = l.add(gradientDistance(xHat, x).mul(c.get("3:4")));
                    }
                    gc.backward(l);
                    return new float[] {l.getFloat(), rec.getFloat(), kl == null ? 0f : kl.getFloat()};
                }
            }

            @Override
            public String describe(float[] t) {
                return String.format("L1 %.4f KL %.3f", t[1], t[2]);
            }
        };
        Checkpoint.Extra weights = new Checkpoint.Extra() {
            @Override
            public void save(Path dir) throws IOException {
                ae.writeWeights(dir.resolve("autoencoder.params"));
            }

            @Override
            public void load(Path dir) throws IOException {
                ae.readWeights(dir.resolve("autoencoder.params"));
            }
        };
        TrainingLoop loop = new TrainingLoop("train-autoencoder", steps, seed, 43, schedule, adam).progress(progress);
        if (checkpointDir != null) {
            loop.checkpoints(new TrainingLoop.Checkpoints(checkpointDir, null, null, weights, checkpointEvery,
                    new Checkpoint.Run(seed, steps, batch, lr, schedule.kind())), resume);
        }
        return loop.run(ae.manager(), step);
    }

    /** 1/std of the latent means of {@value #SCALE_SCENES} training scenes (diffusers' scaling_factor). */
    public static double scalingFactor(Autoencoder ae, SceneGenerator scenes) {
        double sum = 0;
        double sq = 0;
        long n = 0;
        for (int s = 0; s < SCALE_SCENES; s += 200) {
            try (NDManager sub = ae.manager().newSubManager()) {
                List<byte[]> images = new ArrayList<>();
                for (int i = s; i < s + 200; i++) {
                    images.add(scenes.scene(1_000_000_000L + i).rgb());
                }
                float[] mu = ae.posterior(new ParameterStore(sub, false), images(sub, images), false).get(0).toFloatArray();
                for (float v : mu) {
                    sum += v;
                    sq += (double) v * v;
                }
                n += mu.length;
            }
        }
        double mean = sum / n;
        return 1.0 / Math.sqrt(sq / n - mean * mean);
    }

    /** Decoded images (clipped to [−1, 1]) of scaled latents, as bytes. */
    public static List<byte[]> roundTrip(Autoencoder ae, List<byte[]> scenes) {
        List<byte[]> out = new ArrayList<>();
        for (int s = 0; s < scenes.size(); s += 200) {
            try (NDManager sub = ae.manager().newSubManager()) {
                List<byte[]> part = scenes.subList(s, Math.min(scenes.size(), s + 200));
                ParameterStore ps = new ParameterStore(sub, false);
                float[] x = ae.decode(ps, ae.encode(ps, images(sub, part))).toFloatArray();
                for (int i = 0; i < part.size(); i++) {
                    byte[] b = new byte[Scene.BYTES];
                    for (int j = 0; j < Scene.BYTES; j++) {
                        b[j] = (byte) Math.max(0, Math.min(255, Math.round((x[i * Scene.BYTES + j] + 1f) * 127.5f)));
                    }
                    out.add(b);
                }
            }
        }
        return out;
    }

    /** Peak signal-to-noise ratio (dB) of reconstructions against originals, over all bytes. */
    public static double psnr(List<byte[]> originals, List<byte[]> reconstructions) {
        double se = 0;
        long n = 0;
        for (int i = 0; i < originals.size(); i++) {
            byte[] a = originals.get(i);
            byte[] b = reconstructions.get(i);
            for (int j = 0; j < a.length; j++) {
                double d = (a[j] & 0xff) - (b[j] & 0xff);
                se += d * d;
            }
            n += a.length;
        }
        return 10 * Math.log10(255.0 * 255.0 / (se / n));
    }

    /** Median milliseconds to decode one latent (batch 1), over {@code runs} after a warm-up. */
    public static double decodeMillis(Autoencoder ae, int runs) {
        int ls = ae.config().latentSize();
        double[] ms = new double[runs];
        try (NDManager sub = ae.manager().newSubManager()) {
            NDArray z = sub.randomNormal(new Shape(1, ae.config().latentChannels(), ls, ls));
            ParameterStore ps = new ParameterStore(sub, false);
            for (int i = 0; i < 20; i++) {
                ae.decode(ps, z).toFloatArray();
            }
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                ae.decode(ps, z).toFloatArray();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        java.util.Arrays.sort(ms);
        return ms[runs / 2];
    }
}
