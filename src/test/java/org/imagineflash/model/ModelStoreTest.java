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
            return m.forward(x, sub.create(new float[] {500f}), sub.create(new int[] {1}), false).toFloatArray();
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
                () -> new UNetConfig(28, 1, 32, new int[] {1, 2, 2, 2}, 1, new int[] {7}, 10, 8, 4));
        assertTrue(e.getMessage().contains("cannot be halved"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new UNetConfig(28, 1, 30, new int[] {1}, 1, new int[] {}, 10, 8, 4));
        NDManager.newBaseManager().close();
        assertEquals(new Shape(1), new Shape(1));
    }
}
