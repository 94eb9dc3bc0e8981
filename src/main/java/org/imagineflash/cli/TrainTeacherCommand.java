package org.imagineflash.cli;

import org.imagineflash.data.ImageFolder;
import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.latent.Autoencoder;
import org.imagineflash.latent.SceneLatents;
import org.imagineflash.model.TextEncoderConfig;
import org.imagineflash.eval.ContrastiveModel;
import org.imagineflash.train.TrainingData;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.Provenance;
import org.imagineflash.model.UNetConfig;
import org.imagineflash.train.TeacherTraining;
import org.imagineflash.train.TrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash train-teacher}: trains the class-conditional diffusion teacher. */
@Command(name = "train-teacher", mixinStandardHelpOptions = true,
        description = {"Train a diffusion UNet (the teacher): class-conditional on Fashion-MNIST or a PNG image folder, or",
                "text-to-image on the latents of fashion scenes (--task scenes --autoencoder DIR)."})
public final class TrainTeacherCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Mixin
    ScheduleOptions schedule;
    @Option(names = "--data", description = "Fashion-MNIST directory (default: $IMAGINE_FLASH_DATA, then /usr/share/datasets/fashion-mnist)")
    Path data;
    @Option(names = "--image-folder", description = "train on PNG images instead: one sub-folder per class")
    Path imageFolder;
    @Option(names = "--out", required = true, description = "model directory to write")
    Path out;
    @Option(names = "--steps", defaultValue = "6000") long steps;
    @Option(names = "--batch-size", defaultValue = "64") int batchSize;
    @Option(names = "--lr", defaultValue = "1e-3") double lr;
    @Option(names = "--lr-schedule", defaultValue = "cosine", description = "cosine | constant") String lrSchedule;
    @Option(names = "--warmup", defaultValue = "200") long warmup;
    @Option(names = "--weight-decay", defaultValue = "0.0") double weightDecay;
    @Option(names = "--ema-decay", defaultValue = "0.999") double emaDecay;
    @Option(names = "--label-dropout", defaultValue = "0.1", description = "null-class probability for CFG") double labelDropout;
    @Option(names = "--prediction", defaultValue = "eps", description = "eps | v | x0") String prediction;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--checkpoint-every", defaultValue = "250") long checkpointEvery;
    @Option(names = "--checkpoint-dir", description = "default: .<out name>.checkpoint next to --out") Path checkpointDir;
    @Option(names = "--resume", description = "continue from the checkpoint") boolean resume;
    @Option(names = "--init", description = "warm start from this model directory's weights (same architecture; fresh optimizer)") Path init;
    @Option(names = "--base-channels", defaultValue = "32") int baseChannels;
    @Option(names = "--channel-mults", defaultValue = "1,2,2", split = ",") int[] channelMults;
    @Option(names = "--res-blocks", defaultValue = "1") int resBlocks;
    @Option(names = "--attention", defaultValue = "7", split = ",", description = "resolutions with self-attention") int[] attention;
    @Option(names = "--task", defaultValue = "fmnist", description = "fmnist (class-conditional, also --image-folder) | scenes "
            + "(text-to-image on fashion-scene latents: needs --autoencoder)") String task;
    @Option(names = "--autoencoder", description = "scenes: the autoencoder whose latents the teacher denoises") Path autoencoder;
    @Option(names = "--text-width", defaultValue = "96", description = "scenes: the text encoder's width") int textWidth;
    @Option(names = "--text-layers", defaultValue = "2", description = "scenes: the text encoder's transformer blocks") int textLayers;
    @Option(names = "--max-tokens", defaultValue = "16", description = "scenes: prompt length in tokens") int maxTokens;
    @Option(names = "--pooled-prompt", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "scenes: add the pooled prompt to the timestep embedding (--no-pooled-prompt: cross-attention only)")
    boolean pooledPrompt;
    @Option(names = "--text-encoder", description = "scenes: start the text encoder from this contrastive model's text tower "
            + "(train-contrastive --hard-negatives, another seed and width than the instrument) and freeze it; its width, "
            + "layers, heads and prompt length replace --text-width, --text-layers and --max-tokens") Path textEncoder;

    /** The contrastive model that measures scene generators (eval --contrastive's default). */
    private static final Path INSTRUMENT = Path.of("models/contrastive-scenes");

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        ModelStore.requireWritable(out);
        String commit = Provenance.currentGitCommit();
        TrainOptions opts = TrainOptions.builder(steps).batchSize(batchSize).lr(lr).lrSchedule(lrSchedule).warmup(warmup)
                .weightDecay(weightDecay).emaDecay(emaDecay).labelDropout(labelDropout).seed(seed).checkpointEvery(checkpointEvery).build();
        if (task.equals("scenes")) {
            return scenes(commit, opts);
        }
        if (!task.equals("fmnist")) {
            throw new IllegalArgumentException("--task must be fmnist or scenes, got " + task);
        }
        if (autoencoder != null || textEncoder != null) {
            throw new IllegalArgumentException("--autoencoder and --text-encoder are for --task scenes");
        }
        LabeledImages images;
        String dataDesc;
        if (imageFolder != null) {
            images = ImageFolder.load(imageFolder);
            dataDesc = "image folder " + imageFolder.toAbsolutePath();
        } else {
            images = FashionMnist.load(data, FashionMnist.Split.TRAIN);
            dataDesc = "Fashion-MNIST train split (" + images.size() + " images) from " + FashionMnist.locate(data);
        }
        UNetConfig unet = UNetConfig.builder(images.height(), images.numClasses()).baseChannels(baseChannels).channelMults(channelMults)
                .numResBlocks(resBlocks).attentionResolutions(attention).groups(8).heads(4).build();
        ModelConfig config = ModelConfig.teacher(unet, schedule.toConfig(), Parameterization.parse(prediction));
        return train(config, TrainingData.classImages(images), dataDesc, commit, opts);
    }

    /** A text-to-image teacher on the latents of training-split fashion scenes. */
    private int scenes(String commit, TrainOptions opts) throws Exception {
        if (autoencoder == null) {
            throw new IllegalArgumentException("--task scenes needs --autoencoder (e.g. models/autoencoder-scenes)");
        }
        if (imageFolder != null) {
            throw new IllegalArgumentException("--image-folder is for --task fmnist");
        }
        LabeledImages garments = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        TextEncoderConfig text = new TextEncoderConfig(CaptionParser.words(), textWidth, textLayers, 4, maxTokens, pooledPrompt);
        if (textEncoder != null) {
            ContrastiveModel.Config c = ModelStore.readJsonConfig(textEncoder, ContrastiveModel.CONFIG, ContrastiveModel.Config.class,
                    "a contrastive model", "train-contrastive");
            if (Files.isRegularFile(INSTRUMENT.resolve(ModelStore.WEIGHTS))
                    && ModelStore.sha256(INSTRUMENT.resolve(ModelStore.WEIGHTS)).equals(ModelStore.sha256(textEncoder.resolve(ModelStore.WEIGHTS)))) {
                throw new IllegalArgumentException("--text-encoder " + textEncoder + " is the evaluation instrument " + INSTRUMENT
                        + ": a generator must never be trained on what measures it (train another with train-contrastive --seed --out)");
            }
            text = new TextEncoderConfig(c.vocabulary(), c.textWidth(), c.textLayers(), c.heads(), c.maxTokens(), pooledPrompt, true);
        }
        try (Autoencoder ae = Autoencoder.load(autoencoder)) {
            UNetConfig unet = UNetConfig.builder(ae.config().latentSize(), 1).inChannels(ae.config().latentChannels())
                    .baseChannels(baseChannels).channelMults(channelMults).numResBlocks(resBlocks).attentionResolutions(attention)
                    .groups(8).heads(4).text(text).build();
            ModelConfig config = ModelConfig.teacher(unet, schedule.toConfig(), Parameterization.parse(prediction))
                    .onLatents(autoencoder.toString(), ModelStore.sha256(autoencoder.resolve(ModelStore.WEIGHTS)));
            String desc = "training-split fashion scenes (held-out pairs excluded) from Fashion-MNIST in " + FashionMnist.locate(data)
                    + ", encoded by " + autoencoder;
            return train(config, new SceneLatents(new SceneGenerator(garments, false, seed), ae, text.maxTokens()), desc, commit, opts);
        }
    }

    private int train(ModelConfig config, TrainingData trainingData, String dataDesc, String commit, TrainOptions opts) throws Exception {
        if (init != null) {
            ModelConfig initConfig = ModelStore.readConfig(init);
            UNetConfig u = initConfig.unet();
            if (textEncoder != null && u.isTextConditioned()) { // its encoder is replaced by --text-encoder's and frozen
                u = new UNetConfig(u.imageSize(), u.inChannels(), u.baseChannels(), u.channelMults(), u.numResBlocks(),
                        u.attentionResolutions(), u.numClasses(), u.groups(), u.heads(), u.text().asFrozen());
            }
            if (!u.equals(config.unet()) || !initConfig.schedule().equals(config.schedule())
                    || initConfig.parameterization() != config.parameterization()) {
                throw new IllegalArgumentException("--init " + init + " has a different architecture, schedule or prediction "
                        + "than the options given (its config: " + init.resolve(ModelStore.CONFIG) + ")");
            }
        }
        Path ckpt = checkpointDir != null ? checkpointDir : org.imagineflash.train.Checkpoint.defaultDir(out);
        TeacherTraining training = new TeacherTraining(config, opts);
        if (textEncoder != null) {
            training.textEncoder(textEncoder);
        }
        TeacherTraining.Result r = training.run(trainingData, init, ckpt, resume, System.err);
        try (var ema = r.ema()) {
            String cmd = "imagine-flash " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
            int n = r.losses().size();
            double tail = r.losses().subList(Math.max(0, n - 100), n).stream().mapToDouble(Float::doubleValue).average().orElse(Double.NaN);
            // a warm start's steps and wall time include those of the model it started from (details under "init")
            Provenance before = init != null ? ModelStore.readProvenance(init) : null;
            long totalSteps = r.steps() + (before != null ? before.steps() : 0);
            double totalWall = r.wallSeconds() + (before != null ? before.wallSeconds() : 0);
            Map<String, Object> extra = new java.util.LinkedHashMap<>(Map.of("parameters", ema.parameterCount(), "finalLossMean100", tail, "options", opts));
            if (textEncoder != null) { // the frozen encoder's source, by content
                extra.put("textEncoder", Map.of("dir", textEncoder.toString(),
                        "weightsSha256", ModelStore.sha256(textEncoder.resolve(ModelStore.WEIGHTS))));
            }
            ModelStore.save(ema, out, Provenance.of(commit, cmd, seed, dataDesc, totalSteps, totalWall, initInfo(before, extra)));
            spec.commandLine().getOut().printf("wrote %s: %d parameters, %d steps (%d in total), %.0f s (%.0f s in total), loss (last 100) %.4f%n",
                    out, ema.parameterCount(), r.steps(), totalSteps, r.wallSeconds(), totalWall, tail);
        }
        return 0;
    }

    /** Provenance extras plus, for a warm start, the initial model's directory and its recorded steps and wall time. */
    private Map<String, Object> initInfo(Provenance p, Map<String, Object> extra) {
        if (init == null) {
            return extra;
        }
        Map<String, Object> m = new java.util.LinkedHashMap<>(extra);
        if (p == null) {
            m.put("init", Map.of("dir", init.toString()));
            return m;
        }
        Map<String, Object> start = new java.util.LinkedHashMap<>(Map.of("dir", init.toString(), "steps", p.steps(),
                "wallSeconds", p.wallSeconds(), "command", p.command(), "gitCommit", String.valueOf(p.gitCommit()),
                "machine", String.valueOf(p.machine()))); // the wall times of a chain's links are each on their own machine
        if (p.extra() != null && p.extra().get("init") != null) { // a chain of warm starts keeps every link
            start.put("init", p.extra().get("init"));
        }
        m.put("init", start);
        return m;
    }
}
