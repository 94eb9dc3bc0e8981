package org.imagineflash.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PrecisionRecallTest {
    static float[][] line(double... xs) {
        float[][] p = new float[xs.length][];
        for (int i = 0; i < xs.length; i++) {
            p[i] = new float[] {(float) xs[i], 0f};
        }
        return p;
    }

    @Test
    void closedFormOnALine() {
        // real 0..4 with k = 1: every real ball has radius 1, so of the generated points only 0.5 is inside (precision
        // 1/5). The generated balls have radii 9.5, 9.5, 10, 10, 10; the one around 0.5 covers all real points (recall 1)
        PrecisionRecall.Result r = PrecisionRecall.compute(line(0, 1, 2, 3, 4), line(0.5, 10, 20, 30, 40), 1);
        assertEquals(0.2, r.precision(), 1e-12);
        assertEquals(1.0, r.recall(), 1e-12);
        // swapping the sets swaps the figures
        PrecisionRecall.Result s = PrecisionRecall.compute(line(0.5, 10, 20, 30, 40), line(0, 1, 2, 3, 4), 1);
        assertEquals(1.0, s.precision(), 1e-12);
        assertEquals(0.2, s.recall(), 1e-12);
    }

    @Test
    void identicalSetsAreFullyCoveredAndDisjointOnesNotAtAll() {
        PrecisionRecall.Result same = PrecisionRecall.compute(line(0, 1, 2, 3), line(0, 1, 2, 3), 2);
        assertEquals(1.0, same.precision(), 1e-12);
        assertEquals(1.0, same.recall(), 1e-12);
        PrecisionRecall.Result apart = PrecisionRecall.compute(line(0, 1, 2, 3), line(100, 101, 102, 103), 2);
        assertEquals(0.0, apart.precision(), 1e-12);
        assertEquals(0.0, apart.recall(), 1e-12);
    }

    @Test
    void tooFewPointsForKIsAClearError() {
        assertThrows(IllegalArgumentException.class, () -> PrecisionRecall.compute(line(0, 1, 2), line(0, 1, 2), 3));
    }
}
