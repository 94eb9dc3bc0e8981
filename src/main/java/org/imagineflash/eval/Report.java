package org.imagineflash.eval;

import com.fasterxml.jackson.core.type.TypeReference;
import me.tongfei.progressbar.ProgressBar;
import org.imagineflash.Generator;
import org.imagineflash.data.PngGrid;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Provenance;
import org.imagineflash.sampling.SamplerOptions;
import org.imagineflash.train.TeacherTraining;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The comparison and ablation tables of the paper at our scale ({@code comparisonQuantitavieOthers.png},
 * {@code ImagineFlashAblation.png}): every row is a model + sampler setting, evaluated with {@link Evaluation}
 * on the same n class-balanced seeds; results are cached per row (keyed by the weights' hash and the settings) so a
 * re-run only evaluates what changed. Writes README.md, results.json, a sample grid per row and two charts.
 */
public final class Report {
    /**
     * One row: a label, the table it belongs to, the method family (for the chart), model dir and sampling; a teacher
     * sampler may set its timestep spacing and x̂_0 clipping (null: the sampler's defaults); {@code headline} rows
     * also go to the headline table ({@link #headline}).
     */
    public record Row(String name, String table, String method, String model, String sampler, Integer steps, Double cfg,
                      String spacing, Boolean clipSample, Boolean headline) {
        /** A row at the sampler's defaults, not in the headline. */
        public static Row of(String name, String table, String method, String model, String sampler, int steps, double cfg) {
            return new Row(name, table, method, model, sampler, steps, cfg, null, null, null);
        }

        /** The sampler options of a teacher row (null for a student row, which samples with its own config). */
        SamplerOptions samplerOptions() {
            if (org.imagineflash.sampling.Samplers.STUDENT.equals(sampler) || steps == null) {
                return null;
            }
            SamplerOptions o = SamplerOptions.defaults(steps);
            if (spacing != null) {
                o = o.withSpacing(org.imagineflash.schedule.TimestepSpacing.parse(spacing));
            }
            return clipSample != null ? o.withClipSample(clipSample) : o;
        }
    }

    /** The whole configuration. */
    public record Config(int n, long seed, String classifier, List<Row> rows) {
    }

    private Report() {
    }

    public static Config readConfig(Path file) throws IOException {
        try {
            return ModelStore.JSON.readValue(file.toFile(), Config.class);
        } catch (IOException e) {
            throw new IOException(file + ": invalid report config (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    /** Marks the block of a Markdown file that {@link #writeHeadline} replaces. */
    public static final String HEADLINE_START = "<!-- headline figures: written by ./imagine-flash report from report.json's headline rows -->";
    public static final String HEADLINE_END = "<!-- end of headline figures -->";

    /** The headline rows as a Markdown table: name, NFE, FD, adherence. */
    public static String headline(Config cfg, List<Map<String, Object>> results) {
        StringBuilder md = new StringBuilder("| | NFE | FD ↓ | adherence ↑ |\n|---|---|---|---|\n");
        for (int i = 0; i < results.size(); i++) {
            Row row = cfg.rows().get(i);
            Map<String, Object> r = results.get(i);
            if (!Boolean.TRUE.equals(row.headline()) || r.get("fd") == null) {
                continue;
            }
            md.append(String.format(java.util.Locale.ROOT, "| %s | %s | %.1f | %.2f |%n", row.name(), r.get("nfe"),
                    ((Number) r.get("fd")).doubleValue(), ((Number) r.get("adherence")).doubleValue()));
        }
        return md.toString();
    }

    /**
     * Replaces the block between {@link #HEADLINE_START} and {@link #HEADLINE_END} of {@code file} with the headline
     * table; false (and nothing written) when the file has no such block.
     */
    public static boolean writeHeadline(Path file, Config cfg, List<Map<String, Object>> results) throws IOException {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        String text = Files.readString(file);
        int a = text.indexOf(HEADLINE_START);
        int b = text.indexOf(HEADLINE_END);
        if (a < 0 || b < a) {
            return false;
        }
        String updated = text.substring(0, a + HEADLINE_START.length()) + "\n" + headline(cfg, results) + text.substring(b);
        if (!updated.equals(text)) {
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
            Files.writeString(tmp, updated);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return true;
    }

    public static List<Map<String, Object>> run(Config cfg, Path outDir, PrintStream progress) throws IOException {
        Files.createDirectories(outDir.resolve("cache"));
        Files.createDirectories(outDir.resolve("grids"));
        List<Map<String, Object>> results = new ArrayList<>();
        java.util.Set<Path> used = new java.util.HashSet<>();
        try (DomainClassifier dc = DomainClassifier.load(Path.of(cfg.classifier()));
             ProgressBar pb = org.imagineflash.train.TrainingLoop.progress("report", cfg.rows().size(), 0, progress)) {
            String clfHash = hash(Path.of(cfg.classifier()).resolve("weights.params"));
            Map<String, Path> cachedByRow = cachedByRow(outDir.resolve("cache"));
            for (Row row : cfg.rows()) {
                Path modelDir = Path.of(row.model());
                // a teacher sampler's default options are part of the key (a changed default, e.g. DDIM's clipping,
                // must not reuse old figures); students sample with their own config, which the weights' hash covers
                SamplerOptions rowOptions = row.samplerOptions();
                // the options as the cached figures were keyed when SamplerOptions also carried the student's
                // timesteps (always null and false for a report row), so that those figures stay valid
                String samplerDefaults = rowOptions == null ? "" : "|" + rowOptions.toString().replaceFirst("]$", ", timesteps=null, noiseCorrection=false]");
                String settings = row.sampler() + "|" + row.steps() + "|" + row.cfg() + "|" + cfg.n() + "|" + cfg.seed() + "|" + clfHash
                        + samplerDefaults;
                // names a row's figures without its weights: a model that is not in this checkout (an experiment's
                // run directory) keeps the figures measured where it was
                String rowKey = row.model() + "|" + settings;
                String grid = "grids/" + row.name().replaceAll("[^A-Za-z0-9._-]+", "_") + ".png";
                if (!Files.isRegularFile(modelDir.resolve(ModelStore.CONFIG))) {
                    pb.step();
                    Map<String, Object> full = new LinkedHashMap<>();
                    full.put("name", row.name());
                    full.put("table", row.table());
                    Path earlier = cachedByRow.get(rowKey);
                    if (earlier != null && Files.isRegularFile(outDir.resolve(grid))) {
                        used.add(earlier.toAbsolutePath().normalize());
                        used.add(outDir.resolve(grid).toAbsolutePath().normalize());
                        full.put("method", row.method());
                        full.put("model", row.model());
                        full.put("grid", grid);
                        full.putAll(ModelStore.JSON.readValue(earlier.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { }));
                    } else {
                        full.put("missing", "model directory " + row.model() + " not found");
                    }
                    results.add(full);
                    continue;
                }
                // keyed by the weights, the model's config (a student's sampling is in it: two models with the same
                // weights but another sampler must not share figures) and the settings
                String weightsKey = hash(modelDir.resolve(ModelStore.WEIGHTS)).substring(0, 16) + "-" + Integer.toHexString(settings.hashCode());
                String key = weightsKey + "-" + hash(modelDir.resolve(ModelStore.CONFIG)).substring(0, 8);
                Path cache = outDir.resolve("cache").resolve(key + ".json");
                migrate(outDir.resolve("cache").resolve(weightsKey + ".json"), cache, rowKey);
                Map<String, Object> r;
                used.add(cache.toAbsolutePath().normalize());
                used.add(outDir.resolve(grid).toAbsolutePath().normalize());
                if (Files.isRegularFile(cache) && Files.isRegularFile(outDir.resolve(grid))) {
                    r = ModelStore.JSON.readValue(cache.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
                    List<String> rows = rowsOf(r);
                    if (!rows.contains(rowKey)) {
                        rows.add(rowKey);
                        r.remove("row");
                        r.put("rows", rows);
                        ModelStore.writeJson(cache, r);
                    }
                } else {
                    try (Generator g = Generator.load(modelDir)) {
                        Generator.Options d = g.defaults();
                        String s = row.sampler() != null ? row.sampler() : d.sampler();
                        int st = row.steps() != null ? row.steps() : d.steps();
                        double c = row.cfg() != null ? row.cfg() : d.cfg();
                        Generator.Options o = new Generator.Options(s, st, c, rowOptions);
                        int[] labels = Evaluation.balancedLabels(cfg.n(), dc.config().numClasses());
                        Generator.Images im = g.generateBatched(labels, cfg.seed(), o, 64);
                        r = new LinkedHashMap<>();
                        r.put("rows", new ArrayList<>(List.of(rowKey)));
                        r.put("sampler", s);
                        r.put("steps", st);
                        r.put("cfg", c);
                        r.put("nfe", im.nfe() * (c != 1.0 ? 2 : 1));
                        r.putAll(Evaluation.score(dc, im.pixels(), labels));
                        r.putAll(Evaluation.speed(g, o, 5));
                        Provenance p = ModelStore.readProvenance(modelDir);
                        r.put("modelCommand", p == null ? null : p.command());
                        r.put("modelWallSeconds", p == null ? null : p.wallSeconds());
                        // grid: 8 per class, one row per class, from the evaluated images
                        int k = dc.config().numClasses();
                        int per = Math.min(8, cfg.n() / k);
                        int hw = im.height() * im.width();
                        byte[] px = new byte[k * per * hw];
                        for (int cl = 0; cl < k; cl++) {
                            for (int j = 0; j < per; j++) {
                                System.arraycopy(im.pixels(), (j * k + cl) * hw, px, (cl * per + j) * hw, hw);
                            }
                        }
                        PngGrid.write(PngGrid.grid(px, k * per, im.height(), im.width(), per, 2), outDir.resolve(grid));
                        ModelStore.writeJson(cache, r);
                    }
                }
                Map<String, Object> full = new LinkedHashMap<>();
                full.put("name", row.name());
                full.put("table", row.table());
                full.put("method", row.method());
                full.put("model", row.model());
                full.put("grid", grid);
                full.putAll(r);
                results.add(full);
                pb.step();
            }
        }
        // rows no longer in the config leave no stale grids or cached figures behind
        for (String sub : List.of("cache", "grids")) {
            try (var files = Files.list(outDir.resolve(sub))) {
                for (Path f : files.toList()) {
                    if (!used.contains(f.toAbsolutePath().normalize())) {
                        Files.delete(f);
                    }
                }
            }
        }
        writeOutputs(cfg, results, outDir);
        return results;
    }

    /** Whether a row's model is one of the repository's shipped models (a relative path under {@code models/}). */
    static boolean shipped(String model) {
        Path p = Path.of(model).normalize();
        return !p.isAbsolute() && p.startsWith("models");
    }

    /** The cached figures by the row they were measured for (its model directory and settings). */
    private static Map<String, Path> cachedByRow(Path cacheDir) throws IOException {
        Map<String, Path> byRow = new java.util.HashMap<>();
        try (var files = Files.list(cacheDir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                for (String row : rowsOf(ModelStore.JSON.readValue(f.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { }))) {
                    byRow.putIfAbsent(row, f);
                }
            }
        }
        return byRow;
    }

    /** The rows (model path | settings) whose figures a cache entry holds ("row", one, in entries written before "rows"). */
    @SuppressWarnings("unchecked")
    private static List<String> rowsOf(Map<String, Object> entry) {
        List<String> rows = new ArrayList<>();
        if (entry.get("rows") instanceof List<?> l) {
            for (Object o : l) {
                rows.add(String.valueOf(o));
            }
        } else if (entry.get("row") instanceof String s) {
            rows.add(s);
        }
        return rows;
    }

    /**
     * Moves an entry keyed without the model's config to its new key when it was measured for this very row (its
     * model path and settings), so that figures need not be measured again; others are left to be measured.
     */
    private static void migrate(Path old, Path cache, String rowKey) throws IOException {
        if (Files.isRegularFile(cache) || !Files.isRegularFile(old)) {
            return;
        }
        Map<String, Object> r = ModelStore.JSON.readValue(old.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
        if (rowsOf(r).equals(List.of(rowKey))) {
            r.remove("row");
            r.put("rows", new ArrayList<>(List.of(rowKey)));
            ModelStore.writeJson(cache, r);
        }
    }

    static String hash(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double d(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    static void writeOutputs(Config cfg, List<Map<String, Object>> results, Path outDir) throws IOException {
        Map<String, Object> all = new LinkedHashMap<>(); // a fixed key order, so an unchanged report rewrites the same file
        all.put("machine", Provenance.machineDescription());
        all.put("config", cfg);
        all.put("rows", results);
        ModelStore.writeJson(outDir.resolve("results.json"), all);
        // the reference of the speed-up column: the 25-step teacher with its default sampler (DPM-Solver++), else the
        // first 25-step teacher row
        List<Map<String, Object>> teacher25 = results.stream().filter(r -> r.get("missing") == null
                && String.valueOf(r.get("method")).startsWith("teacher") && Integer.valueOf(25).equals(r.get("steps"))).toList();
        double teacherMs = teacher25.stream().filter(r -> "dpmpp-2m".equals(r.get("sampler"))).findFirst()
                .or(() -> teacher25.stream().findFirst()).map(r -> d(r.get("msPerImageBatch1"))).orElse(Double.NaN);
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation report\n\n");
        md.append("Generated by `imagine-flash report` on ").append(Provenance.machineDescription()).append(".\n");
        md.append("Every row: ").append(cfg.n()).append(" class-balanced images (image i has class i mod 10 and seed ")
                .append(cfg.seed()).append(" + i), scored with `").append(cfg.classifier()).append("`. ")
                .append("FD = Fréchet distance of classifier features to the Fashion-MNIST test split (FID's analogue); ")
                .append("adherence = classifier accuracy w.r.t. the requested class (CLIP score's analogue); ")
                .append("precision/recall: Kynkäänniemi et al. (k = 3) against 2000 real test images; ")
                .append("ms/image at batch 1 (median of 5 after warm-up, measured by the run that first evaluated the row, so ")
                .append("rows from different runs compare only roughly); speed-up vs the 25-step teacher (DPM-Solver++ 25).\n\n");
        if (!results.isEmpty() && results.get(0).get("fdFloorTrainVsTest") != null) {
            md.append(String.format(Locale.ROOT, "Floor: FD(train split, test split) = %.3f.%n%n", d(results.get(0).get("fdFloorTrainVsTest"))));
        }
        for (String table : new String[] {"comparison", "ablation"}) {
            md.append("## ").append(table.equals("comparison") ? "Comparison (paper: comparisonQuantitavieOthers.png)" : "Ablation (paper: ImagineFlashAblation.png)").append("\n\n");
            md.append("| row | sampler | steps | NFE | FD ↓ | adherence ↑ | precision ↑ | recall ↑ | ms/image | speed-up | grid |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (Map<String, Object> r : results) {
                if (!table.equals(r.get("table"))) {
                    continue;
                }
                if (r.get("missing") != null) {
                    md.append("| ").append(r.get("name")).append(" | ").append(r.get("missing")).append(" |||||||||\n");
                    continue;
                }
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f | %.3f | %.3f | %.3f | %.1f | %.1f× | [png](%s) |%n",
                        r.get("name") + (shipped(String.valueOf(r.get("model"))) ? "" : " †"), r.get("sampler"), r.get("steps"), r.get("nfe"), d(r.get("fd")), d(r.get("adherence")),
                        d(r.get("precision")), d(r.get("recall")), d(r.get("msPerImageBatch1")),
                        teacherMs / d(r.get("msPerImageBatch1")), r.get("grid")));
            }
            md.append("\n");
        }
        if (results.stream().anyMatch(r -> r.get("model") != null && !shipped(String.valueOf(r.get("model"))))) {
            md.append("† The model is an experiment's run directory, not shipped in `models/`: where it is absent (a fresh clone) "
                    + "its figures are those measured where it was.\n\n");
        }
        for (String[] metric : new String[][] {{"adherence", "Per-class adherence", "%.2f"}, {"fd", "Per-class FD (our CompBench-like breakdown)", "%.0f"}}) {
            md.append("## ").append(metric[1]).append("\n\n| row |");
            for (String c : org.imagineflash.data.Prompts.CLASS_NAMES) {
                md.append(' ').append(c).append(" |");
            }
            md.append("\n|---|").append("---|".repeat(org.imagineflash.data.Prompts.CLASS_NAMES.size())).append('\n');
            for (Map<String, Object> r : results) {
                if (r.get("perClass") instanceof List<?> pcs) {
                    md.append("| ").append(r.get("name")).append(" |");
                    for (Object o : pcs) {
                        md.append(String.format(Locale.ROOT, " " + metric[2] + " |", d(((Map<?, ?>) o).get(metric[0]))));
                    }
                    md.append('\n');
                }
            }
            md.append('\n');
        }
        md.append("\n## How each model was made\n\n| model | command (from its provenance.json) | wall time |\n|---|---|---|\n");
        java.util.Set<Object> seen = new java.util.HashSet<>();
        for (Map<String, Object> r : results) {
            if (r.get("missing") == null && seen.add(r.get("model"))) {
                md.append(String.format(Locale.ROOT, "| `%s` | `%s` | %.0f s |%n", r.get("model"), r.get("modelCommand"),
                        d(r.get("modelWallSeconds"))));
            }
        }
        md.append("\n![FD vs steps](fd-vs-steps.png)\n\n![FD vs ms per image](fd-vs-ms.png)\n\n");
        md.append("Raw figures: [results.json](results.json). Re-run: `./imagine-flash report` (rows cached in `cache/`).\n");
        if (Files.isRegularFile(outDir.resolve("FINDINGS.md"))) {
            md.append("\nWhat these figures agree or disagree with in the paper (written by hand, not generated): [FINDINGS.md](FINDINGS.md).\n");
        }
        Path tmp = outDir.resolve("README.md.tmp");
        Files.writeString(tmp, md.toString());
        Files.move(tmp, outDir.resolve("README.md"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        charts(results, outDir);
    }

    static void charts(List<Map<String, Object>> results, Path outDir) throws IOException {
        XYChart steps = new XYChartBuilder().width(700).height(450).title("FD vs steps").xAxisTitle("steps (NFE w/o guidance)").yAxisTitle("FD").build();
        XYChart speed = new XYChartBuilder().width(700).height(450).title("Quality-speed frontier").xAxisTitle("ms / image (batch 1)").yAxisTitle("FD").build();
        Map<String, List<double[]>> byMethod = new TreeMap<>();
        for (Map<String, Object> r : results) {
            if (r.get("missing") != null || !"comparison".equals(r.get("table"))) {
                continue;
            }
            byMethod.computeIfAbsent(String.valueOf(r.get("method")), k -> new ArrayList<>())
                    .add(new double[] {d(r.get("steps")), d(r.get("fd")), d(r.get("msPerImageBatch1"))});
        }
        for (Map.Entry<String, List<double[]>> e : byMethod.entrySet()) {
            List<double[]> pts = new ArrayList<>(e.getValue());
            pts.sort((a, b) -> Double.compare(a[0], b[0]));
            double[] x = pts.stream().mapToDouble(p -> p[0]).toArray();
            double[] y = pts.stream().mapToDouble(p -> p[1]).toArray();
            double[] ms = pts.stream().mapToDouble(p -> p[2]).toArray();
            steps.addSeries(e.getKey(), x, y);
            XYSeries s = speed.addSeries(e.getKey(), ms, y);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        }
        if (!byMethod.isEmpty()) {
            speed.getStyler().setXAxisLogarithmic(true);
            BitmapEncoder.saveBitmap(steps, outDir.resolve("fd-vs-steps").toString(), BitmapEncoder.BitmapFormat.PNG);
            BitmapEncoder.saveBitmap(speed, outDir.resolve("fd-vs-ms").toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
