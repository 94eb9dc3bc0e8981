package org.imagineflash.cli;

import org.imagineflash.Generator;
import org.imagineflash.data.IdxFile;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.eval.ContrastiveModel;
import org.imagineflash.eval.DomainClassifier;
import org.imagineflash.latent.Autoencoder;
import org.imagineflash.latent.AutoencoderTraining;
import org.imagineflash.eval.SceneBenchmark;
import org.imagineflash.eval.SceneEvaluator;
import org.imagineflash.eval.Evaluation;
import org.imagineflash.model.ModelStore;
import org.imagineflash.sampling.SamplerFamily;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash eval}: FD, precision/recall, adherence, per-class breakdown and speed of a model or an IDX file. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate a model (generating --n class-balanced images) or IDX files of images + labels:",
                "Fréchet distance on the domain classifier's features vs the test split (FID analogue), precision/recall",
                "(k=3), prompt adherence (classifier accuracy on the requested class), per-class breakdown, NFE and speed."})
public final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Mixin
    SamplerOptionsMixin samplerOptions;
    @Option(names = "--engine", defaultValue = "djl", description = "djl | ort: what runs the network (ort: the network exported to "
            + "ONNX and run by ONNX Runtime; a text-to-image model as its text encoder, UNet and decoder)") String engine;
    @Option(names = "--model", description = "model directory to sample from") Path model;
    @Option(names = "--images", description = "IDX images (N×H×W uint8) to score instead of a model") Path images;
    @Option(names = "--labels", description = "IDX labels (N) that go with --images") Path labels;
    @Option(names = "--classifier", defaultValue = "models/classifier-fmnist") Path classifier;
    @Option(names = "--sampler", description = "the sampler (default: the model's own; see sample --help)") SamplerFamily sampler;
    @Option(names = "--steps") Integer steps;
    @Option(names = "--cfg") Double cfg;
    @Option(names = "--n", defaultValue = "2000") int n;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--no-speed", description = "skip the latency/throughput measurement") boolean noSpeed;
    @Option(names = "--json", description = "print JSON") boolean json;
    @Option(names = "--scene-suite", description = "score fashion scenes on the standard prompt suite (" + "prompts/scenes.txt)") boolean sceneSuite;
    @Option(names = "--prompts", description = "score fashion scenes on this prompt suite (seed<TAB>prompt per line)") Path prompts;
    @Option(names = "--real-scenes", description = "score real test-split scenes of the suite's prompts (the task's ceiling) instead of a model's") boolean realScenes;
    @Option(names = "--shuffle-captions", description = "judge the scenes against permuted captions: the evaluator's chance level") boolean shuffleCaptions;
    @Option(names = "--per-prompt", defaultValue = "5", description = "scenes per suite prompt (seeds seed + k)") int perPrompt;
    @Option(names = "--cell-classifier", defaultValue = "models/classifier-cells", description = "the scene evaluator's 24×24 garment classifier") Path cellClassifier;
    @Option(names = "--data", description = "Fashion-MNIST directory (for --real-scenes)") Path data;
    @Option(names = "--contrastive", defaultValue = "models/contrastive-scenes", description = "the CLIP-analogue model (FD features, CLIP score); skipped if absent") Path contrastive;
    @Option(names = "--autoencoder", description = "score the scenes after a round trip through this autoencoder (PSNR too)") Path autoencoder;

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        if (sceneSuite || prompts != null) {
            return scenes();
        }
        if (realScenes || shuffleCaptions) {
            throw new IllegalArgumentException("--real-scenes and --shuffle-captions go with --scene-suite or --prompts");
        }
        if ((model == null) == (images == null)) {
            throw new IllegalArgumentException("give either --model or --images with --labels");
        }
        if (images != null && labels == null) {
            throw new IllegalArgumentException("--images needs --labels");
        }
        if (n < 1 || n > 100_000) {
            throw new IllegalArgumentException("--n must be in 1..100000, got " + n);
        }
        long t0 = System.nanoTime();
        Map<String, Object> result = new LinkedHashMap<>();
        try (DomainClassifier dc = DomainClassifier.load(classifier)) {
            if (images != null) {
                IdxFile im = IdxFile.read(images);
                IdxFile lb = IdxFile.read(labels);
                LabeledImages li = LabeledImages.fromIdx(im, lb, dc.config().numClasses(), images.toString());
                if (li.height() != dc.config().imageSize() || li.width() != dc.config().imageSize()) {
                    throw new IllegalArgumentException(images + ": images are " + li.height() + "×" + li.width()
                            + ", the classifier needs " + dc.config().imageSize() + "×" + dc.config().imageSize());
                }
                result.put("source", images.toString());
                result.putAll(Evaluation.score(dc, li.pixels(), li.labels()));
            } else {
                ModelStore.readConfig(model);
                try (Generator g = Generator.load(model, Generator.Engine.parse(engine))) {
                    Generator.Options o = g.options(sampler, steps, cfg, samplerOptions == null ? null : samplerOptions::toOptions);
                    int[] lab = Evaluation.balancedLabels(n, dc.config().numClasses());
                    if (n <= dc.config().featureDim()) {
                        throw new IllegalArgumentException("--n must be above the feature dimension " + dc.config().featureDim()
                                + " for a stable covariance, got " + n);
                    }
                    Generator.Images gen = g.generateBatched(lab, seed, o, 64);
                    result.put("model", model.toString());
                    result.put("kind", g.config().kind());
                    result.put("sampler", o.sampler().id());
                    result.put("steps", o.steps());
                    result.put("cfg", o.cfg());
                    result.put("nfe", gen.nfe() * o.nfePerStep());
                    result.put("nfeNote", "network evaluations per image; guidance doubles the batch of each step");
                    result.put("seed", seed);
                    result.put("generationMsPerImage", gen.millis() / n);
                    result.putAll(Evaluation.score(dc, gen.pixels(), lab));
                    if (!noSpeed) {
                        result.putAll(Evaluation.speed(g, o, 5));
                    }
                }
            }
        }
        result.put("evalSeconds", (System.nanoTime() - t0) / 1e9);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(ModelStore.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        } else {
            print(out, result);
        }
        return 0;
    }

    private int scenes() throws Exception {
        if (sceneSuite && prompts != null) {
            throw new IllegalArgumentException("give --scene-suite or --prompts, not both");
        }
        if (realScenes == (model != null)) {
            throw new IllegalArgumentException("score either a text-to-image model (--model) or --real-scenes");
        }
        if (perPrompt < 1 || perPrompt > 100) {
            throw new IllegalArgumentException("--per-prompt must be in 1..100, got " + perPrompt);
        }
        long t0 = System.nanoTime();
        PromptSuite suite = PromptSuite.read(prompts != null ? prompts : PromptSuite.DEFAULT);
        SceneBenchmark.Judged judged;
        Map<String, Object> result = new LinkedHashMap<>();
        if (model != null) {
            ModelStore.readConfig(model);
            try (Generator g = Generator.load(model, Generator.Engine.parse(engine))) {
                if (!g.isTextToImage()) {
                    throw new IllegalArgumentException(model + " is class-conditional; the scene suite needs a text-to-image model");
                }
                Generator.Options o = g.options(sampler, steps, cfg, samplerOptions == null ? null : samplerOptions::toOptions);
                long g0 = System.nanoTime();
                judged = SceneBenchmark.generated(g, suite, perPrompt, o);
                result.put("model", model.toString());
                result.put("sampler", o.sampler().id());
                result.put("steps", o.steps());
                result.put("cfg", o.cfg());
                result.put("generationMsPerImage", (System.nanoTime() - g0) / 1e6 / judged.images().size());
            }
        } else {
            judged = SceneBenchmark.realScenes(suite, FashionMnist.load(data, FashionMnist.Split.TEST), perPrompt);
            result.put("source", "real test-split scenes");
        }
        if (shuffleCaptions) {
            judged = SceneBenchmark.shuffled(judged, seed);
            result.put("captions", "shuffled");
        }
        result.put("prompts", suite.entries().size());
        result.put("scenes", judged.images().size());
        if (autoencoder != null) {
            try (Autoencoder ae = Autoencoder.load(autoencoder)) {
                List<byte[]> rec = AutoencoderTraining.roundTrip(ae, judged.images());
                result.put("autoencoder", autoencoder.toString());
                result.put("psnr", AutoencoderTraining.psnr(judged.images(), rec));
                result.put("decodeMsBatch1", AutoencoderTraining.decodeMillis(ae, 200));
                judged = SceneBenchmark.withImages(judged, rec);
            }
        }
        boolean withContrastive = java.nio.file.Files.isDirectory(contrastive);
        try (DomainClassifier cells = DomainClassifier.load(cellClassifier);
             ContrastiveModel cm = withContrastive ? ContrastiveModel.load(contrastive) : null) {
            result.putAll(SceneBenchmark.score(new SceneEvaluator(cells), cm, judged));
        }
        result.put("evalSeconds", (System.nanoTime() - t0) / 1e9);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(ModelStore.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        } else {
            printScenes(out, result);
        }
        return 0;
    }

    /** The scene scores as eval prints them: the figures, then the CompBench-style table (the Spark module prints with it too). */
    @SuppressWarnings("unchecked")
    public static void printScenes(PrintWriter out, Map<String, Object> r) {
        for (Map.Entry<String, Object> e : r.entrySet()) {
            if (!(e.getValue() instanceof Map)) {
                out.printf("%-24s %s%n", e.getKey(), e.getValue() instanceof Double d ? String.format("%.4f", d) : e.getValue());
            }
        }
        Map<String, Object> cb = (Map<String, Object>) r.get("compBench");
        out.printf("%n%-10s %8s %8s %8s %8s %8s %7s%n", "prompts", "object", "colour", "spatial", "count", "complex", "scenes");
        for (String part : List.of("all", "seen", "heldOut")) {
            Map<String, Object> s = (Map<String, Object>) cb.get(part);
            out.printf("%-10s %8.4f %8.4f %8.4f %8.4f %8.4f %7d%n", part, s.get("object"), s.get("colourBinding"), s.get("spatial"),
                    s.get("count"), s.get("complex"), s.get("scenes"));
        }
    }

    @SuppressWarnings("unchecked")
    static void print(PrintWriter out, Map<String, Object> r) {
        for (Map.Entry<String, Object> e : r.entrySet()) {
            if (e.getKey().equals("perClass") || e.getKey().equals("nfeNote")) {
                continue;
            }
            Object v = e.getValue();
            out.printf("%-24s %s%n", e.getKey(), v instanceof Double d ? String.format("%.4f", d) : v);
        }
        out.printf("%n%-14s %6s %10s %8s%n", "class", "n", "adherence", "FD");
        for (Map<String, Object> pc : (List<Map<String, Object>>) r.get("perClass")) {
            Object fd = pc.get("fd");
            out.printf("%-14s %6d %10.4f %8s%n", pc.get("name"), pc.get("n"), pc.get("adherence"),
                    fd == null ? "-" : String.format("%.3f", (Double) fd));
        }
    }
}
