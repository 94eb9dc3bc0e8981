package org.imagineflash.serve;

import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.Provenance;
import org.imagineflash.model.TextEncoderConfig;
import org.imagineflash.model.UNetConfig;
import org.imagineflash.schedule.ScheduleConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRegistryTextTest {
    @Test
    void aTextToImageModelIsListedUnavailableAndTheClassModelsAreServed(@TempDir Path dir) throws Exception {
        Path models = ServeFixtures.models(dir);
        UNetConfig u = UNetConfig.builder(12, 1).inChannels(4).baseChannels(16).channelMults(1, 2).attentionResolutions(6)
                .groups(4).heads(2).text(new TextEncoderConfig(CaptionParser.words(), 16, 1, 2, 12)).build();
        Path ae = dir.resolve("ae");
        try (org.imagineflash.latent.Autoencoder a = org.imagineflash.latent.Autoencoder.create(
                new org.imagineflash.latent.Autoencoder.Config("autoencoder", 48, 3, new int[] {8, 8, 16}, 4, 4, 1.0), 1)) {
            a.save(ae, Map.of());
        }
        ModelConfig c = new ModelConfig(ModelConfig.TEACHER, u, ScheduleConfig.ddpmLinear(), Parameterization.EPS, null, ae.toString(), null);
        try (DiffusionModel m = DiffusionModel.create(c, 3)) {
            ModelStore.save(m, models.resolve("text-tiny"), Provenance.of("test", 3, "none", 0, 0, Map.of()));
        }
        try (ModelRegistry r = new ModelRegistry(models, 2)) {
            List<Map<String, Object>> d = r.describe(ServerLimits.builder().build());
            Map<String, Object> text = d.stream().filter(m -> m.get("name").equals("text-tiny")).findFirst().orElseThrow();
            assertEquals(false, text.get("available"));
            assertTrue(String.valueOf(text.get("error")).contains("text-to-image"));
            assertTrue(r.size() >= 2, "the class models are served");
        }
    }
}
