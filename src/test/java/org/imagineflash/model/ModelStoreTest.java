package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelStoreTest {
    @TempDir
    Path dir;

    static float[] output(DiffusionModel m) {
        try (NDManager sub = m.manager().newSubManager()) {
            NDArray x = sub.arange(64f).div(64f).reshape(1, 1, 8, 8);
            return m.forward(x, sub.create(new float[] {500f}), m.classLabels(sub, new int[] {1}), false).toFloatArray();
        }
    }

    @Test
    void saveAndLoadGiveBitIdenticalOutputs() throws IOException {
        Path d = dir.resolve("m");
        try (DiffusionModel m = DiffusionModel.create(TinyModels.teacher(), 3)) {
            float[] before = output(m);
            ModelStore.save(m, d, Provenance.of("test", 3, "none", 0, 0, Map.of()));
            try (DiffusionModel loaded = ModelStore.load(d)) {
                assertArrayEquals(before, output(loaded));
                assertEquals(m.config(), loaded.config());
            }
        }
        assertEquals("test", ModelStore.readProvenance(d).command());
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary directories left behind");
        }
    }

    @Test
    void float16WeightsHalveTheFileAndLoadAsTheRoundedWeights() throws IOException {
        Path d = dir.resolve("m");
        float[] before;
        try (DiffusionModel m = DiffusionModel.create(TinyModels.teacher(), 3)) {
            before = output(m);
            ModelStore.save(m, d, Provenance.of("train", 3, "none", 10, 1.5, Map.of("loss", 0.25)));
        }
        Files.writeString(d.resolve("student.onnx"), "a graph of the float32 weights");
        Files.writeString(d.resolve("notes.txt"), "kept");
        long f32 = Files.size(d.resolve(ModelStore.WEIGHTS));
        long f16 = ModelStore.convertWeights(d, WeightPrecision.FLOAT16, "imagine-flash convert --model m --precision float16");
        assertTrue(f16 < f32 * 0.51, f16 + " vs " + f32 + " bytes");
        assertFalse(Files.exists(d.resolve("student.onnx")), "a deployed graph of the old weights is removed");
        assertEquals("kept", Files.readString(d.resolve("notes.txt")));
        Provenance p = ModelStore.readProvenance(d);
        assertEquals("train", p.command());
        assertEquals(10, p.steps());
        assertEquals("float16", p.extra().get("weightPrecision"));
        assertEquals(0.25, p.extra().get("loss"));
        try (DiffusionModel loaded = ModelStore.load(d)) { // the checksum in the provenance matches the new file
            for (ai.djl.nn.Parameter q : loaded.parameters()) {
                for (float v : q.getArray().toFloatArray()) {
                    assertEquals(v, Float16.decode(Float16.encode(v)), "every weight is a half");
                }
            }
            float[] after = output(loaded);
            double maxDiff = 0;
            double scale = 0;
            for (int i = 0; i < before.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(after[i] - before[i]));
                scale = Math.max(scale, Math.abs(before[i]));
            }
            assertTrue(maxDiff > 0, "rounding changed the weights");
            assertTrue(maxDiff < 1e-2 * scale, "output changes by the weights' rounding only: " + maxDiff + " of " + scale);
        }
        ModelStore.convertWeights(d, WeightPrecision.FLOAT32, "back");
        assertTrue(Files.size(d.resolve(ModelStore.WEIGHTS)) > f16 * 1.9);
        try (DiffusionModel loaded = ModelStore.load(d)) {
            assertEquals("float32", ModelStore.readProvenance(d).extra().get("weightPrecision"));
            output(loaded);
        }
    }

    @Test
    void aTruncatedFloat16FileIsAClearError() throws IOException {
        Path d = dir.resolve("m");
        try (DiffusionModel m = DiffusionModel.create(TinyModels.teacher(), 3)) {
            ModelStore.save(m, d, Provenance.of("train", 3, "none", 10, 1.5, Map.of()));
        }
        ModelStore.convertWeights(d, WeightPrecision.FLOAT16, "convert");
        Path w = d.resolve(ModelStore.WEIGHTS);
        byte[] b = Files.readAllBytes(w);
        Files.write(w, java.util.Arrays.copyOf(b, b.length - 10));
        IOException e = assertThrows(IOException.class, () -> ModelStore.load(d));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void sameSeedSameWeights() {
        try (DiffusionModel a = DiffusionModel.create(TinyModels.teacher(), 5); DiffusionModel b = DiffusionModel.create(TinyModels.teacher(), 5)) {
            assertArrayEquals(output(a), output(b));
        }
    }

    @Test
    void configWeightsMismatchIsAClearError() throws IOException {
        Path d = dir.resolve("m");
        try (DiffusionModel m = DiffusionModel.create(TinyModels.teacher(), 3)) {
            ModelStore.save(m, d, Provenance.of("test", 3, "none", 0, 0, Map.of()));
        }
        String cfg = Files.readString(d.resolve(ModelStore.CONFIG)).replace("\"baseChannels\" : 8", "\"baseChannels\" : 16");
        Files.writeString(d.resolve(ModelStore.CONFIG), cfg);
        IOException e = assertThrows(IOException.class, () -> ModelStore.load(d));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void missingAndCorruptFilesAreClearErrors() throws IOException {
        assertTrue(assertThrows(IOException.class, () -> ModelStore.load(dir.resolve("nope"))).getMessage().contains("not found"));
        Path d = dir.resolve("m");
        try (DiffusionModel m = DiffusionModel.create(TinyModels.teacher(), 3)) {
            ModelStore.save(m, d, Provenance.of("test", 3, "none", 0, 0, Map.of()));
        }
        byte[] w = Files.readAllBytes(d.resolve(ModelStore.WEIGHTS));
        Files.write(d.resolve(ModelStore.WEIGHTS), java.util.Arrays.copyOf(w, w.length / 2));
        assertTrue(assertThrows(IOException.class, () -> ModelStore.load(d)).getMessage().contains("corrupt weights"));
        Files.writeString(d.resolve(ModelStore.CONFIG), "{\"kind\": \"teacher\"}");
        assertTrue(assertThrows(IOException.class, () -> ModelStore.load(d)).getMessage().contains("invalid model config"));
    }

    @Test
    void invalidArchitectureNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UNetConfig.builder(28, 10).baseChannels(32).channelMults(1, 2, 2, 2)
                        .numResBlocks(1).attentionResolutions(7).groups(8).heads(4).build());
        assertTrue(e.getMessage().contains("cannot be halved"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> UNetConfig.builder(28, 10).baseChannels(30).channelMults(1)
                .numResBlocks(1).attentionResolutions().groups(8).heads(4).build());
        NDManager.newBaseManager().close();
        assertEquals(new Shape(1), new Shape(1));
    }

    /** Stands for a kill: an Error, so the save's clean-up for ordinary exceptions does not run. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String step) {
            super("crash at " + step);
        }
    }

    static void saveSeeded(Path d, int seed) throws IOException {
        try (DiffusionModel m = DiffusionModel.create(TinyModels.teacher(), seed)) {
            ModelStore.save(m, d, Provenance.of("seed " + seed, seed, "none", 0, 0, Map.of()));
        }
    }

    static float[] outputOf(Path d) throws IOException {
        try (DiffusionModel m = ModelStore.load(d)) {
            return output(m);
        }
    }

    static float[] outputOfSeed(int seed) {
        try (DiffusionModel m = DiffusionModel.create(TinyModels.teacher(), seed)) {
            return output(m);
        }
    }

    @Test
    void aCrashAtAnyStepOfASaveLeavesTheNewOrThePreviousModelLoadable() throws IOException {
        float[] previous = outputOfSeed(1);
        float[] next = outputOfSeed(2);
        // before the crash fix, a kill between the two renames left no model directory at all ("moved-aside")
        for (String step : new String[] {"written", "ready", "moved-aside", "swapped"}) {
            Path parent = Files.createDirectories(dir.resolve(step));
            Path d = parent.resolve("m");
            saveSeeded(d, 1);
            ModelStore.swapHook(s -> {
                if (s.equals(step)) {
                    throw new SimulatedCrash(s);
                }
            });
            try {
                assertThrows(SimulatedCrash.class, () -> saveSeeded(d, 2));
            } finally {
                ModelStore.swapHook(null);
            }
            float[] loaded = outputOf(d);
            // "written" stops before the new version is complete; from "ready" on, the complete new version wins
            assertArrayEquals(step.equals("written") ? previous : next, loaded, step);
            saveSeeded(d, 3);
            assertArrayEquals(outputOfSeed(3), outputOf(d), step);
            try (var s = Files.list(parent)) {
                assertEquals(java.util.List.of("m"), s.map(p -> p.getFileName().toString()).toList(), "stale temporaries after " + step);
            }
        }
    }

    @Test
    void aCheckpointInterruptedMidSwapIsStillFoundForResume() throws IOException {
        Path d = dir.resolve("ck");
        saveSeeded(d, 1);
        Files.writeString(d.resolve(org.imagineflash.train.Checkpoint.STATE), "{}");
        ModelStore.swapHook(s -> {
            if (s.equals("moved-aside")) {
                throw new SimulatedCrash(s);
            }
        });
        try {
            assertThrows(SimulatedCrash.class, () -> ModelStore.writeDirAtomically(d, tmp -> {
                Files.writeString(tmp.resolve("x"), "new");
                Files.writeString(tmp.resolve(org.imagineflash.train.Checkpoint.STATE), "{}");
            }));
        } finally {
            ModelStore.swapHook(null);
        }
        assertFalse(Files.exists(d), "the crash window: the directory is away");
        assertTrue(org.imagineflash.train.Checkpoint.exists(d), "recovered for --resume");
        assertEquals("new", Files.readString(d.resolve("x")));
    }

    @Test
    void aSaveInterruptedByTheOldLayoutIsRecoveredFromItsOldFolder() throws IOException {
        Path d = dir.resolve("m");
        saveSeeded(d, 1);
        Files.move(d, dir.resolve(".m.old123456"));
        // the earlier layout named the set-aside folder .NAME.old<nanos>; a save recovers it, then replaces it
        assertArrayEquals(outputOfSeed(1), outputOf(d), "recovered at load");
        saveSeeded(d, 2);
        assertArrayEquals(outputOfSeed(2), outputOf(d));
        try (var s = Files.list(dir)) {
            assertEquals(java.util.List.of("m"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void nonFiniteWeightsAndChangedWeightsAreRefusedAtLoad() throws IOException {
        Path d = dir.resolve("m");
        saveSeeded(d, 1);
        byte[] w = Files.readAllBytes(d.resolve(ModelStore.WEIGHTS));
        // the last 4 bytes are the last float of the last parameter
        byte[] changed = w.clone();
        changed[w.length - 2] ^= 0x01;
        Files.write(d.resolve(ModelStore.WEIGHTS), changed);
        IOException e = assertThrows(IOException.class, () -> ModelStore.load(d));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        // a NaN where the provenance has no checksum (files written before checksums) is still refused
        byte[] nan = w.clone();
        java.nio.ByteBuffer.wrap(nan).putFloat(w.length - 4, Float.NaN);
        Files.write(d.resolve(ModelStore.WEIGHTS), nan);
        Files.delete(d.resolve(ModelStore.PROVENANCE));
        e = assertThrows(IOException.class, () -> ModelStore.load(d));
        assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
    }

    @Test
    void hiddenFoldersAreNotModels() throws IOException {
        saveSeeded(dir.resolve("a"), 1);
        saveSeeded(dir.resolve(".a.tmp999"), 1);
        assertEquals(java.util.List.of(dir.resolve("a")), ModelStore.list(dir));
    }
}
