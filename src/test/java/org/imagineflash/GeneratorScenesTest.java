package org.imagineflash;

import org.imagineflash.data.scenes.Scene;
import org.imagineflash.latent.Autoencoder;
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

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GeneratorScenesTest {
    @TempDir
    Path dir;

    Path textModel(String autoencoder) throws Exception {
        return textModel(autoencoder, null);
    }

    Path textModel(String autoencoder, String sha) throws Exception {
        UNetConfig u = TinyModels.sceneUnet();
        ModelConfig c = ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS).onLatents(autoencoder, sha);
        try (DiffusionModel m = DiffusionModel.create(c, 3)) {
            ModelStore.save(m, dir.resolve("t2i"), Provenance.of("test", 3, "none", 0, 0, Map.of()));
        }
        return dir.resolve("t2i");
    }

    @Test
    void aTextModelDrawsSentencesThroughItsAutoencoder() throws Exception {
        try (Autoencoder ae = Autoencoder.create(Autoencoder.Config.scenes(new int[] {8, 8, 16}, 4), 1)) {
            ae.save(dir.resolve("ae"), Map.of("test", true));
        }
        try (Generator g = Generator.load(textModel(dir.resolve("ae").toString()))) {
            assertTrue(g.isTextToImage());
            Generator.Options o = new Generator.Options(SamplerFamily.DDIM, 2, 2.0, null);
            List<String> prompts = List.of("a red sneaker left of a blue bag", "a white dress");
            Generator.Scenes a = g.generateScenes(prompts, new long[] {5, 6}, o);
            assertEquals(2, a.images().size());
            assertEquals(Scene.BYTES, a.images().get(0).length);
            Generator.Scenes b = g.generateScenes(List.of("a white dress"), new long[] {6}, o);
            // image i depends only on its prompt and seed: alone or in a batch, within one grey level (the matrix products
            // of attention round differently for another batch size)
            byte[] x = a.images().get(1);
            byte[] y = b.images().get(0);
            int worst = 0;
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs((x[i] & 0xff) - (y[i] & 0xff)));
            }
            assertTrue(worst <= 1, "largest difference " + worst);
            assertArrayEquals(x, g.generateScenes(prompts, new long[] {5, 6}, o).images().get(1), "the same batch gives the same images");
            assertThrows(IllegalArgumentException.class, () -> g.generateScenes(List.of("a red sneeker"), new long[] {1}, o));
            assertThrows(IllegalArgumentException.class, () -> g.generate(new int[] {1}, 0, o));
            java.awt.image.BufferedImage img = g.generate("a white dress", 6);
            assertEquals(Scene.SIZE, img.getWidth());
            assertEquals(Scene.SIZE, img.getHeight());
        }
    }

    @Test
    void aMissingAutoencoderIsAClearError() throws Exception {
        String m = assertThrows(java.io.IOException.class, () -> Generator.load(textModel(dir.resolve("nothing").toString()))).getMessage();
        assertTrue(m.contains("which does not load"), m);
    }

    @Test
    void aModelTrainedOnAnotherAutoencodersLatentsIsRefused() throws Exception {
        try (Autoencoder ae = Autoencoder.create(Autoencoder.Config.scenes(new int[] {8, 8, 16}, 4), 1)) {
            ae.save(dir.resolve("ae2"), Map.of("test", true));
        }
        String sha = ModelStore.sha256(dir.resolve("ae2").resolve(ModelStore.WEIGHTS));
        try (Generator g = Generator.load(textModel(dir.resolve("ae2").toString(), sha))) {
            assertTrue(g.isTextToImage());
        }
        String other = "0".repeat(64);
        String m = assertThrows(java.io.IOException.class, () -> Generator.load(textModel(dir.resolve("ae2").toString(), other))).getMessage();
        assertTrue(m.contains("checksum differs"), m);
    }

    @Test
    void threadsDrawingSentencesAtOnceOnDjlAllGetTheirImages() throws Exception {
        try (Autoencoder ae = Autoencoder.create(Autoencoder.Config.scenes(new int[] {8, 8, 16}, 4), 1)) {
            ae.save(dir.resolve("ae3"), Map.of("test", true));
        }
        try (Generator g = Generator.load(textModel(dir.resolve("ae3").toString()))) {
            Generator.Options o = new Generator.Options(SamplerFamily.DDIM, 2, 1.0, null);
            List<String> prompts = List.of("a red sneaker left of a blue bag", "a white dress", "a cyan bag");
            byte[] expected = g.generateScenes(prompts, new long[] {1, 2, 3}, o).images().get(2);
            // a server's workers: the text encoder's embedding table is shared by every call (it was released under
            // concurrent calls, and every later call failed)
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                List<java.util.concurrent.Future<byte[]>> done = new java.util.ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    done.add(pool.submit(() -> g.generateScenes(prompts, new long[] {1, 2, 3}, o).images().get(2)));
                }
                for (var f : done) {
                    assertArrayEquals(expected, f.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
