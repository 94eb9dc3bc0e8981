package org.imagineflash.schedule;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NoiseScheduleTest {
    @Test
    void linearBetasAreTheClosedForm() {
        float[] b = BetaSchedule.LINEAR.betas(1000, 1e-4, 0.02);
        assertEquals(1e-4, b[0], 1e-9);
        assertEquals(0.02, b[999], 1e-9);
        assertEquals(1e-4 + 500 * (0.02 - 1e-4) / 999, b[500], 1e-7);
    }

    @Test
    void scaledLinearIsSquaredLinspaceOfRoots() {
        float[] b = BetaSchedule.SCALED_LINEAR.betas(1000, 0.00085, 0.012);
        double r = Math.sqrt(0.00085) + 300 * (Math.sqrt(0.012) - Math.sqrt(0.00085)) / 999;
        assertEquals(r * r, b[300], 1e-7);
    }

    @Test
    void cosineScheduleFollowsTheAlphaBarFunction() {
        NoiseSchedule s = new NoiseSchedule(new ScheduleConfig(1000, 1e-4, 0.02, BetaSchedule.SQUAREDCOS_CAP_V2, false));
        double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        double ft = Math.pow(Math.cos((0.5 + 0.008) / 1.008 * Math.PI / 2), 2);
        assertEquals(ft / f0, s.alphaBar(499), 2e-4);
        assertEquals(0.999, s.beta(999), 1e-6);
    }

    @Test
    void zeroTerminalSnrRescaleKeepsTheStartAndZeroesTheEnd() {
        ScheduleConfig plain = new ScheduleConfig(1000, 0.00085, 0.012, BetaSchedule.SCALED_LINEAR, false);
        ScheduleConfig zero = new ScheduleConfig(1000, 0.00085, 0.012, BetaSchedule.SCALED_LINEAR, true);
        NoiseSchedule a = new NoiseSchedule(plain);
        NoiseSchedule b = new NoiseSchedule(zero);
        assertEquals(a.alphaBar(0), b.alphaBar(0), 1e-6);
        assertEquals(0.0, b.alphaBar(999), 1e-12);
        assertEquals(Double.NEGATIVE_INFINITY, b.logSnr(999));
        assertEquals(0.0331714, b.alphaBar(749), 1e-6);
    }

    @Test
    void accessorsAreConsistent() {
        NoiseSchedule s = new NoiseSchedule(ScheduleConfig.ddpmLinear());
        for (int t : new int[] {0, 10, 500, 999}) {
            assertEquals(1.0, s.alpha(t) * s.alpha(t) + s.sigma(t) * s.sigma(t), 1e-12);
            assertEquals(Math.log(s.alphaBar(t) / (1 - s.alphaBar(t))), s.logSnr(t), 1e-9);
        }
    }

    @Test
    void spacingsMatchDiffusers() {
        assertArrayEquals(new int[] {900, 800, 700, 600, 500, 400, 300, 200, 100, 0}, TimestepSpacing.LEADING.timesteps(1000, 10, 0));
        assertArrayEquals(new int[] {901, 801, 701, 601, 501, 401, 301, 201, 101, 1}, TimestepSpacing.LEADING.timesteps(1000, 10, 1));
        assertArrayEquals(new int[] {999, 749, 499, 249}, TimestepSpacing.TRAILING.timesteps(1000, 4, 0));
        assertArrayEquals(new int[] {999, 666, 332}, TimestepSpacing.TRAILING.timesteps(1000, 3, 0));
        assertArrayEquals(new int[] {999, 499}, TimestepSpacing.TRAILING.timesteps(1000, 2, 0));
        assertArrayEquals(new int[] {999, 666, 333, 0}, TimestepSpacing.LINSPACE.timesteps(1000, 4, 0));
    }

    @Test
    void invalidConfigsAreRejectedWithTheFieldName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ScheduleConfig(1000, 0.02, 1e-4, BetaSchedule.LINEAR, false));
        assertEquals(true, e.getMessage().contains("betaEnd"));
        assertThrows(IllegalArgumentException.class, () -> TimestepSpacing.LEADING.timesteps(1000, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> BetaSchedule.parse("cubic"));
    }
}
