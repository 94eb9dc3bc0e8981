package org.imagineflash.latent;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import org.imagineflash.data.scenes.Scene;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.data.scenes.ScenesTest;
import org.imagineflash.model.ModelStore;
import org.imagineflash.train.TrainingLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutoencoderTest {
    static Autoencoder.Config tiny() {
        return Autoencoder.Config.scenes(new int[] {8, 8, 16}, 4);
    }

    @TempDir
    Path dir;

    /** 16 scenes beyond the few a short training run draws. */
    static List<byte[]> probes(SceneGenerator gen) {
        List<byte[]> scenes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            scenes.add(gen.scene(10_000 + i).rgb());
        }
        return scenes;
    }

    static float[] decoded(Autoencoder ae, List<byte[]> scenes) {
        try (NDManager sub = ae.manager().newSubManager()) {
            ParameterStore ps = new ParameterStore(sub, false);
            return ae.decode(ps, ae.encode(ps, AutoencoderTraining.images(sub, scenes))).toFloatArray();
        }
    }

    @Test
    void learnsToReconstructAndRoundTripsThroughItsFiles() throws Exception {
        SceneGenerator gen = new SceneGenerator(ScenesTest.garments(10), false, 0);
        List<byte[]> scenes = probes(gen);
        try (Autoencoder ae = Autoencoder.create(tiny(), 1)) {
            double before = AutoencoderTraining.psnr(scenes, AutoencoderTraining.roundTrip(ae, scenes));
            TrainingLoop.Outcome o = AutoencoderTraining.train(ae, AutoencoderTraining.Part.ALL, 0, AutoencoderTraining.KL_WEIGHT, gen, 150, 8, 1e-3, 1, null, 0, false, null);
            double firstL1 = o.losses().get(0)[1];
            double lastL1 = o.losses().subList(130, 150).stream().mapToDouble(l -> l[1]).average().orElseThrow();
            assertTrue(lastL1 < firstL1 / 3, firstL1 + " → " + lastL1);
            ae.setScalingFactor(AutoencoderTraining.scalingFactor(ae, gen));
            assertTrue(ae.config().scalingFactor() > 0);
            double after = AutoencoderTraining.psnr(scenes, AutoencoderTraining.roundTrip(ae, scenes));
            assertTrue(after > before + 5, before + " → " + after + " dB");
            ae.save(dir.resolve("ae"), Map.of("test", true));
            try (Autoencoder loaded = Autoencoder.load(dir.resolve("ae"))) {
                assertEquals(ae.config(), loaded.config());
                assertArrayEquals(decoded(ae, scenes), decoded(loaded, scenes));
            }
        }
    }

    @Test
    void resumingRestoresTheCheckpointedWeightsAndChecksTheRun() throws Exception {
        SceneGenerator gen = new SceneGenerator(ScenesTest.garments(10), false, 0);
        List<byte[]> probe = List.of(gen.scene(99).rgb());
        float[] trained;
        try (Autoencoder ae = Autoencoder.create(tiny(), 2)) {
            AutoencoderTraining.train(ae, AutoencoderTraining.Part.ALL, 0, AutoencoderTraining.KL_WEIGHT, gen, 6, 4, 1e-3, 2, dir.resolve("ck"), 3, false, null);
            trained = decoded(ae, probe);
        }
        try (Autoencoder ae = Autoencoder.create(tiny(), 7)) { // other initial weights: the checkpoint replaces them
            assertThrows(IllegalArgumentException.class,
                    () -> AutoencoderTraining.train(ae, AutoencoderTraining.Part.ALL, 0, AutoencoderTraining.KL_WEIGHT, gen, 6, 4, 2e-3, 2, dir.resolve("ck"), 3, true, null));
            TrainingLoop.Outcome o = AutoencoderTraining.train(ae, AutoencoderTraining.Part.ALL, 0, AutoencoderTraining.KL_WEIGHT, gen, 6, 4, 1e-3, 2, dir.resolve("ck"), 3, true, null);
            assertEquals(0, o.losses().size(), "the checkpoint is at the last step");
            assertArrayEquals(trained, decoded(ae, probe));
        }
    }

    static float[] latents(Autoencoder ae, List<byte[]> scenes) {
        try (NDManager sub = ae.manager().newSubManager()) {
            return ae.encode(new ParameterStore(sub, false), AutoencoderTraining.images(sub, scenes)).toFloatArray();
        }
    }

    /** A tiny autoencoder (seed 3) trained end to end for {@code steps} batches of 8, its scaling factor measured. */
    static Autoencoder trainedTiny(SceneGenerator gen, long steps) throws java.io.IOException {
        Autoencoder ae = Autoencoder.create(tiny(), 3);
        AutoencoderTraining.train(ae, AutoencoderTraining.Part.ALL, 0, AutoencoderTraining.KL_WEIGHT, gen, steps, 8, 1e-3, 3, null, 0, false, null);
        ae.setScalingFactor(AutoencoderTraining.scalingFactor(ae, gen));
        return ae;
    }

    @Test
    void aDecoderFineTuneKeepsTheLatentsAndTheModelsTrainedOnThem() throws Exception {
        SceneGenerator gen = new SceneGenerator(ScenesTest.garments(10), false, 0);
        List<byte[]> scenes = probes(gen);
        try (Autoencoder ae = trainedTiny(gen, 40)) {
            ae.save(dir.resolve("a"), Map.of("test", true));
        }
        String shaA = ModelStore.sha256(dir.resolve("a").resolve(ModelStore.WEIGHTS));
        try (Autoencoder ae = Autoencoder.load(dir.resolve("a"))) {
            float[] before = latents(ae, scenes);
            double psnrBefore = AutoencoderTraining.psnr(scenes, AutoencoderTraining.roundTrip(ae, scenes));
            AutoencoderTraining.train(ae, AutoencoderTraining.Part.DECODER, 0.5, AutoencoderTraining.KL_WEIGHT, gen, 80, 8, 1e-3, 4, null, 0, false, null);
            assertArrayEquals(before, latents(ae, scenes), "the frozen encoder makes the same latents");
            double psnrAfter = AutoencoderTraining.psnr(scenes, AutoencoderTraining.roundTrip(ae, scenes));
            assertTrue(psnrAfter > psnrBefore + 0.5, psnrBefore + " → " + psnrAfter + " dB");
            ae.setLatentsOf(shaA);
            ae.save(dir.resolve("b"), Map.of("test", true));
        }
        try (Autoencoder b = Autoencoder.load(dir.resolve("b"))) {
            assertEquals(shaA, b.config().latentsOf());
            assertTrue(b.makesLatentsOf(shaA, dir.resolve("b")), "a model trained on a's latents decodes with b");
            assertTrue(b.makesLatentsOf(ModelStore.sha256(dir.resolve("b").resolve(ModelStore.WEIGHTS)), dir.resolve("b")));
            assertTrue(!b.makesLatentsOf("0".repeat(64), dir.resolve("b")));
        }
        try (Autoencoder a = Autoencoder.load(dir.resolve("a"))) {
            assertTrue(a.config().latentsOf() == null && !a.makesLatentsOf("0".repeat(64), dir.resolve("a")));
        }
    }

    @Test
    void aDeeperDecoderStartsAsTheShallowOneAndKeepsTheLatents() throws Exception {
        SceneGenerator gen = new SceneGenerator(ScenesTest.garments(10), false, 0);
        List<byte[]> scenes = probes(gen);
        try (Autoencoder ae = trainedTiny(gen, 30)) {
            float[] z = latents(ae, scenes);
            float[] x = decoded(ae, scenes);
            try (Autoencoder one = ae.withDecoderDepth(1)) {
                assertEquals(1, one.config().decoderDepth());
                assertEquals(ae.config().scalingFactor(), one.config().scalingFactor());
                assertTrue(one.decoderParameters().size() > ae.decoderParameters().size());
                assertArrayEquals(z, latents(one, scenes));
                assertArrayEquals(x, decoded(one, scenes), 1e-6f, "added units start as the identity");
                double before = AutoencoderTraining.psnr(scenes, AutoencoderTraining.roundTrip(one, scenes));
                AutoencoderTraining.train(one, AutoencoderTraining.Part.DECODER, 0, AutoencoderTraining.KL_WEIGHT, gen, 60, 8, 1e-3, 4, null, 0, false, null);
                assertArrayEquals(z, latents(one, scenes), "the frozen encoder makes the same latents");
                double after = AutoencoderTraining.psnr(scenes, AutoencoderTraining.roundTrip(one, scenes));
                assertTrue(after > before + 0.5, before + " → " + after + " dB");
                float[] y = decoded(one, scenes);
                // deepening again keeps the trained units (and adds identities): the same images
                try (Autoencoder two = one.withDecoderDepth(2)) {
                    assertArrayEquals(y, decoded(two, scenes), 1e-6f);
                    two.save(dir.resolve("two"), Map.of("test", true));
                }
                try (Autoencoder loaded = Autoencoder.load(dir.resolve("two"))) {
                    assertEquals(2, loaded.config().decoderDepth());
                    assertArrayEquals(y, decoded(loaded, scenes), 1e-6f);
                }
                assertThrows(IllegalArgumentException.class, () -> one.withDecoderDepth(0), "units are not removed");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> tiny().withDecoderDepth(Autoencoder.Config.MAX_DECODER_DEPTH + 1));
        // a config written before decoder depth existed reads as depth 0
        Path old = dir.resolve("old");
        try (Autoencoder ae = Autoencoder.create(tiny(), 1)) {
            ae.save(old, Map.of("test", true));
        }
        String json = Files.readString(old.resolve(Autoencoder.CONFIG)).replaceAll(",\\s*\"decoderDepth\"\\s*:\\s*0", "");
        assertTrue(!json.contains("decoderDepth"), json);
        Files.writeString(old.resolve(Autoencoder.CONFIG), json);
        try (Autoencoder ae = Autoencoder.load(old)) {
            assertEquals(0, ae.config().decoderDepth());
        }
    }

    @Test
    void theGradientTermIsBlindToOffsetsAndMeasuresEdges() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] ramp = new float[2 * 3 * 4];
            for (int i = 0; i < ramp.length; i++) {
                ramp[i] = 0.5f * (i % 4) + 0.25f * ((i / 4) % 3); // +0.5 per column, +0.25 per row
            }
            var a = m.create(ramp, new ai.djl.ndarray.types.Shape(1, 2, 3, 4));
            assertEquals(0, AutoencoderTraining.gradientDistance(a.add(0.7f), a).getFloat(), 1e-6, "an offset has no edges");
            assertEquals(0.75, AutoencoderTraining.gradientDistance(a, m.zeros(a.getShape())).getFloat(), 1e-6);
        }
    }

    @Test
    void refusesANegativeGradientWeightAndAKlWeightOutsideItsRange() {
        try (Autoencoder ae = Autoencoder.create(tiny(), 1)) {
            assertThrows(IllegalArgumentException.class,
                    () -> AutoencoderTraining.train(ae, AutoencoderTraining.Part.DECODER, -1, AutoencoderTraining.KL_WEIGHT, null, 1, 1, 1e-3, 1, null, 0, false, null));
            for (double beta : new double[] {0, -1e-4, 2, Double.NaN}) {
                assertThrows(IllegalArgumentException.class,
                        () -> AutoencoderTraining.train(ae, AutoencoderTraining.Part.ALL, 0, beta, null, 1, 1, 1e-3, 1, null, 0, false, null));
            }
        }
    }

    @Test
    void refusesMissingAndCorruptModels() throws Exception {
        assertThrows(java.io.IOException.class, () -> Autoencoder.load(dir.resolve("none")));
        Path bad = dir.resolve("bad");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve(Autoencoder.CONFIG), "{\"kind\":\"autoencoder\",\"imageSize\":47}");
        assertThrows(java.io.IOException.class, () -> Autoencoder.load(bad));
        assertThrows(IllegalArgumentException.class, () -> Autoencoder.Config.scenes().withLatentsOf("not a checksum"));
        assertEquals(Scene.SIZE / 4, Autoencoder.Config.scenes().latentSize());
    }
}
