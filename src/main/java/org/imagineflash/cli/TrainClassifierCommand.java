package org.imagineflash.cli;

import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.eval.ClassifierTraining;
import org.imagineflash.eval.DomainClassifier;
import org.imagineflash.eval.FeatureStats;
import org.imagineflash.model.Provenance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash train-classifier}: the evaluation instrument (features + reference statistics). */
@Command(name = "train-classifier", mixinStandardHelpOptions = true,
        description = {"Train the Fashion-MNIST domain classifier used by eval (FD features, prompt adherence)",
                "and store the reference statistics of the test and train splits next to it."})
public final class TrainClassifierCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--data", description = "Fashion-MNIST directory") Path data;
    @Option(names = "--out", defaultValue = "models/classifier-fmnist") Path out;
    @Option(names = "--steps", defaultValue = "2500") long steps;
    @Option(names = "--batch-size", defaultValue = "64") int batchSize;
    @Option(names = "--lr", defaultValue = "2e-3") double lr;
    @Option(names = "--features", defaultValue = "128", description = "penultimate feature dimension") int features;
    @Option(names = "--subset", defaultValue = "2000", description = "real test images kept for precision/recall") int subset;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--blur-augment", description = "random blur of half the training images (for judging generated or decoded images)") boolean blurAugment;
    @Option(names = "--scene-cells", description = "train on garments resized to the 24×24 cells of fashion scenes (the scene evaluator's classifier)") boolean sceneCells;

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        if (steps < 1 || batchSize < 1 || features < 2 || subset < 10) {
            throw new IllegalArgumentException("--steps, --batch-size ≥ 1, --features ≥ 2, --subset ≥ 10");
        }
        String commit = Provenance.currentGitCommit();
        long t0 = System.nanoTime();
        LabeledImages trainMnist = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        LabeledImages testMnist = FashionMnist.load(data, FashionMnist.Split.TEST);
        LabeledImages train = sceneCells ? SceneGenerator.cells(trainMnist) : trainMnist;
        LabeledImages test = sceneCells ? SceneGenerator.cells(testMnist) : testMnist;
        try (DomainClassifier dc = DomainClassifier.create(new DomainClassifier.Config("classifier", train.height(), features,
                train.numClasses(), 0), seed)) {
            ClassifierTraining.train(dc, train, steps, batchSize, lr, seed, blurAugment, System.err);
            DomainClassifier.Outputs testOut = dc.run(test);
            double acc = testOut.accuracy(test.labels());
            DomainClassifier.Outputs trainOut = dc.run(train);
            double trainAcc = trainOut.accuracy(train.labels());
            FeatureStats[] perClass = new FeatureStats[test.numClasses()];
            for (int c = 0; c < perClass.length; c++) {
                int cc = c;
                perClass[c] = FeatureStats.of(java.util.stream.IntStream.range(0, test.size()).filter(i -> test.labels()[i] == cc)
                        .mapToObj(i -> testOut.features()[i]).toArray(float[][]::new));
            }
            int n = Math.min(subset, test.size());
            float[][] sub = new float[n][];
            int[] subLabels = new int[n];
            for (int i = 0; i < n; i++) {
                int idx = (int) ((long) i * test.size() / n); // evenly spaced, deterministic
                sub[i] = testOut.features()[idx];
                subLabels[i] = test.labels()[idx];
            }
            dc.setTestAccuracy(acc);
            dc.setReference(new DomainClassifier.Reference(FeatureStats.of(testOut.features()), FeatureStats.of(trainOut.features()),
                    sub, subLabels, perClass));
            double wall = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("command", "imagine-flash " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            prov.put("seed", seed);
            prov.put("steps", steps);
            prov.put("batchSize", batchSize);
            prov.put("data", "Fashion-MNIST from " + FashionMnist.locate(data) + (sceneCells ? ", resized to 24×24 scene cells" : ""));
            prov.put("gitCommit", commit);
            prov.put("wallSeconds", wall);
            prov.put("machine", Provenance.machineDescription());
            prov.put("testAccuracy", acc);
            prov.put("trainAccuracy", trainAcc);
            dc.save(out, prov);
            spec.commandLine().getOut().printf("wrote %s: test accuracy %.4f (train %.4f), %d steps, %.0f s%n",
                    out, acc, trainAcc, steps, wall);
        }
        return 0;
    }
}
