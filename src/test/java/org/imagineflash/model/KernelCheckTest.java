package org.imagineflash.model;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The kernel check in this JVM's test setting (oneDNN limited to SSE4.1); the AVX-512 setting is VectorisedInferenceTest. */
class KernelCheckTest {
    @Test
    void bothKernelsRunAndAgreeOnTheShippedStudent() throws Exception {
        try (DiffusionModel m = ModelStore.load(Path.of("models/if-3step"))) {
            for (int batch : new int[] {1, 8}) {
                double e = KernelCheck.relativeError(m, batch, 5);
                // different summation orders: not bit-identical (so both kernels ran), but within float rounding
                assertTrue(e > 0 && e <= KernelCheck.TOLERANCE, "batch " + batch + ": " + e);
            }
            KernelCheck.require("if-3step", m, 1, 3);
            assertThrows(IllegalArgumentException.class, () -> KernelCheck.relativeError(m, 0, 5));
        }
    }

    @Test
    void sse41IsNotTheVectorisedSetting() {
        assumeFalse("library".equals(System.getProperty("imagineflash.conv")), "runs in the default execution");
        assertFalse(Conv2dBlock.usesVectorisedLibraryKernel());
        assertThrows(IllegalArgumentException.class, () -> Conv2dBlock.withKernel("fast", () -> 1));
    }
}
