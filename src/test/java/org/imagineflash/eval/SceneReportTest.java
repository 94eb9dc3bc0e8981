package org.imagineflash.eval;

import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.Provenance;
import org.imagineflash.model.TinyModels;
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

/** The scene report on an untrained tiny text model, scored with the shipped instruments: cache and absent models. */
class SceneReportTest {
    @Test
    void aRowKeepsItsFiguresWhenItsModelIsGoneOrStale(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("tiny-text");
        UNetConfig u = TinyModels.sceneUnet();
        String latents = ModelStore.sha256(Path.of("models/autoencoder-scenes").resolve(ModelStore.WEIGHTS));
        ModelConfig c = ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS).onLatents("models/autoencoder-scenes", latents);
        try (DiffusionModel m = DiffusionModel.create(c, 1)) {
            ModelStore.save(m, model, Provenance.of("test model", 1, "none", 0, 0, Map.of()));
        }
        SceneReport.Config cfg = new SceneReport.Config(1, "prompts/scenes.txt", "models/classifier-cells", "models/contrastive-scenes", List.of(
                new SceneReport.Row("tiny DDIM-2", "comparison", "teacher DDIM", model.toString(), SamplerFamily.DDIM, 2, 1.0),
                new SceneReport.Row("never measured", "comparison", "x", dir.resolve("nothing").toString(), SamplerFamily.DDIM, 2, 1.0)));
        Path out = dir.resolve("report");
        List<Map<String, Object>> first = SceneReport.run(cfg, null, out, null);
        assertFalse(first.get(0).containsKey("missing"));
        assertFalse(first.get(0).containsKey("rows"), "the cache's bookkeeping stays out of the results");
        assertTrue(((Number) first.get(0).get("fd")).doubleValue() > 1, "an untrained model is far from real scenes");
        assertTrue(first.get(1).containsKey("missing"));

        // --speed re-times a cached row (its scores stay) and keeps the new time in the cache
        Path entry;
        try (var cache = Files.list(out.resolve("cache"))) {
            entry = cache.findFirst().orElseThrow();
        }
        Files.writeString(entry, Files.readString(entry).replaceFirst("\"msPerImageBatch1\" : [0-9.E-]+", "\"msPerImageBatch1\" : -1.0"));
        assertEquals(-1.0, ((Number) SceneReport.run(cfg, null, out, null).get(0).get("msPerImageBatch1")).doubleValue(), "a cached row keeps its time");
        List<Map<String, Object>> retimed = SceneReport.run(cfg, null, out, null, true);
        assertTrue(((Number) retimed.get(0).get("msPerImageBatch1")).doubleValue() > 0, "measured afresh");
        assertEquals(first.get(0).get("fd"), retimed.get(0).get("fd"));
        first = retimed;

        // a model trained on the latents of an autoencoder that has changed since (an old run folder) cannot be
        // sampled; its row keeps the figures measured when it could
        Path config = model.resolve("config.json");
        String trained = Files.readString(config);
        Files.writeString(config, trained.replace(latents, "0".repeat(64)));
        assertTrue(SceneReport.unusable(model).contains("trained on the latents of another"));
        assertEquals(first.get(0), SceneReport.run(cfg, null, out, null).get(0), "the stale model's row keeps its figures");
        Files.writeString(config, trained);
        for (String f : List.of("weights.params", "config.json", "provenance.json")) {
            Files.delete(model.resolve(f));
        }
        List<Map<String, Object>> second = SceneReport.run(cfg, null, out, null);
        assertEquals(first.get(0), second.get(0), "the same entry whether the model is present or not");
        assertTrue(second.get(1).containsKey("missing"), "a row never measured stays missing");
        assertTrue(Files.readString(out.resolve("README.md")).contains("| tiny DDIM-2 |"));

        SceneReport.Config without = new SceneReport.Config(1, cfg.prompts(), cfg.cellClassifier(), cfg.contrastive(), List.of(cfg.rows().get(1)));
        SceneReport.run(without, null, out, null);
        try (var cache = Files.list(out.resolve("cache")); var grids = Files.list(out.resolve("grids"))) {
            assertEquals(0, cache.count() + grids.count(), "a row taken out of the config leaves no figures or grid behind");
        }
    }
}
