package org.imagineflash.eval;

import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.Provenance;
import org.imagineflash.model.UNetConfig;
import org.imagineflash.sampling.SamplerFamily;
import org.imagineflash.schedule.ScheduleConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report on a small untrained 28×28 model scored with the shipped classifier: outputs, cache, stale files. */
class ReportTest {
    @Test
    void writesTablesCachesRowsAndRemovesStaleFiles(@TempDir Path dir) throws Exception {
        UNetConfig u = UNetConfig.builder(28, 10).baseChannels(8).channelMults(1, 2)
                .numResBlocks(1).attentionResolutions().groups(4).heads(2).build();
        Path model = dir.resolve("tiny");
        try (DiffusionModel m = DiffusionModel.create(ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS), 1)) {
            ModelStore.save(m, model, Provenance.of("test model", 1, "none", 0, 0, Map.of()));
        }
        Report.Config cfg = new Report.Config(200, 0, "models/classifier-fmnist", List.of(
                Report.Row.of("tiny DDIM-2", "comparison", "teacher DDIM", model.toString(), SamplerFamily.DDIM, 2, 1.0).inHeadline(),
                Report.Row.of("tiny DDIM-1", "ablation", "teacher DDIM", model.toString(), SamplerFamily.DDIM, 1, 1.0),
                Report.Row.of("absent", "ablation", "x", dir.resolve("nothing").toString(), SamplerFamily.DDIM, 1, 1.0)));
        Path out = dir.resolve("report");
        Files.createDirectories(out.resolve("grids"));
        Files.writeString(out.resolve("grids/old-row.png"), "stale");
        List<Map<String, Object>> first = Report.run(cfg, out, null);
        assertEquals(3, first.size());
        assertTrue(first.get(2).containsKey("missing"));
        assertEquals(2, ((Number) first.get(0).get("nfe")).intValue());
        double fd = ((Number) first.get(0).get("fd")).doubleValue();
        assertTrue(fd > 50, "an untrained model is far from the data: FD " + fd);
        String md = Files.readString(out.resolve("README.md"));
        // a model outside models/ is an experiment's, marked † whether or not it is present
        assertTrue(md.contains("| tiny DDIM-2 † |") && md.contains("## Ablation") && md.contains("test model"), md);
        assertTrue(Files.isRegularFile(out.resolve("results.json")) && Files.isRegularFile(out.resolve("grids/tiny_DDIM-2.png")));
        assertFalse(Files.exists(out.resolve("grids/old-row.png")), "stale grid left behind");
        try (var s = Files.list(out.resolve("cache"))) {
            assertEquals(2, s.count());
        }
        // a second run reads the cache: identical figures, speed included
        List<Map<String, Object>> second = Report.run(cfg, out, null);
        assertEquals(first.get(0), second.get(0));
        assertEquals(first.get(1), second.get(1));
        // --speed: the same figures, speeds measured afresh and stamped with the one run that timed every present row
        List<Map<String, Object>> timed = Report.run(cfg, out, null, true);
        assertEquals(first.get(0).get("fd"), timed.get(0).get("fd"));
        Object stamp = timed.get(0).get("speedRun");
        assertTrue(stamp instanceof String && stamp.equals(timed.get(1).get("speedRun")), String.valueOf(stamp));
        assertTrue(Files.readString(out.resolve("README.md")).contains("every figure from one run"));
        first = timed;
        // once the model directory is gone (an experiment's run folder on another clone), its rows keep their
        // figures and grids, marked as such
        for (String f : List.of("weights.params", "config.json", "provenance.json")) {
            Files.delete(model.resolve(f));
        }
        List<Map<String, Object>> third = Report.run(cfg, out, null);
        assertEquals(first.get(0), third.get(0), "the same entry whether the model is present or not");
        assertTrue(Files.isRegularFile(out.resolve("grids/tiny_DDIM-2.png")), "the absent model's grid was deleted");
        assertTrue(Files.readString(out.resolve("README.md")).contains("| tiny DDIM-2 † |"));
        assertTrue(third.get(2).containsKey("missing"), "a row never measured stays missing");
        // the headline block of a Markdown file gets the headline rows, read from the report
        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "intro\n" + ReportWriter.HEADLINE_START + "\nhand-copied figures\n" + ReportWriter.HEADLINE_END + "\noutro\n");
        assertTrue(ReportWriter.writeHeadline(readme, cfg, third));
        String text = Files.readString(readme);
        assertFalse(text.contains("hand-copied"), text);
        assertTrue(text.contains(String.format(java.util.Locale.ROOT, "| tiny DDIM-2 | 2 | %.1f |", fd)), text);
        assertFalse(text.contains("tiny DDIM-1"), "not a headline row");
        assertTrue(text.startsWith("intro\n") && text.endsWith(ReportWriter.HEADLINE_END + "\noutro\n"), text);
        assertFalse(ReportWriter.writeHeadline(dir.resolve("none.md"), cfg, third));
    }
}
