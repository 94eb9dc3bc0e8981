package org.imagineflash.cli;

import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.eval.ContrastiveModel;
import org.imagineflash.eval.ContrastiveTraining;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Provenance;
import org.imagineflash.train.TrainingLoop;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash train-contrastive}: the CLIP analogue of the scene task (an instrument: never train a generator on it). */
@Command(name = "train-contrastive", mixinStandardHelpOptions = true,
        description = {"Train the contrastive image-text model of fashion scenes (the CLIP-score and FD instrument),",
                "store the reference statistics of real test-split scenes, and measure caption retrieval on the prompt suite."})
public final class TrainContrastiveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--data", description = "Fashion-MNIST directory") Path data;
    @Option(names = "--out", defaultValue = "models/contrastive-scenes") Path out;
    @Option(names = "--steps", defaultValue = "2000") long steps;
    @Option(names = "--batch-size", defaultValue = "128") int batchSize;
    @Option(names = "--lr", defaultValue = "1e-3") double lr;
    @Option(names = "--seed", defaultValue = "2") long seed;
    @Option(names = "--hard-negatives", description = "add each caption's colour-swapped or relation-reversed twin as a negative (NegCLIP)")
    boolean hardNegatives;
    @Option(names = "--text-width", defaultValue = "64", description = "the text transformer's width") int textWidth;
    @Option(names = "--text-layers", defaultValue = "2", description = "the text transformer's blocks") int textLayers;
    @Option(names = "--prompts", description = "prompt suite for the measurements (default prompts/scenes.txt)") Path prompts;

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        if (steps < 1 || steps > 1_000_000 || batchSize < 2 || batchSize > 4096) {
            throw new IllegalArgumentException("--steps must be in 1..1000000 and --batch-size in 2..4096");
        }
        ModelStore.requireWritable(out);
        PromptSuite suite = PromptSuite.read(prompts != null ? prompts : PromptSuite.DEFAULT);
        String commit = Provenance.currentGitCommit();
        long t0 = System.nanoTime();
        LabeledImages train = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        LabeledImages test = FashionMnist.load(data, FashionMnist.Split.TEST);
        try (ContrastiveModel m = ContrastiveModel.create(ContrastiveModel.Config.standard().withText(textWidth, textLayers), seed)) {
            TrainingLoop.Outcome o = ContrastiveTraining.train(m, new SceneGenerator(train, false, seed), steps, batchSize, lr, seed, hardNegatives, System.err);
            m.setReference(ContrastiveTraining.reference(m, suite, test));
            Map<String, Object> measured = ContrastiveTraining.measure(m, suite, test, 5);
            double wall = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("command", "imagine-flash " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            prov.put("seed", seed);
            prov.put("steps", steps);
            prov.put("batchSize", batchSize);
            prov.put("hardNegatives", hardNegatives);
            prov.put("data", "training-split scenes (held-out pairs excluded) from Fashion-MNIST in " + FashionMnist.locate(data)
                    + "; reference: " + ContrastiveTraining.REFERENCE_PER_PROMPT + " test-split scenes per suite prompt");
            prov.put("gitCommit", commit);
            prov.put("wallSeconds", wall);
            prov.put("trainSeconds", o.wallSeconds());
            prov.put("machine", Provenance.machineDescription());
            prov.put("finalLossMean100", o.losses().stream().skip(Math.max(0, o.losses().size() - 100)).mapToDouble(l -> l[0]).average().orElse(Double.NaN));
            prov.putAll(measured);
            m.save(out, prov);
            spec.commandLine().getOut().printf("wrote %s: %s, %d steps, %.0f s%n", out, measured, steps, wall);
        }
        return 0;
    }
}
