package org.imagineflash.model;

import org.imagineflash.kernel.Conv2dBlock;
import org.imagineflash.kernel.ConvKernel;
import org.imagineflash.Generator;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs in its own JVM with {@code ONEDNN_MAX_CPU_ISA=AVX512_CORE} (the entry script's setting on such CPUs; see
 * pom.xml), where every convolution runs on the kernel {@link KernelCheck} chose for its shape: the shipped student's
 * images must equal the im2col kernel's to within one grey level at the batch sizes the server makes. (On the project's
 * VM the unchecked library kernel is right for this architecture too: docs/known-problems.md.)
 */
class VectorisedInferenceTest {
    @Test
    void checkedKernelsGiveTheIm2colImages() throws Exception {
        // only in the execution that sets it up (pom.xml), not when picked by -Dtest in the default one
        assumeTrue(Conv2dBlock.isChecked(), "runs in the vectorised execution");
        try (Generator g = Generator.load(Path.of("models/if-3step"))) {
            Generator.Options o = g.defaults();
            int worst = 0;
            for (int batch : new int[] {1, 7, 24}) {
                int[] labels = new int[batch];
                for (int i = 0; i < batch; i++) {
                    labels[i] = i % 10;
                }
                byte[] fast = g.generate(labels, 100L * batch, o).pixels();
                byte[] ref = Conv2dBlock.withKernel(ConvKernel.GEMM, () -> g.generate(labels, 100L * batch, o)).pixels();
                for (int i = 0; i < ref.length; i++) {
                    worst = Math.max(worst, Math.abs((fast[i] & 255) - (ref[i] & 255)));
                }
            }
            assertTrue(worst <= 1, "largest pixel difference " + worst + " grey levels");
        }
    }
}
