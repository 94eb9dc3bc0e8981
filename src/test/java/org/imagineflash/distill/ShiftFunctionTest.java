package org.imagineflash.distill;

import org.imagineflash.model.DataRange;
import org.imagineflash.distill.imagineflash.TeacherTarget;
import org.imagineflash.schedule.NoiseSchedule;
import org.imagineflash.schedule.ScheduleConfig;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShiftFunctionTest {
    @Test
    void identityAffineAndSnrShift() {
        assertEquals(666, ShiftFunction.parse("identity", false).apply(666, 1000, null));
        assertEquals(500, ShiftFunction.parse("affine:0.5,0", false).apply(999, 1000, null));
        ShiftFunction snr = ShiftFunction.parse("snr:0.5", false);
        // u' = s·u/(1 + (s − 1)·u): u = 1/2 → 0.25/0.75 = 1/3; ends fixed
        assertEquals(333, snr.apply(500, 1000, null), 1);
        assertEquals(999, snr.apply(999, 1000, null));
        assertTrue(snr.apply(300, 1000, null) < 300);
    }

    @Test
    void jitterMovesByAtMostOneStep() {
        ShiftFunction j = ShiftFunction.parse("identity", true);
        SplittableRandom r = new SplittableRandom(1);
        boolean moved = false;
        for (int i = 0; i < 50; i++) {
            int t = j.apply(500, 1000, r);
            assertTrue(Math.abs(t - 500) <= 1);
            moved |= t != 500;
        }
        assertTrue(moved);
    }

    @Test
    void badParametersAreClearErrors() {
        assertThrows(IllegalArgumentException.class, () -> ShiftFunction.parse("snr:0", false));
        assertThrows(IllegalArgumentException.class, () -> ShiftFunction.parse("affine:3,0", false));
        assertThrows(IllegalArgumentException.class, () -> ShiftFunction.parse("affine:1", false));
        assertThrows(IllegalArgumentException.class, () -> ShiftFunction.parse("cubic", false));
        assertThrows(IllegalArgumentException.class, () -> ShiftFunction.parse("snr:x", false));
    }

    @Test
    void teacherTargetTimesEndAtTauOverK() {
        TeacherTarget t = new TeacherTarget(new NoiseSchedule(ScheduleConfig.ddpmLinear()), 4, DataRange.PIXELS);
        assertArrayEquals(new double[] {800, 600, 400, 200}, t.times(800), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new TeacherTarget(new NoiseSchedule(ScheduleConfig.ddpmLinear()), 0, DataRange.PIXELS));
    }
}
