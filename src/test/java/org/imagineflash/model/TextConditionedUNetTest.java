package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.schedule.ScheduleConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class TextConditionedUNetTest {
    public static ModelConfig tiny() {
        UNetConfig u = UNetConfig.builder(8, 1).inChannels(4).baseChannels(16).channelMults(1, 2).attentionResolutions(4)
                .groups(4).heads(2).text(new TextEncoderConfig(CaptionParser.words(), 16, 1, 2, 8)).build();
        return ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS).onLatents("models/autoencoder-scenes", null);
    }

    static TextTokens prompts(NDManager m, String... texts) {
        long[] ids = new long[texts.length * 8];
        for (int i = 0; i < texts.length; i++) {
            System.arraycopy(CaptionParser.ids(texts[i], 8), 0, ids, i * 8, 8);
        }
        return TextTokens.of(m, ids, texts.length, 8, CaptionParser.words().size());
    }

    @TempDir
    Path dir;

    @Test
    void thePromptChangesThePredictionAndGuidanceIsTheFormula() {
        try (DiffusionModel m = DiffusionModel.create(tiny(), 4); NDManager sub = m.manager().newSubManager()) {
            NDArray x = sub.randomNormal(new Shape(2, 4, 8, 8));
            TextTokens c = prompts(sub, "a red sneaker left of a blue bag", "a blue bag left of a red sneaker");
            Prediction p = m.predict(x, 500, c);
            float[] a = p.eps().get("0:1").toFloatArray();
            float[] b = m.predict(x.get("0:1"), 500, prompts(sub, "a blue bag left of a red sneaker")).eps().toFloatArray();
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            assertTrue(diff > 1e-4, "word order changes the output: " + diff);
            assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 0, 0}, c.unconditional().tokens().get("0").toLongArray());
            Prediction guided = m.denoiser(c, 3.0).predict(x, 500);
            Prediction u = m.predict(x, 500, c.unconditional());
            float[] want = u.eps().add(p.eps().sub(u.eps()).mul(3.0)).toFloatArray();
            float[] got = guided.eps().toFloatArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-4);
            }
            assertThrows(IllegalArgumentException.class, () -> c.concat(m.classLabels(sub, new int[] {1})));
        }
    }

    @Test
    void savesAndLoadsWithItsTextEncoderAndAutoencoder() throws Exception {
        try (DiffusionModel m = DiffusionModel.create(tiny(), 5); NDManager sub = m.manager().newSubManager()) {
            NDArray x = sub.randomNormal(new Shape(1, 4, 8, 8));
            float[] before = m.predict(x, 300, prompts(sub, "a green coat")).eps().toFloatArray();
            ModelStore.save(m, dir.resolve("t"), Provenance.of("test", 5, "none", 0, 0, Map.of()));
            try (DiffusionModel loaded = ModelStore.load(dir.resolve("t"))) {
                assertEquals(m.config(), loaded.config());
                assertEquals("models/autoencoder-scenes", loaded.config().autoencoder());
                assertArrayEquals(before, loaded.predict(x, 300, prompts(sub, "a green coat")).eps().toFloatArray());
            }
        }
        try (DiffusionModel classModel = DiffusionModel.create(TinyModels.teacher(), 1)) {
            assertNull(classModel.config().autoencoder());
            ModelStore.save(classModel, dir.resolve("c"), Provenance.of("test", 1, "none", 0, 0, Map.of()));
            String json = java.nio.file.Files.readString(dir.resolve("c").resolve(ModelStore.CONFIG));
            assertTrue(!json.contains("\"text\"") && !json.contains("\"autoencoder\""), "class models' config.json is unchanged: " + json);
        }
    }

    @Test
    void aConfigWithoutThePooledFlagKeepsThePooledPromptAndOneWithoutItHasNoProjection() throws Exception {
        String json = ModelStore.JSON.writeValueAsString(tiny().unet().text()).replaceAll(",\\s*\"pooled\"\\s*:\\s*true", "");
        assertTrue(!json.contains("pooled"), json);
        assertTrue(ModelStore.JSON.readValue(json, TextEncoderConfig.class).pooled(), "older config.json files: pooled");
        var t = tiny().unet().text();
        UNetConfig u = UNetConfig.builder(8, 1).inChannels(4).baseChannels(16).channelMults(1, 2).attentionResolutions(4)
                .groups(4).heads(2).text(new TextEncoderConfig(t.vocabulary(), t.width(), t.layers(), t.heads(), t.maxTokens(), false)).build();
        try (DiffusionModel m = DiffusionModel.create(ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS), 5);
             DiffusionModel pooled = DiffusionModel.create(tiny(), 5); NDManager sub = m.manager().newSubManager()) {
            assertTrue(m.parameterCount() < pooled.parameterCount(), "no projection of the pooled prompt");
            NDArray x = sub.randomNormal(new Shape(2, 4, 8, 8));
            // word order reaches the prediction through cross-attention alone
            float[] a = m.predict(x, 300, prompts(sub, "a red sneaker left of a blue bag", "a red sneaker left of a blue bag")).eps().toFloatArray();
            float[] b = m.predict(x, 300, prompts(sub, "a blue sneaker left of a red bag", "a blue sneaker left of a red bag")).eps().toFloatArray();
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            assertTrue(diff > 1e-5, "swapping the colours changes the prediction: " + diff);
        }
    }
}
