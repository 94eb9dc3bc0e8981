package org.imagineflash.eval;

import org.imagineflash.Generator;
import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.PngGrid;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.latent.Autoencoder;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Provenance;
import org.imagineflash.sampling.SamplerFamily;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The text-to-image section of the report: every row of {@code report-scenes.json} (the real-scene ceiling, the
 * teacher at several step counts, the students and baselines, the ablation) scored on the prompt suite with
 * {@link SceneBenchmark} (FD and CLIP score from the contrastive model, the CompBench-analogue columns for seen and
 * held-out pairs), NFE and ms/image; a grid of the same prompts for every row; FD and complex score against steps.
 * Rows are cached by the model's weights, its decoder's weights and the row's settings; a row whose model directory is
 * absent (an experiment's run folder on another checkout), or whose model was trained on the latents of an autoencoder
 * that has since changed, keeps the figures and grid measured where it was.
 */
public final class SceneReport {
    /** One row: {@code model} is a model directory, or {@value #REAL} for real test-split scenes (the ceiling). */
    public record Row(String name, String table, String method, String model, SamplerFamily sampler, Integer steps, Double cfg) {
    }

    /** The configuration: scenes per suite prompt, the suite, the instruments, the rows. */
    public record Config(int perPrompt, String prompts, String cellClassifier, String contrastive, List<Row> rows) {
    }

    public static final String REAL = "real";
    /**
     * Marks the figures of student rows measured since latents stopped being clipped to [−1, 1] ({@link
     * org.imagineflash.model.DataRange}): a student row measured before sampled differently, and is measured again (or,
     * without its model, reported missing). Teacher samplers never clipped latents; their figures stay.
     */
    private static final String UNCLIPPED_LATENTS = "|latents-unclipped";
    /** The prompts of every row's grid: each relation and two held-out pairs (purple trouser, white sneaker). */
    public static final List<String> GRID_PROMPTS = List.of("a red sneaker", "a blue bag left of a yellow sandal",
            "a green dress above a white coat", "an orange pullover right of a cyan trouser", "a purple trouser",
            "a white sneaker below a red bag", "a yellow ankle boot and a blue t-shirt", "a cyan shirt");

    private SceneReport() {
    }

    public static Config readConfig(Path file) throws IOException {
        try {
            return ModelStore.JSON.readValue(file.toFile(), Config.class);
        } catch (IOException e) {
            throw new IOException(file + ": invalid scene report config (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    /** The weights of the autoencoder that decodes a latent model's images (a fine-tuned decoder changes them); "" otherwise. */
    static String decoderKey(Path modelDir) throws IOException {
        if (modelDir == null) {
            return "";
        }
        String ae = ModelStore.readConfig(modelDir).autoencoder();
        return ae == null ? "" : ModelStore.sha256(Path.of(ae).resolve(ModelStore.WEIGHTS)).substring(0, 16);
    }

    /**
     * Why a row's model cannot be evaluated in this checkout, or null when it can: its directory is absent, or it
     * denoises the latents of an autoencoder that has changed since (an experiment's run folder from before a retrain).
     */
    static String unusable(Path modelDir) {
        if (!Files.isRegularFile(modelDir.resolve(ModelStore.CONFIG))) {
            return "model directory " + modelDir + " not found";
        }
        try {
            ModelConfig c = ModelStore.readConfig(modelDir);
            if (c.autoencoder() != null) {
                Autoencoder.forModel(c, modelDir).close();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return e.getMessage();
        }
    }

    /** Whether a row samples with the model's own student sampler (no teacher sampler named, or {@code student}). */
    private static boolean studentRow(Row row) {
        return !REAL.equals(row.model()) && (row.sampler() == null || row.sampler() == SamplerFamily.STUDENT);
    }

    /** Evaluates (or reads from the cache) every row and writes {@code outDir}/README.md, results.json, grids and charts. */
    public static List<Map<String, Object>> run(Config cfg, Path data, Path outDir, PrintStream progress) throws IOException {
        return run(cfg, data, outDir, progress, false);
    }

    /**
     * As {@link #run(Config, Path, Path, PrintStream)}; with {@code measureSpeed}, the ms/image of every row whose model
     * is here is measured afresh in this run (a cached row keeps its scores), so the column compares rows on one
     * machine at one time.
     */
    public static List<Map<String, Object>> run(Config cfg, Path data, Path outDir, PrintStream progress, boolean measureSpeed) throws IOException {
        Files.createDirectories(outDir.resolve("cache"));
        Files.createDirectories(outDir.resolve("grids"));
        PromptSuite suite = PromptSuite.read(Path.of(cfg.prompts()));
        String instruments = ModelStore.sha256(Path.of(cfg.cellClassifier()).resolve(ModelStore.WEIGHTS)).substring(0, 8)
                + ModelStore.sha256(Path.of(cfg.contrastive()).resolve(ModelStore.WEIGHTS)).substring(0, 8)
                + ModelStore.sha256(Path.of(cfg.prompts())).substring(0, 8); // the file's bytes: a record's hash holds enum identity hashes
        List<Map<String, Object>> results = new ArrayList<>();
        try (DomainClassifier cells = DomainClassifier.load(Path.of(cfg.cellClassifier()));
             ContrastiveModel cm = ContrastiveModel.load(Path.of(cfg.contrastive()))) {
            SceneEvaluator evaluator = new SceneEvaluator(cells);
            Map<String, Path> cachedByRow = Report.cachedByRow(outDir.resolve("cache"));
            java.util.Set<Path> used = new java.util.HashSet<>();
            for (Row row : cfg.rows()) {
                String settings = row.sampler() + "|" + row.steps() + "|" + row.cfg() + "|" + cfg.perPrompt() + "|" + instruments
                        + org.imagineflash.sampling.Sampler.codeVersionKey() + (studentRow(row) ? UNCLIPPED_LATENTS : "");
                // names a row's figures without its weights: a model that is not in this checkout (an experiment's
                // run directory) keeps the figures measured where it was, as in the class-conditional report
                String rowKey = row.model() + "|" + settings;
                String grid = Report.gridFile(row.name());
                boolean real = REAL.equals(row.model());
                Path modelDir = real ? null : Path.of(row.model());
                Map<String, Object> r;
                String unusable = real ? null : unusable(modelDir);
                if (unusable != null) {
                    Path earlier = Report.earlier(cachedByRow, rowKey, outDir.resolve(grid));
                    if (earlier == null) {
                        results.add(new LinkedHashMap<>(Map.of("name", row.name(), "table", row.table(), "missing", unusable)));
                        continue;
                    }
                    r = Report.readEntry(earlier);
                    used.add(earlier);
                } else {
                    String key = (real ? "real" : ModelStore.sha256(modelDir.resolve(ModelStore.WEIGHTS)).substring(0, 16)
                            + ModelStore.sha256(modelDir.resolve(ModelStore.CONFIG)).substring(0, 8))
                            + "-" + Integer.toHexString((settings + decoderKey(modelDir)).hashCode());
                    Path cache = outDir.resolve("cache").resolve(key + ".json");
                    used.add(cache);
                    boolean retimed = false;
                    if (Files.isRegularFile(cache) && Files.isRegularFile(outDir.resolve(grid))) {
                        r = Report.readEntry(cache);
                        if (measureSpeed && !real) {
                            r.put("msPerImageBatch1", msPerImage(row, modelDir));
                            retimed = true;
                        }
                    } else {
                        if (progress != null) {
                            progress.println("scene report: evaluating " + row.name());
                        }
                        r = real ? evaluateReal(cfg, suite, data, evaluator, cm, outDir.resolve(grid))
                                : evaluateModel(cfg, row, suite, modelDir, evaluator, cm, outDir.resolve(grid));
                    }
                    if (Report.remember(r, rowKey) | retimed) { // rowKey: for a later checkout without the model
                        ModelStore.writeJson(cache, r);
                    }
                }
                r.remove("rows");
                used.add(outDir.resolve(grid));
                Map<String, Object> full = new LinkedHashMap<>();
                full.put("name", row.name());
                full.put("table", row.table());
                full.put("method", row.method());
                full.put("model", row.model());
                full.put("grid", grid);
                full.putAll(r);
                results.add(full);
            }
            Report.prune(outDir, used);
        }
        write(cfg, results, outDir);
        return results;
    }

    private static Map<String, Object> evaluateReal(Config cfg, PromptSuite suite, Path data, SceneEvaluator evaluator, ContrastiveModel cm,
                                                    Path grid) throws IOException {
        var test = FashionMnist.load(data, FashionMnist.Split.TEST);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("nfe", 0);
        r.putAll(SceneBenchmark.score(evaluator, cm, SceneBenchmark.realScenes(suite, test, cfg.perPrompt())));
        var gen = new org.imagineflash.data.scenes.SceneGenerator(test, true, 0);
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < GRID_PROMPTS.size(); i++) {
            images.add(gen.scene(org.imagineflash.data.scenes.CaptionParser.parse(GRID_PROMPTS.get(i)), i).rgb());
        }
        PngGrid.write(PngGrid.captioned(images, GRID_PROMPTS, 48, 48, GRID_PROMPTS.size(), 3), grid);
        return r;
    }

    /** The median ms of 5 single-image generations of a grid prompt (with the decoder), after one untimed warm-up. */
    private static double msPerImage(Generator g, Generator.Options o) {
        g.generateScenes(List.of(GRID_PROMPTS.get(1)), new long[] {99}, o); // first call: kernel selection, allocations
        double[] ms = new double[5];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = g.generateScenes(List.of(GRID_PROMPTS.get(1)), new long[] {i}, o).millis();
        }
        java.util.Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    private static double msPerImage(Row row, Path modelDir) throws IOException {
        try (Generator g = Generator.load(modelDir)) {
            return msPerImage(g, g.options(row.sampler(), row.steps(), row.cfg(), null));
        }
    }

    private static Map<String, Object> evaluateModel(Config cfg, Row row, PromptSuite suite, Path modelDir, SceneEvaluator evaluator,
                                                     ContrastiveModel cm, Path grid) throws IOException {
        try (Generator g = Generator.load(modelDir)) {
            if (!g.isTextToImage()) {
                throw new IllegalArgumentException(modelDir + " is class-conditional; the scene report needs text-to-image models");
            }
            Generator.Options o = g.options(row.sampler(), row.steps(), row.cfg(), null);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("sampler", o.sampler().id());
            r.put("steps", o.steps());
            r.put("cfg", o.cfg());
            SceneBenchmark.Judged judged = SceneBenchmark.generated(g, suite, cfg.perPrompt(), o);
            long[] seeds = new long[GRID_PROMPTS.size()];
            for (int i = 0; i < seeds.length; i++) {
                seeds[i] = i;
            }
            Generator.Scenes gridScenes = g.generateScenes(GRID_PROMPTS, seeds, o);
            r.put("nfe", gridScenes.nfe() * o.nfePerStep());
            r.putAll(SceneBenchmark.score(evaluator, cm, judged));
            r.put("msPerImageBatch1", msPerImage(g, o));
            PngGrid.write(PngGrid.captioned(gridScenes.images(), GRID_PROMPTS, 48, 48, GRID_PROMPTS.size(), 3), grid);
            Provenance p = ModelStore.readProvenance(modelDir);
            r.put("modelCommand", p == null ? null : p.command());
            r.put("modelWallSeconds", p == null ? null : p.wallSeconds());
            return r;
        }
    }

    private static double d(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    @SuppressWarnings("unchecked")
    private static double cb(Map<String, Object> r, String split, String metric) {
        Object c = r.get("compBench");
        return c instanceof Map<?, ?> m && m.get(split) instanceof Map<?, ?> s ? d(((Map<String, Object>) s).get(metric)) : Double.NaN;
    }

    static void write(Config cfg, List<Map<String, Object>> results, Path outDir) throws IOException {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("machine", Provenance.machineDescription());
        all.put("config", cfg);
        all.put("rows", results);
        ModelStore.writeJson(outDir.resolve("results.json"), all);
        StringBuilder md = new StringBuilder("# Text-to-image report: fashion scenes\n\n");
        md.append("Generated by `imagine-flash report --scenes` on ").append(Provenance.machineDescription()).append(". Every row: ")
                .append(cfg.perPrompt()).append(" scenes for each prompt of `").append(cfg.prompts())
                .append("` (seeds seed + k). FD = Fréchet distance of the contrastive model's image features to real test-split scenes ")
                .append("(FID's analogue); CLIP = mean cosine of image and caption embeddings (CLIP score's analogue); object, colour, ")
                .append("spatial, count and complex are the CompBench-analogue scores of all prompts; complex (seen / held-out) splits ")
                .append("prompts with and without a held-out colour–garment pair. ms/image at batch 1 includes the decoder.\n\n");
        for (String table : new String[] {"comparison", "ablation"}) {
            md.append(table.equals("comparison") ? "## Comparison\n\n" : "## Ablation (the 3-step student unless a row says otherwise)\n\n");
            md.append("| row | sampler | steps | NFE | FD ↓ | CLIP ↑ | object | colour | spatial | count | complex | complex seen / held-out | ms/image | grid |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (Map<String, Object> r : results) {
                if (!table.equals(r.get("table"))) {
                    continue;
                }
                if (r.get("missing") != null) {
                    md.append("| ").append(r.get("name")).append(" | ").append(r.get("missing")).append(" |||||||||||||\n");
                    continue;
                }
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f / %.3f | %s | [png](%s) |%n",
                        r.get("name"), r.get("sampler") == null ? "—" : r.get("sampler"), r.get("steps") == null ? "—" : r.get("steps"),
                        r.get("nfe"), d(r.get("fd")), d(r.get("clipScore")), cb(r, "all", "object"), cb(r, "all", "colourBinding"),
                        cb(r, "all", "spatial"), cb(r, "all", "count"), cb(r, "all", "complex"), cb(r, "seen", "complex"),
                        cb(r, "heldOut", "complex"), r.get("msPerImageBatch1") == null ? "—" : String.format(Locale.ROOT, "%.1f", d(r.get("msPerImageBatch1"))),
                        r.get("grid")));
            }
            md.append('\n');
        }
        md.append("## The same prompts across models\n\n");
        for (Map<String, Object> r : results) {
            if (r.get("missing") == null) {
                md.append("**").append(r.get("name")).append("**\n\n![").append(r.get("name")).append("](").append(r.get("grid")).append(")\n\n");
            }
        }
        md.append("## How each model was made\n\n| model | command (from its provenance.json) | wall time |\n|---|---|---|\n");
        java.util.Set<Object> seen = new java.util.HashSet<>();
        for (Map<String, Object> r : results) {
            if (r.get("modelCommand") != null && seen.add(r.get("model"))) {
                md.append(String.format(Locale.ROOT, "| `%s` | `%s` | %.0f s |%n", r.get("model"), r.get("modelCommand"), d(r.get("modelWallSeconds"))));
            }
        }
        md.append("\n![FD and complex score vs steps](scenes-vs-steps.png)\n\nRaw figures: [results.json](results.json). "
                + "Re-run: `./imagine-flash report --scenes` (rows cached in `cache/`).\n");
        Path tmp = outDir.resolve("README.md.tmp");
        Files.writeString(tmp, md.toString());
        Files.move(tmp, outDir.resolve("README.md"), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        chart(results, outDir);
    }

    private static void chart(List<Map<String, Object>> results, Path outDir) throws IOException {
        XYChart fd = new XYChartBuilder().width(700).height(450).title("Scenes: FD vs steps").xAxisTitle("steps").yAxisTitle("FD").build();
        XYChart complex = new XYChartBuilder().width(700).height(450).title("Scenes: complex (all right) vs steps").xAxisTitle("steps")
                .yAxisTitle("complex").build();
        Map<String, List<double[]>> byMethod = new TreeMap<>();
        for (Map<String, Object> r : results) {
            if (r.get("missing") == null && "comparison".equals(r.get("table")) && r.get("steps") != null) {
                byMethod.computeIfAbsent(String.valueOf(r.get("method")), k -> new ArrayList<>())
                        .add(new double[] {d(r.get("steps")), d(r.get("fd")), cb(r, "all", "complex")});
            }
        }
        for (Map.Entry<String, List<double[]>> e : byMethod.entrySet()) {
            List<double[]> pts = new ArrayList<>(e.getValue());
            pts.sort((a, b) -> Double.compare(a[0], b[0]));
            XYSeries s1 = fd.addSeries(e.getKey(), pts.stream().mapToDouble(p -> p[0]).toArray(), pts.stream().mapToDouble(p -> p[1]).toArray());
            XYSeries s2 = complex.addSeries(e.getKey(), pts.stream().mapToDouble(p -> p[0]).toArray(), pts.stream().mapToDouble(p -> p[2]).toArray());
            if (pts.size() == 1) {
                s1.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                s2.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            }
        }
        if (!byMethod.isEmpty()) {
            BitmapEncoder.saveBitmap(List.of(fd, complex), 1, 2, outDir.resolve("scenes-vs-steps").toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
