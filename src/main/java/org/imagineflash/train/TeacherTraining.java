package org.imagineflash.train;

import org.imagineflash.random.Seeds;
import org.imagineflash.model.Tensors;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.eval.ContrastiveModel;
import org.imagineflash.model.BlockWeights;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.NoiseLevels;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.UNet;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Denoising score matching (Ho et al. 2020, Algorithm 1) with label dropout for classifier-free guidance:
 * t ~ U{0..T−1}, ε ~ N(0, I), x_t = α_t x_0 + σ_t ε, loss = ‖F(x_t, t, c) − target‖² where the target is ε, v or x_0
 * ({@link Parameterization#target}). AdamW, warm-up + cosine LR, EMA weights, checkpoints that resume exactly.
 */
public final class TeacherTraining {
    private final ModelConfig modelConfig;
    private final TrainOptions opt;
    private final java.util.function.Function<org.imagineflash.model.UNetConfig, ai.djl.nn.Block> network;
    private Path textEncoder;

    public TeacherTraining(ModelConfig modelConfig, TrainOptions options) {
        this(modelConfig, options, org.imagineflash.model.UNet::new);
    }

    /** Training of a model whose network is built by {@code network} (see {@link DiffusionModel#create(ModelConfig, long, java.util.function.Function)}). */
    public TeacherTraining(ModelConfig modelConfig, TrainOptions options,
                           java.util.function.Function<org.imagineflash.model.UNetConfig, ai.djl.nn.Block> network) {
        this.modelConfig = modelConfig;
        this.opt = options;
        this.network = network;
    }

    /**
     * Starts the network's frozen text encoder ({@link org.imagineflash.model.TextEncoderConfig#frozen}) from the text
     * tower of the contrastive model in {@code dir}, also over a warm start's encoder (not on resuming: the checkpoint
     * holds it).
     */
    public TeacherTraining textEncoder(Path dir) {
        if (!modelConfig.unet().isTextConditioned() || !modelConfig.unet().text().frozen()) {
            throw new IllegalArgumentException("a pre-trained text encoder is for a text network whose encoder is frozen");
        }
        this.textEncoder = dir;
        return this;
    }

    /** Losses per step (of this run) and the final EMA model (owned by the caller). */
    public record Result(DiffusionModel ema, List<Float> losses, double wallSeconds, long steps) {
    }

    public Result run(LabeledImages data, Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        return run(data, null, checkpointDir, resume, progressOut);
    }

    public Result run(LabeledImages data, Path init, Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        if (data.numClasses() > modelConfig.unet().numClasses()) {
            throw new IllegalArgumentException("data has " + data.numClasses() + " classes, model " + modelConfig.unet().numClasses());
        }
        return run(TrainingData.classImages(data), init, checkpointDir, resume, progressOut);
    }

    /**
     * Training on {@code data}, warm-started from the weights of the model directory {@code init} (same architecture;
     * fresh optimizer and EMA initialised to those weights) unless resuming.
     */
    public Result run(TrainingData data, Path init, Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        Shape ex = data.exampleShape();
        if (ex.get(1) != modelConfig.unet().imageSize() || ex.get(2) != modelConfig.unet().imageSize() || ex.get(0) != modelConfig.unet().inChannels()) {
            throw new IllegalArgumentException("data examples are " + ex.get(0) + "×" + ex.get(1) + "×" + ex.get(2) + " but the model expects "
                    + modelConfig.unet().inChannels() + "×" + modelConfig.unet().imageSize() + "×" + modelConfig.unet().imageSize());
        }
        DiffusionModel model = DiffusionModel.create(modelConfig, opt.seed(), network);
        if (init != null && !resume) {
            ModelStore.readWeights(model, init.resolve(ModelStore.WEIGHTS));
        }
        if (textEncoder != null && !resume) {
            try (ContrastiveModel pre = ContrastiveModel.load(textEncoder)) {
                BlockWeights.copy(pre.textEncoderParameters(), BlockWeights.parameters(((UNet) model.network()).textEncoder()),
                        "--text-encoder " + textEncoder);
            } catch (IOException | RuntimeException e) {
                model.close();
                throw e;
            }
        }
        DiffusionModel ema = model.copy(modelConfig);
        AdamW adam = AdamW.standard(model.parameters(), (float) opt.weightDecay());
        LrSchedule lr = new LrSchedule(opt.lrSchedule(), opt.lr(), opt.warmup(), opt.steps());
        Checkpoint.Run run = new Checkpoint.Run(opt.seed(), opt.steps(), opt.batchSize(), opt.lr(), opt.lrSchedule());
        int b = opt.batchSize();
        NoiseLevels levels = new NoiseLevels(model.schedule());
        TrainingLoop.Step step = new TrainingLoop.Step() {
            @Override
            public float[] loss(long s, SplittableRandom r, NDManager sub) {
                TrainingData.Batch batch = data.batch(model, r, b, opt.labelDropout(), model.schedule().numTrainTimesteps(), sub);
                int[] t = batch.t();
                NDArray x0a = batch.x0();
                Shape shape = x0a.getShape();
                NDArray eps = Tensors.floats(sub, Seeds.gaussian(r, (int) shape.size()), shape);
                NDArray alpha = levels.alphas(sub, t);
                NDArray sigma = levels.sigmas(sub, t);
                NDArray xt = x0a.mul(alpha).add(eps.mul(sigma));
                NDArray target = modelConfig.parameterization().target(x0a, eps, alpha, sigma);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray out = model.forward(xt, levels.timesteps(sub, t), batch.condition(), true);
                    NDArray l = out.sub(target).square().mean();
                    gc.backward(l);
                    return new float[] {l.getFloat(), (float) lr.at(s)};
                }
            }

            @Override
            public String describe(float[] terms) {
                return String.format("loss %.4f lr %.2e", terms[0], terms[1]);
            }
        };
        TrainingLoop.Outcome done;
        try {
            done = new TrainingLoop("train-teacher", opt.steps(), opt.seed(), 1, lr, adam)
                    .ema(new Ema(model.parameters(), ema.parameters(), opt.emaDecay()))
                    .checkpoints(checkpointDir == null ? null : new TrainingLoop.Checkpoints(checkpointDir, model, ema, null, opt.checkpointEvery(), run),
                            resume)
                    .progress(progressOut).run(model.manager(), step);
        } catch (IOException | RuntimeException e) {
            ema.close();
            throw e;
        } finally {
            model.close();
        }
        List<Float> losses = new ArrayList<>();
        done.losses().forEach(l -> losses.add(l[0]));
        return new Result(ema, losses, done.wallSeconds(), opt.steps());
    }
}
