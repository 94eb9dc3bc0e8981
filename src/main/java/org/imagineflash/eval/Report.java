package org.imagineflash.eval;

import com.fasterxml.jackson.core.type.TypeReference;
import me.tongfei.progressbar.ProgressBar;
import org.imagineflash.Generator;
import org.imagineflash.data.PngGrid;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Provenance;
import org.imagineflash.sampling.SamplerFamily;
import org.imagineflash.sampling.SamplerOptions;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The comparison and ablation tables of the paper at our scale ({@code comparisonQuantitavieOthers.png},
 * {@code ImagineFlashAblation.png}): every row is a model + sampler setting, evaluated with {@link Evaluation}
 * on the same n class-balanced seeds; results are cached per row (keyed by the weights' hash and the settings) so a
 * re-run only evaluates what changed. This class runs the rows and keeps the cache and the grids; {@link ReportWriter}
 * writes README.md, results.json and the charts.
 */
public final class Report {
    /**
     * One row: a label, the table it belongs to, the method family (for the chart), model dir and sampling; a teacher
     * sampler may set its timestep spacing and x̂_0 clipping (null: the sampler's defaults); {@code headline} rows
     * also go to the headline table ({@link ReportWriter#headline}).
     */
    public record Row(String name, String table, String method, String model, SamplerFamily sampler, Integer steps, Double cfg,
                      String spacing, Boolean clipSample, Boolean headline) {
        /** A row at the sampler's defaults, not in the headline. */
        public static Row of(String name, String table, String method, String model, SamplerFamily sampler, int steps, double cfg) {
            return new Row(name, table, method, model, sampler, steps, cfg, null, null, null);
        }

        /** This row in the headline block of the README. */
        public Row inHeadline() {
            return new Row(name, table, method, model, sampler, steps, cfg, spacing, clipSample, true);
        }

        /** The sampler options of a teacher row (null for a student row, which samples with its own config). */
        SamplerOptions samplerOptions() {
            if (sampler == SamplerFamily.STUDENT || steps == null) {
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

    public static List<Map<String, Object>> run(Config cfg, Path outDir, PrintStream progress) throws IOException {
        return run(cfg, outDir, progress, false);
    }

    /**
     * Runs the report; with {@code measureSpeed}, the ms/image and images/s of every row whose model is in this checkout
     * are measured afresh in this run (and stamped with it), so that the column compares rows on one machine.
     */
    public static List<Map<String, Object>> run(Config cfg, Path outDir, PrintStream progress, boolean measureSpeed) throws IOException {
        String speedRun = measureSpeed ? java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ", "
                + Provenance.machineDescription() : null;
        java.util.Set<Path> timed = new java.util.HashSet<>();
        Files.createDirectories(outDir.resolve("cache"));
        Files.createDirectories(outDir.resolve("grids"));
        List<Map<String, Object>> results = new ArrayList<>();
        java.util.Set<Path> used = new java.util.HashSet<>();
        try (DomainClassifier dc = DomainClassifier.load(Path.of(cfg.classifier()));
             ProgressBar pb = org.imagineflash.train.TrainingLoop.progress("report", cfg.rows().size(), 0, progress)) {
            String clfHash = ModelStore.sha256(Path.of(cfg.classifier()).resolve("weights.params"));
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
                        + samplerDefaults + org.imagineflash.sampling.Sampler.codeVersionKey();
                // names a row's figures without its weights: a model that is not in this checkout (an experiment's
                // run directory) keeps the figures measured where it was
                String rowKey = row.model() + "|" + settings;
                String grid = gridFile(row.name());
                if (!Files.isRegularFile(modelDir.resolve(ModelStore.CONFIG))) {
                    pb.step();
                    Map<String, Object> full = new LinkedHashMap<>();
                    full.put("name", row.name());
                    full.put("table", row.table());
                    Path earlier = earlier(cachedByRow, rowKey, outDir.resolve(grid));
                    if (earlier != null) {
                        used.add(earlier);
                        used.add(outDir.resolve(grid));
                        full.put("method", row.method());
                        full.put("model", row.model());
                        full.put("grid", grid);
                        full.putAll(readEntry(earlier));
                    } else {
                        full.put("missing", "model directory " + row.model() + " not found");
                    }
                    results.add(full);
                    continue;
                }
                // keyed by the weights, the model's config (a student's sampling is in it: two models with the same
                // weights but another sampler must not share figures) and the settings
                String weightsKey = ModelStore.sha256(modelDir.resolve(ModelStore.WEIGHTS)).substring(0, 16) + "-" + Integer.toHexString(settings.hashCode());
                String key = weightsKey + "-" + ModelStore.sha256(modelDir.resolve(ModelStore.CONFIG)).substring(0, 8);
                Path cache = outDir.resolve("cache").resolve(key + ".json");
                migrate(outDir.resolve("cache").resolve(weightsKey + ".json"), cache, rowKey);
                Map<String, Object> r;
                used.add(cache);
                used.add(outDir.resolve(grid));
                if (Files.isRegularFile(cache) && Files.isRegularFile(outDir.resolve(grid))) {
                    r = readEntry(cache);
                    if (remember(r, rowKey)) {
                        ModelStore.writeJson(cache, r);
                    }
                    if (speedRun != null && timed.add(cache.toAbsolutePath().normalize())) {
                        try (Generator g = Generator.load(modelDir)) {
                            r.putAll(Evaluation.speed(g, options(row, rowOptions, g.defaults()), 5));
                        }
                        r.put("speedRun", speedRun);
                        ModelStore.writeJson(cache, r);
                    }
                } else {
                    try (Generator g = Generator.load(modelDir)) {
                        Generator.Options o = options(row, rowOptions, g.defaults());
                        SamplerFamily s = o.sampler();
                        int st = o.steps();
                        double c = o.cfg();
                        int[] labels = Evaluation.balancedLabels(cfg.n(), dc.config().numClasses());
                        Generator.Images im = g.generateBatched(labels, cfg.seed(), o, 64);
                        r = new LinkedHashMap<>();
                        r.put("rows", new ArrayList<>(List.of(rowKey)));
                        r.put("sampler", s.id());
                        r.put("steps", st);
                        r.put("cfg", c);
                        r.put("nfe", im.nfe() * o.nfePerStep());
                        r.putAll(Evaluation.score(dc, im.pixels(), labels));
                        r.putAll(Evaluation.speed(g, o, 5));
                        if (speedRun != null) {
                            timed.add(cache.toAbsolutePath().normalize());
                            r.put("speedRun", speedRun);
                        }
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
        prune(outDir, used);
        ReportWriter.write(cfg, results, outDir);
        return results;
    }

    /** How a row samples: its own settings where it has them, else the model's defaults. */
    private static Generator.Options options(Row row, SamplerOptions rowOptions, Generator.Options d) {
        return new Generator.Options(row.sampler() != null ? row.sampler() : d.sampler(), row.steps() != null ? row.steps() : d.steps(),
                row.cfg() != null ? row.cfg() : d.cfg(), rowOptions);
    }

    /** Deletes the cached figures and grids under {@code outDir} that no row of this run used (rows no longer in the config). */
    static void prune(Path outDir, java.util.Set<Path> used) throws IOException {
        java.util.Set<Path> keep = new java.util.HashSet<>();
        for (Path u : used) {
            keep.add(u.toAbsolutePath().normalize());
        }
        for (String sub : List.of("cache", "grids")) {
            try (var files = Files.list(outDir.resolve(sub))) {
                for (Path f : files.toList()) {
                    if (!keep.contains(f.toAbsolutePath().normalize())) {
                        Files.delete(f);
                    }
                }
            }
        }
    }

    /** A row's grid file under the report folder, named after the row. */
    static String gridFile(String rowName) {
        return "grids/" + rowName.replaceAll("[^A-Za-z0-9._-]+", "_") + ".png";
    }

    /** A cache entry's figures. */
    static LinkedHashMap<String, Object> readEntry(Path entry) throws IOException {
        return ModelStore.JSON.readValue(entry.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    /** The cached figures by the row they were measured for (its model directory and settings). */
    static Map<String, Path> cachedByRow(Path cacheDir) throws IOException {
        Map<String, Path> byRow = new java.util.HashMap<>();
        try (var files = Files.list(cacheDir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                for (String row : rowsOf(readEntry(f))) {
                    byRow.putIfAbsent(row, f);
                }
            }
        }
        return byRow;
    }

    /**
     * The cache entry of a row whose model directory is absent (an experiment's run folder on another checkout), when
     * its figures and grid were kept; null otherwise.
     */
    static Path earlier(Map<String, Path> cachedByRow, String rowKey, Path grid) {
        Path entry = cachedByRow.get(rowKey);
        return entry != null && Files.isRegularFile(grid) ? entry : null;
    }

    /** Records that a cache entry's figures are those of {@code rowKey} too; true when the entry changed. */
    static boolean remember(Map<String, Object> entry, String rowKey) {
        List<String> rows = rowsOf(entry);
        if (rows.contains(rowKey)) {
            return false;
        }
        rows.add(rowKey);
        entry.remove("row");
        entry.put("rows", rows);
        return true;
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
        Map<String, Object> r = readEntry(old);
        if (rowsOf(r).equals(List.of(rowKey))) {
            r.remove("row");
            r.put("rows", new ArrayList<>(List.of(rowKey)));
            ModelStore.writeJson(cache, r);
        }
    }
}
