package org.imagineflash.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Float16Test {
    private static int bits(float f) {
        return Float16.encode(f) & 0xffff;
    }

    @Test
    void knownValuesEncodeToTheirIeeeBits() {
        assertEquals(0x3c00, bits(1f));
        assertEquals(0xc000, bits(-2f));
        assertEquals(0x0000, bits(0f));
        assertEquals(0x8000, bits(-0f));
        assertEquals(0x7bff, bits(65504f)); // largest finite half
        assertEquals(0x0400, bits(0x1p-14f)); // smallest normal
        assertEquals(0x0001, bits(0x1p-24f)); // smallest subnormal
        assertEquals(0x3555, bits(1f / 3)); // 0.333251953125, the nearest half
        assertEquals(0x0000, bits(0x1p-25f)); // exactly half the smallest subnormal: ties to even (0)
        assertEquals(0x0001, bits(0x1.8p-25f)); // above half: rounds up
        assertEquals(0x0002, bits(0x1.8p-24f)); // 1.5 subnormal units: ties to even (2)
    }

    @Test
    void roundsToNearestEvenAtTheMantissaBoundary() {
        float ulp = 0x1p-10f; // the half's spacing in [1, 2)
        assertEquals(0x3c00, bits(1f + ulp / 2)); // tie: 1.0 is even
        assertEquals(0x3c02, bits(1f + ulp * 1.5f)); // tie: up to the even neighbour
        assertEquals(0x3c01, bits(1f + ulp * 0.5001f));
        assertEquals(0x4000, bits(2f - ulp / 4)); // carry into the exponent
    }

    @Test
    void decodeInvertsEncodeAndTheRelativeErrorIsAtMostHalfAnUlp() {
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < 100_000; i++) {
            float f = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(8) - 4));
            float back = Float16.decode(Float16.encode(f));
            assertEquals(Float16.encode(f), Float16.encode(back), "a half decodes to itself");
            if (Math.abs(f) >= 0x1p-14f) {
                assertTrue(Math.abs(back - f) <= Math.abs(f) * 0x1p-11f, f + " → " + back);
            } else {
                assertTrue(Math.abs(back - f) <= 0x1p-25f, f + " → " + back);
            }
        }
    }

    @Test
    void valuesOutsideTheHalfRangeAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Float16.encode(70000f));
        assertThrows(IllegalArgumentException.class, () -> Float16.encode(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> Float16.encode(Float.NEGATIVE_INFINITY));
    }
}
