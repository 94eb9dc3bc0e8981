package org.imagineflash.cli;

import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.eval.SceneBenchmark;
import org.imagineflash.latent.Autoencoder;
import org.imagineflash.latent.AutoencoderTraining;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Provenance;
import org.imagineflash.train.Checkpoint;
import org.imagineflash.train.TrainingLoop;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash train-autoencoder}: the latent space of the text-to-image task. */
@Command(name = "train-autoencoder", mixinStandardHelpOptions = true,
        description = {"Train the KL autoencoder of fashion scenes (3×48×48 → 4×12×12 latents) with checkpoints and --resume,",
                "measure its latent scaling factor, and its PSNR and decoding time on the prompt suite's real scenes."})
public final class TrainAutoencoderCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--data", description = "Fashion-MNIST directory") Path data;
    @Option(names = "--out", defaultValue = "models/autoencoder-scenes") Path out;
    @Option(names = "--steps", defaultValue = "3000") long steps;
    @Option(names = "--batch-size", defaultValue = "32") int batchSize;
    @Option(names = "--lr", defaultValue = "1e-3") double lr;
    @Option(names = "--seed", defaultValue = "3") long seed;
    @Option(names = "--checkpoint-dir", description = "default: .NAME.checkpoint next to --out") Path checkpointDir;
    @Option(names = "--checkpoint-every", defaultValue = "250") long checkpointEvery;
    @Option(names = "--resume", description = "continue from the checkpoint") boolean resume;
    @Option(names = "--finetune-decoder", paramLabel = "DIR",
            description = "train only the decoder of this autoencoder, its encoder frozen: the latents stay the same, so models trained on them keep working with the new decoder")
    Path finetuneDecoder;
    @Option(names = "--init", paramLabel = "DIR",
            description = "start encoder and decoder from this autoencoder and train both (a new latent space near its own: "
                    + "models trained on its latents must be trained again)") Path init;
    @Option(names = "--gradient-weight", defaultValue = "0",
            description = "weight of the image-gradient term beside L1 (mean |∇x̂ − ∇x|; 0: L1 alone)") double gradientWeight;
    @Option(names = "--kl-weight", paramLabel = "β",
            description = "weight of the KL term beside the mean L1 (both means over elements; default ${DEFAULT-VALUE}, the shipped autoencoder's)")
    double klWeight = AutoencoderTraining.KL_WEIGHT;
    @Option(names = "--decoder-depth", paramLabel = "D",
            description = "residual units after each decoder upsampling (0..4; default: those of --finetune-decoder, else 0); "
                    + "with --finetune-decoder, added units start as the identity") Integer decoderDepth;

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        if (steps < 1 || steps > 10_000_000 || batchSize < 1 || batchSize > 4096 || checkpointEvery < 0) {
            throw new IllegalArgumentException("--steps must be in 1..10000000, --batch-size in 1..4096, --checkpoint-every ≥ 0");
        }
        ModelStore.requireWritable(out);
        Path ck = checkpointDir != null ? checkpointDir : Checkpoint.defaultDir(out);
        if (resume && !Checkpoint.exists(ck)) {
            throw new IllegalArgumentException("--resume: no checkpoint in " + ck);
        }
        if (init != null && finetuneDecoder != null) {
            throw new IllegalArgumentException("--init trains encoder and decoder, --finetune-decoder the decoder alone: give one");
        }
        if (startingDir() != null && !java.nio.file.Files.isDirectory(startingDir())) {
            throw new IllegalArgumentException("no autoencoder in " + startingDir());
        }
        AutoencoderTraining.requireWeights(gradientWeight, klWeight);
        if (decoderDepth != null) {
            Autoencoder.Config.scenes().withDecoderDepth(decoderDepth); // the config owns the range; fail before loading data
        }
        String commit = Provenance.currentGitCommit();
        long t0 = System.nanoTime();
        LabeledImages train = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        LabeledImages test = FashionMnist.load(data, FashionMnist.Split.TEST);
        SceneGenerator scenes = new SceneGenerator(train, false, seed);
        try (Autoencoder ae = start(seed)) {
            String latentsOf = finetuneDecoder != null ? ae.latents(finetuneDecoder) : null;
            AutoencoderTraining.Part part = finetuneDecoder != null ? AutoencoderTraining.Part.DECODER : AutoencoderTraining.Part.ALL;
            TrainingLoop.Outcome o = AutoencoderTraining.train(ae, part, gradientWeight, klWeight, scenes, steps, batchSize, lr, seed, ck, checkpointEvery, resume, System.err);
            if (part == AutoencoderTraining.Part.ALL) {
                ae.setLatentsOf(null); // a trained encoder makes latents of its own
                ae.setScalingFactor(AutoencoderTraining.scalingFactor(ae, scenes));
            } else {
                ae.setLatentsOf(latentsOf);
            }
            List<byte[]> real = SceneBenchmark.realScenes(PromptSuite.read(PromptSuite.DEFAULT), test, 5).images();
            double psnr = AutoencoderTraining.psnr(real, AutoencoderTraining.roundTrip(ae, real));
            double decodeMs = AutoencoderTraining.decodeMillis(ae, 200);
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("command", "imagine-flash " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            prov.put("seed", seed);
            prov.put("steps", steps);
            prov.put("batchSize", batchSize);
            prov.put("data", "training-split scenes (held-out pairs excluded) from Fashion-MNIST in " + FashionMnist.locate(data));
            prov.put("gitCommit", commit);
            prov.put("wallSeconds", (System.nanoTime() - t0) / 1e9);
            prov.put("trainSeconds", o.wallSeconds());
            prov.put("machine", Provenance.machineDescription());
            prov.put("gradientWeight", gradientWeight);
            prov.put("decoderDepth", ae.config().decoderDepth());
            if (finetuneDecoder != null) {
                prov.put("decoderFineTunedFrom", finetuneDecoder.toString());
                prov.put("latentsOf", latentsOf);
            } else {
                prov.put("klWeight", klWeight);
                if (init != null) {
                    prov.put("initFrom", init.toString());
                }
            }
            Path from = startingDir();
            if (from != null && java.nio.file.Files.isRegularFile(from.resolve(ModelStore.PROVENANCE))) { // how the start was made
                prov.put("init", ModelStore.JSON.readValue(from.resolve(ModelStore.PROVENANCE).toFile(), Map.class));
            }
            prov.put("scalingFactor", ae.config().scalingFactor());
            prov.put("psnrSuiteRealScenes", psnr);
            prov.put("decodeMsBatch1", decodeMs);
            prov.put("finalL1Mean100", o.losses().stream().skip(Math.max(0, o.losses().size() - 100)).mapToDouble(l -> l[1]).average().orElse(Double.NaN));
            ae.save(out, prov);
            spec.commandLine().getOut().printf("wrote %s: PSNR %.2f dB on the suite's real scenes, decode %.2f ms (batch 1), scaling factor %.4f, %.0f s%n",
                    out, psnr, decodeMs, ae.config().scalingFactor(), o.wallSeconds());
        }
        return 0;
    }

    /** The autoencoder directory a run starts from: --finetune-decoder's or --init's (null: a new autoencoder). */
    private Path startingDir() {
        return finetuneDecoder != null ? finetuneDecoder : init;
    }

    /** The autoencoder a run starts from: a new one, --init's, or the one whose decoder it fine-tunes (deepened if asked). */
    private Autoencoder start(long seed) throws java.io.IOException {
        Path from = startingDir();
        if (from == null) {
            return Autoencoder.create(Autoencoder.Config.scenes().withDecoderDepth(decoderDepth == null ? 0 : decoderDepth), seed);
        }
        Autoencoder base = Autoencoder.load(from);
        if (decoderDepth == null || decoderDepth == base.config().decoderDepth()) {
            return base;
        }
        try (base) {
            return base.withDecoderDepth(decoderDepth);
        }
    }
}
