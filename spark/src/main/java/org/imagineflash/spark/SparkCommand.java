package org.imagineflash.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.imagineflash.Generator;
import org.imagineflash.cli.Main;
import org.imagineflash.data.Prompts;
import org.imagineflash.eval.DomainClassifier;
import org.imagineflash.model.ModelStore;
import org.imagineflash.sampling.SamplerFamily;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash spark}: batch generation and evaluation on Apache Spark (embedded local mode by default). */
@Command(name = "imagine-flash spark", mixinStandardHelpOptions = true, version = "imagine-flash-spark 0.1.0",
        description = "Batch generation and evaluation on Apache Spark: the same images and figures as sample and eval, across a cluster.",
        subcommands = {SparkCommand.Generate.class, SparkCommand.Eval.class})
public final class SparkCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** A CommandLine with the core CLI's error handling (one line, typed exit codes). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return Main.configure(new CommandLine(new SparkCommand()), out, err);
    }

    public static void main(String[] args) {
        int code = commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
        System.exit(code);
    }

    static final class Cluster {
        @Option(names = "--master", description = "Spark master (default: spark-submit's --master, else embedded local[*], one task per core)")
        String master;
    }

    static final class Which {
        @Option(names = "--prompts", description = "a file of prompts (class names, or scene captions for a text-to-image model), one per line (blank lines and # comments skipped)") Path prompts;
        @Option(names = "--prompt", description = "one prompt, e.g. sneaker, or a scene caption for a text-to-image model") String prompt;
        @Option(names = "--all-classes", description = "every class, in class order") boolean allClasses;
        @Option(names = "--suite", description = "a scene prompt suite (seed<TAB>caption per line, e.g. prompts/scenes.txt): image k of a "
                + "prompt from its seed + k, the images eval --scene-suite --per-prompt N scores") Path suite;
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {"Generate n images of every prompt into shards (IDX files for class models, a folder of PNGs per",
                    "shard for a text-to-image model's scenes) and a manifest (one line per image).",
                    "Image i (prompt i / n) starts from the noise of seed + i, as in sample: the images do not depend on the",
                    "partitioning or the executors."})
    static final class Generate implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--model", required = true, description = "model directory (the same path on every executor)") Path model;
        @ArgGroup(multiplicity = "1") Which which;
        @Option(names = "--n", defaultValue = "100", description = "images per prompt") int n;
        @Option(names = "--seed", defaultValue = "0") long seed;
        @Option(names = "--out", required = true, description = "output directory (the same path on every executor)") Path out;
        @Option(names = "--partitions", description = "tasks, each writing one shard (default: the master's parallelism)") Integer partitions;
        @Option(names = "--sampler", description = "the sampler (default: the model's own)") SamplerFamily sampler;
        @Option(names = "--steps") Integer steps;
        @Option(names = "--cfg") Double cfg;
        @CommandLine.Mixin Cluster cluster;

        @Override
        public Integer call() throws Exception {
            org.imagineflash.cli.Engines.configure();
            List<String> prompts = prompts(which);
            SparkGeneration.Sampling sampling = new SparkGeneration.Sampling(sampler, steps, cfg);
            Generator.Options o;
            GenerationPlan plan;
            try (Generator g = Generator.load(model)) { // a missing or corrupt model fails here, before any executor work
                if (g.isTextToImage() && which.allClasses) {
                    throw new IllegalArgumentException(model + " is a text-to-image model: give --suite FILE, --prompts FILE of scene captions or --prompt \"a red sneaker left of a blue bag\"");
                }
                if (!g.isTextToImage() && which.suite != null) {
                    throw new IllegalArgumentException(model + " is class-conditional; --suite is for a text-to-image model");
                }
                plan = which.suite != null ? GenerationPlan.ofSuite(org.imagineflash.data.scenes.PromptSuite.read(which.suite), n)
                        : g.isTextToImage() ? GenerationPlan.ofScenes(prompts, n, seed) : GenerationPlan.of(prompts, n, seed);
                o = g.options(sampler, steps, cfg, null);
                g.sampler(o);
            }
            SparkGeneration.requireFresh(out);
            ModelStore.requireWritable(out);
            try (JavaSparkContext sc = SparkContexts.create(cluster.master, "imagine-flash generate")) {
                int p = partitions != null ? partitions : sc.defaultParallelism();
                SparkGeneration.Result r = SparkGeneration.run(sc, model, plan, sampling, p, out);
                spec.commandLine().getOut().printf(Locale.ROOT,
                        "wrote %s: %d images in %d shards + %s (%s %d steps, cfg %.1f): %.1f s, %.1f images/s (%s, %d partitions)%n",
                        out, r.images(), r.shards().size(), Shards.MANIFEST, o.sampler(), o.steps(), o.cfg(), r.wallSeconds(),
                        r.images() / r.wallSeconds(), sc.master(), p);
            }
            return 0;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = {"Score a generated set (spark generate's output) with eval's instruments, distributed. Class images:",
                    "FD against the classifier's test-split statistics, adherence, per-class adherence and FD. Scenes: FD on the",
                    "contrastive model's features against real scenes, CLIP score and the CompBench-style table (eval --scene-suite's)."})
    static final class Eval implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--images", required = true, description = "a directory written by spark generate") Path images;
        @Option(names = "--classifier", defaultValue = "models/classifier-fmnist", description = "class images: the domain classifier") Path classifier;
        @Option(names = "--cell-classifier", defaultValue = "models/classifier-cells", description = "scenes: the scene evaluator's garment classifier") Path cellClassifier;
        @Option(names = "--contrastive", defaultValue = "models/contrastive-scenes", description = "scenes: the CLIP-analogue model") Path contrastive;
        @Option(names = "--json", description = "machine-readable output") boolean json;
        @CommandLine.Mixin Cluster cluster;

        @Override
        public Integer call() throws Exception {
            org.imagineflash.cli.Engines.configure();
            // a missing or malformed set or instrument fails here, before any executor work
            boolean scenes = Shards.holdsScenes(images);
            if (scenes) {
                Shards.readSceneShards(images);
                DomainClassifier.load(cellClassifier).close();
                org.imagineflash.eval.ContrastiveModel.load(contrastive).close();
            } else {
                SparkEvaluation.scorableShards(images);
                DomainClassifier.load(classifier).close();
            }
            Map<String, Object> r;
            try (JavaSparkContext sc = SparkContexts.create(cluster.master, "imagine-flash eval")) {
                r = scenes ? SparkSceneEvaluation.run(sc, images, cellClassifier, contrastive) : SparkEvaluation.run(sc, images, classifier);
            }
            if (scenes) {
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(ModelStore.JSON.writeValueAsString(r));
                } else {
                    org.imagineflash.cli.EvalCommand.printScenes(out, r);
                }
                return 0;
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(ModelStore.JSON.writeValueAsString(r));
            } else {
                out.printf(Locale.ROOT, "n %s  FD %.4f (floor %.4f)  adherence %.4f  (%s shards, %.1f s)%n", r.get("n"), r.get("fd"),
                        r.get("fdFloorTrainVsTest"), r.get("adherence"), r.get("shards"), r.get("seconds"));
                for (Object o : (List<?>) r.get("perClass")) {
                    Map<?, ?> pc = (Map<?, ?>) o;
                    out.printf(Locale.ROOT, "  %-12s n %-6s adherence %.3f  FD %s%n", pc.get("name"), pc.get("n"), pc.get("adherence"),
                            pc.get("fd") == null ? "—" : String.format(Locale.ROOT, "%.2f", pc.get("fd")));
                }
            }
            return 0;
        }
    }

    /** The prompts one of --prompts, --prompt and --all-classes names. */
    static List<String> prompts(Which w) throws java.io.IOException {
        if (w.suite != null) {
            return List.of();
        }
        if (w.allClasses) {
            return Prompts.CLASS_NAMES;
        }
        if (w.prompt != null) {
            return List.of(w.prompt);
        }
        if (!Files.isRegularFile(w.prompts)) {
            throw new java.io.IOException("--prompts " + w.prompts + " is not a file");
        }
        return Files.readAllLines(w.prompts, StandardCharsets.UTF_8).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }
}
