package org.imagineflash.random;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class SeedsTest {
    /** Regression: streams of seed and seed + 1 must not be the same sequence shifted by a few draws. */
    @Test
    void streamsOfNeighbouringSeedsAreUnrelated() {
        float[][] g = new float[4][];
        for (int s = 0; s < 4; s++) {
            g[s] = Seeds.gaussian(Seeds.stream(s, 0, 11), 4096);
        }
        for (int s = 1; s < 4; s++) {
            for (int shift = 0; shift < 8; shift++) {
                double c = 0;
                for (int k = 0; k + shift < 4096; k++) {
                    c += g[0][k + shift] * g[s][k];
                }
                assertTrue(Math.abs(c / 4096) < 0.1, "seed 0 vs " + s + " shifted by " + shift + ": correlation " + c / 4096);
            }
        }
    }
}
