package org.imagineflash.train;

import org.imagineflash.model.KernelCheck;
import org.imagineflash.model.Tensors;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.NoiseLevels;
import org.imagineflash.model.Parameterization;

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

    /** Losses per step (of this run) and the final EMA model (owned by the caller). */
    public record Result(DiffusionModel ema, List<Float> losses, double wallSeconds, long steps) {
    }

    public Result run(LabeledImages data, Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        return run(data, null, checkpointDir, resume, progressOut);
    }

    /**
     * As {@link #run(LabeledImages, Path, boolean, PrintStream)}, warm-started from the weights of the model directory
     * {@code init} (same architecture; fresh optimizer and EMA initialised to those weights) unless resuming.
     */
    public Result run(LabeledImages data, Path init, Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException {
        if (data.height() != modelConfig.unet().imageSize() || data.width() != modelConfig.unet().imageSize()) {
            throw new IllegalArgumentException("data images are " + data.height() + "×" + data.width()
                    + " but the model expects " + modelConfig.unet().imageSize() + "×" + modelConfig.unet().imageSize());
        }
        if (data.numClasses() > modelConfig.unet().numClasses()) {
            throw new IllegalArgumentException("data has " + data.numClasses() + " classes, model " + modelConfig.unet().numClasses());
        }
        DiffusionModel model = DiffusionModel.create(modelConfig, opt.seed(), network);
        if (init != null && !resume) {
            ModelStore.readWeights(model, init.resolve(ModelStore.WEIGHTS));
        }
        DiffusionModel ema = model.copy(modelConfig);
        AdamW adam = AdamW.standard(model.parameters(), (float) opt.weightDecay());
        Ema emaUpdate = new Ema(model.parameters(), ema.parameters(), opt.emaDecay());
        LrSchedule lr = new LrSchedule(opt.lrSchedule(), opt.lr(), opt.warmup(), opt.steps());
        Checkpoint.Run run = new Checkpoint.Run(opt.seed(), opt.steps(), opt.batchSize(), opt.lr());
        Checkpoint.Resumed from = resume ? Checkpoint.resume(checkpointDir, model, ema, adam, null, run) : Checkpoint.Resumed.FRESH;
        long start = from.step();
        double priorWall = from.wallSeconds();
        List<Float> losses = new ArrayList<>();
        long t0 = System.nanoTime();
        int hw = data.height() * data.width();
        int b = opt.batchSize();
        NoiseLevels levels = new NoiseLevels(model.schedule());
        try (ProgressBar pb = progress("train-teacher", opt.steps(), start, progressOut)) {
            for (long step = start; step < opt.steps(); step++) {
                SplittableRandom r = Seeds.stream(opt.seed(), step, 1);
                float[] x0 = new float[b * hw];
                int[] labels = new int[b];
                int[] t = new int[b];
                for (int i = 0; i < b; i++) {
                    int idx = r.nextInt(data.size());
                    data.copyScaled(idx, x0, i * hw);
                    labels[i] = r.nextDouble() < opt.labelDropout() ? modelConfig.unet().nullClass() : data.labels()[idx];
                    t[i] = r.nextInt(model.schedule().numTrainTimesteps());
                }
                float[] noise = Seeds.gaussian(r, b * hw);
                float loss;
                try (NDManager sub = model.manager().newSubManager()) {
                    Shape shape = new Shape(b, 1, data.height(), data.width());
                    NDArray x0a = Tensors.floats(sub, x0, shape);
                    NDArray eps = Tensors.floats(sub, noise, shape);
                    NDArray alpha = levels.alphas(sub, t);
                    NDArray sigma = levels.sigmas(sub, t);
                    NDArray xt = x0a.mul(alpha).add(eps.mul(sigma));
                    NDArray target = modelConfig.parameterization().target(x0a, eps, alpha, sigma);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray out = model.forward(xt, levels.timesteps(sub, t), Tensors.ints(sub, labels), true);
                        NDArray l = out.sub(target).square().mean();
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    adam.step((float) lr.at(step));
                    emaUpdate.update(step);
                    KernelCheck.verifyPending();
                }
                losses.add(loss);
                pb.stepTo(step + 1);
                pb.setExtraMessage(String.format("loss %.4f lr %.2e", loss, lr.at(step)));
                if (Checkpoint.due(checkpointDir, step + 1, opt.steps(), opt.checkpointEvery())) {
                    Checkpoint.save(checkpointDir, model, ema, adam, null, step + 1, run,
                            priorWall + (System.nanoTime() - t0) / 1e9, "lastLoss", loss);
                }
            }
        }
        double wall = priorWall + (System.nanoTime() - t0) / 1e9;
        model.close();
        return new Result(ema, losses, wall, opt.steps());
    }

    public static ProgressBar progress(String name, long max, long start, PrintStream out) {
        ProgressBarBuilder pbb = new ProgressBarBuilder().setTaskName(name).setInitialMax(max).startsFrom(start, java.time.Duration.ZERO)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(2000).showSpeed()
                .setMaxRenderedLength(120);
        if (out != null) {
            pbb.setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(out));
        } else {
            pbb.setConsumer(new me.tongfei.progressbar.DelegatingProgressBarConsumer(s -> { }));
        }
        return pbb.build();
    }
}
