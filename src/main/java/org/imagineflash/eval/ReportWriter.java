package org.imagineflash.eval;

import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Provenance;
import org.imagineflash.sampling.SamplerFamily;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Writes a {@link Report}'s results: README.md with the tables, results.json, the charts, and the headline block of another Markdown file. */
public final class ReportWriter {
    private ReportWriter() {
    }

    /** Marks the block of a Markdown file that {@link #writeHeadline} replaces. */
    public static final String HEADLINE_START = "<!-- headline figures: written by ./imagine-flash report from report.json's headline rows -->";
    public static final String HEADLINE_END = "<!-- end of headline figures -->";

    /** The headline rows as a Markdown table: name, NFE, FD, adherence. */
    public static String headline(Report.Config cfg, List<Map<String, Object>> results) {
        StringBuilder md = new StringBuilder("| | NFE | FD ↓ | adherence ↑ |\n|---|---|---|---|\n");
        for (int i = 0; i < results.size(); i++) {
            Report.Row row = cfg.rows().get(i);
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
    public static boolean writeHeadline(Path file, Report.Config cfg, List<Map<String, Object>> results) throws IOException {
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

    /** Whether a row's model is one of the repository's shipped models (a relative path under {@code models/}). */
    static boolean shipped(String model) {
        Path p = Path.of(model).normalize();
        return !p.isAbsolute() && p.startsWith("models");
    }

    private static double d(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** Writes README.md (the tables), results.json and the two charts. */
    static void write(Report.Config cfg, List<Map<String, Object>> results, Path outDir) throws IOException {
        Map<String, Object> all = new LinkedHashMap<>(); // a fixed key order, so an unchanged report rewrites the same file
        all.put("machine", Provenance.machineDescription());
        all.put("config", cfg);
        all.put("rows", results);
        ModelStore.writeJson(outDir.resolve("results.json"), all);
        // the reference of the speed-up column: the 25-step teacher with its default sampler (DPM-Solver++), else the
        // first 25-step teacher row
        List<Map<String, Object>> teacher25 = results.stream().filter(r -> r.get("missing") == null
                && String.valueOf(r.get("method")).startsWith("teacher") && Integer.valueOf(25).equals(r.get("steps"))).toList();
        double teacherMs = teacher25.stream().filter(r -> SamplerFamily.DPMPP_2M.id().equals(r.get("sampler"))).findFirst()
                .or(() -> teacher25.stream().findFirst()).map(r -> d(r.get("msPerImageBatch1"))).orElse(Double.NaN);
        // the newest `report --speed` run: where there is one, only the rows it timed show a speed, so the column compares
        String speedRun = results.stream().map(r -> r.get("speedRun")).filter(String.class::isInstance).map(String.class::cast)
                .max(java.util.Comparator.naturalOrder()).orElse(null);
        java.util.function.Predicate<Map<String, Object>> timed = r -> speedRun == null || speedRun.equals(r.get("speedRun"));
        if (speedRun != null) {
            teacherMs = teacher25.stream().filter(timed).filter(r -> SamplerFamily.DPMPP_2M.id().equals(r.get("sampler"))).findFirst()
                    .map(r -> d(r.get("msPerImageBatch1"))).orElse(Double.NaN);
        }
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation report\n\n");
        md.append("Generated by `imagine-flash report` on ").append(Provenance.machineDescription()).append(".\n");
        md.append("Every row: ").append(cfg.n()).append(" class-balanced images (image i has class i mod 10 and seed ")
                .append(cfg.seed()).append(" + i), scored with `").append(cfg.classifier()).append("`. ")
                .append("FD = Fréchet distance of classifier features to the Fashion-MNIST test split (FID's analogue); ")
                .append("adherence = classifier accuracy w.r.t. the requested class (CLIP score's analogue); ")
                .append("precision/recall: Kynkäänniemi et al. (k = 3) against 2000 real test images; ")
                .append(speedRun != null ? "ms/image at batch 1 (median of 5 after warm-up), every figure from one run (`report --speed`, "
                        + speedRun + "; — where that run did not have the model)"
                        : "ms/image at batch 1 (median of 5 after warm-up, measured by the run that first evaluated the row, so "
                        + "rows from different runs compare only roughly)")
                .append("; speed-up vs the 25-step teacher (DPM-Solver++ 25).\n\n");
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
                double ms = timed.test(r) ? d(r.get("msPerImageBatch1")) : Double.NaN;
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f | %.3f | %.3f | %.3f | %s | %s | [png](%s) |%n",
                        r.get("name") + (shipped(String.valueOf(r.get("model"))) ? "" : " †"), r.get("sampler"), r.get("steps"), r.get("nfe"), d(r.get("fd")), d(r.get("adherence")),
                        d(r.get("precision")), d(r.get("recall")), Double.isNaN(ms) ? "—" : String.format(Locale.ROOT, "%.1f", ms),
                        Double.isNaN(ms) || Double.isNaN(teacherMs) ? "—" : String.format(Locale.ROOT, "%.1f×", teacherMs / ms), r.get("grid")));
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
        if (Files.isRegularFile(outDir.resolve("scenes").resolve("README.md"))) {
            md.append("\nText-to-image (fashion scenes): [scenes/README.md](scenes/README.md), written by `./imagine-flash report --scenes`.\n");
        }
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
