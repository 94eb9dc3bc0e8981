package org.imagineflash.model;

import org.imagineflash.Generator;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs in its own JVM with {@code ONEDNN_MAX_CPU_ISA=AVX512_CORE} (the entry script's setting on such CPUs; see pom.xml):
 * oneDNN's vectorised convolution, unchecked, must give the shipped student the im2col kernel's output, and the same
 * images to within one grey level, at the batch sizes the server makes (1 to 32): the shipped architecture has none of
 * the shapes where it was found wrong.
 */
class VectorisedInferenceTest {
    @Test
    void vectorisedKernelsGiveTheSameNetworkOutputAndImages() throws Exception {
        // only in the execution that sets it up (pom.xml), not when picked by -Dtest in the default one
        assumeTrue(Conv2dBlock.isChecked(), "runs in the vectorised execution");
        try (Generator g = Generator.load(Path.of("models/if-3step"));
             DiffusionModel m = ModelStore.load(Path.of("models/if-3step"))) {
            for (int batch : new int[] {1, 2, 5, 16, 32}) {
                double e = KernelCheck.relativeError(m, batch, 11L * batch);
                assertTrue(e <= KernelCheck.TOLERANCE, "batch " + batch + ": relative error " + e);
            }
            Generator.Options o = g.defaults();
            int worst = 0;
            for (int batch : new int[] {1, 7, 24}) {
                int[] labels = new int[batch];
                for (int i = 0; i < batch; i++) {
                    labels[i] = i % 10;
                }
                byte[] fast = Conv2dBlock.withKernel("library", () -> g.generate(labels, 100L * batch, o)).pixels();
                byte[] ref = Conv2dBlock.withKernel("gemm", () -> g.generate(labels, 100L * batch, o)).pixels();
                for (int i = 0; i < ref.length; i++) {
                    worst = Math.max(worst, Math.abs((fast[i] & 255) - (ref[i] & 255)));
                }
            }
            assertTrue(worst <= 1, "largest pixel difference " + worst + " grey levels");
        }
    }
}
