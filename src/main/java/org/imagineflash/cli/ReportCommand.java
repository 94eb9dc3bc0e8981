package org.imagineflash.cli;

import org.imagineflash.eval.Report;
import org.imagineflash.eval.ReportWriter;
import org.imagineflash.eval.SceneReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash report}: the paper's comparison and ablation tables at our scale. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Evaluate every row of the report config (teacher, students, baselines, ablation) and write",
                "report/README.md, results.json, sample grids and charts. Rows whose weights and settings did not change",
                "are taken from report/cache."})
public final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--config", defaultValue = "report.json") Path config;
    @Option(names = "--out", defaultValue = "report") Path out;
    @Option(names = "--n", description = "images per row (overrides the config)") Integer n;
    @Option(names = "--readme", defaultValue = "README.md",
            description = "a Markdown file whose headline-figures block gets the headline rows (left alone if it has no block)")
    Path readme;
    @Option(names = "--scenes", description = "the text-to-image report instead: rows of report-scenes.json (or --config) → report/scenes")
    boolean scenes;
    @Option(names = "--speed", description = "measure ms/image and images/s of every row whose model is here afresh, in this run, "
            + "so the column compares rows on this machine (without it, a row keeps the speed of the run that first evaluated it)")
    boolean speed;
    @Option(names = "--data", description = "Fashion-MNIST directory (--scenes: the real-scene ceiling row)") Path data;

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        if (scenes) {
            Path file = spec.commandLine().getParseResult().hasMatchedOption("--config") ? config : Path.of("report-scenes.json");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("scene report config " + file + " not found");
            }
            SceneReport.Config c = SceneReport.readConfig(file);
            if (c.perPrompt() < 1 || c.rows() == null || c.rows().isEmpty()) {
                throw new IllegalArgumentException("the scene report needs perPrompt ≥ 1 and at least one row");
            }
            Path dir = out.resolve("scenes");
            List<Map<String, Object>> rows = SceneReport.run(c, data, dir, System.err, speed);
            spec.commandLine().getOut().printf("wrote %s/README.md: %d rows (%d missing models)%n", dir, rows.size(),
                    rows.stream().filter(r -> r.get("missing") != null).count());
            return 0;
        }
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException("report config " + config + " not found");
        }
        Report.Config c = Report.readConfig(config);
        if (n != null) {
            c = new Report.Config(n, c.seed(), c.classifier(), c.rows());
        }
        if (c.n() < 200 || c.rows() == null || c.rows().isEmpty()) {
            throw new IllegalArgumentException("the report needs n ≥ 200 and at least one row");
        }
        List<Map<String, Object>> rows = Report.run(c, out, System.err, speed);
        long missing = rows.stream().filter(r -> r.get("missing") != null).count();
        if (ReportWriter.writeHeadline(readme, c, rows)) {
            spec.commandLine().getOut().printf("updated the headline figures in %s%n", readme);
        }
        spec.commandLine().getOut().printf("wrote %s/README.md: %d rows (%d missing models)%n", out, rows.size(), missing);
        return 0;
    }
}
