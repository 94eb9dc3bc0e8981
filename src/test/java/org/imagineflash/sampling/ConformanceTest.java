package org.imagineflash.sampling;

import org.imagineflash.model.Parameterization;
import org.imagineflash.schedule.BetaSchedule;
import org.imagineflash.schedule.NoiseSchedule;
import org.imagineflash.schedule.ScheduleConfig;
import org.imagineflash.schedule.TimestepSpacing;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** diffusers' scheduler-test protocol and its published reference values. */
class ConformanceTest {
    static final NoiseSchedule LINEAR = new NoiseSchedule(ScheduleConfig.ddpmLinear());
    static final NoiseSchedule SD = new NoiseSchedule(new ScheduleConfig(1000, 0.00085, 0.012, BetaSchedule.SCALED_LINEAR, false));

    static Conformance.Result run(String sampler, NoiseSchedule s, SamplerOptions o, Parameterization p) {
        return Conformance.run(Samplers.create(sampler, s, o), s, p, 0);
    }

    @Test
    void ddimFullLoopMatchesDiffusers() {
        Conformance.Result r = run("ddim", LINEAR, SamplerOptions.defaults(10), Parameterization.EPS);
        assertEquals(172.0067, r.sum(), 1e-2);
        assertEquals(0.223967, r.meanAbs(), 1e-3);
    }

    @Test
    void lcmOneStepMatchesDiffusers() {
        Conformance.Result r = run("lcm", SD, SamplerOptions.defaults(1), Parameterization.EPS);
        assertEquals(18.7097, r.sum(), 1e-2);
        assertEquals(0.0244, r.meanAbs(), 1e-3);
    }

    @Test
    void tcdDeterministicLoopsMatchDiffusers() {
        SamplerOptions one = new SamplerOptions(1, null, 0, 0, true, 1, true, true, true, 50, 0.0, null, false);
        Conformance.Result r1 = run("tcd", SD, one, Parameterization.EPS);
        assertEquals(29.8715, r1.sum(), 1e-2);
        assertEquals(0.0389, r1.meanAbs(), 1e-3);
        SamplerOptions ten = new SamplerOptions(10, null, 0, 0, true, 1, true, true, true, 50, 0.0, null, false);
        Conformance.Result r10 = run("tcd", SD, ten, Parameterization.EPS);
        assertEquals(181.2040, r10.sum(), 1e-2);
        assertEquals(0.2359, r10.meanAbs(), 1e-3);
    }

    @Test
    void dpmSolverPlusPlusMatchesDiffusersForEpsAndV() {
        // diffusers' test config: final_sigmas_type="sigma", lower_order_final=False
        SamplerOptions o = new SamplerOptions(10, null, 0, 0, true, 1, true, false, false, 50, 0.3, null, false);
        assertEquals(0.3301, run("dpmpp-2m", LINEAR, o, Parameterization.EPS).meanAbs(), 1e-3);
        assertEquals(0.2251, run("dpmpp-2m", LINEAR, o, Parameterization.V).meanAbs(), 1e-3);
    }

    @Test
    void ddimWithEtaZeroEqualsDdimAndTrailingEndsAtAlphaBarZero() {
        SamplerOptions o = SamplerOptions.defaults(3).withSpacing(TimestepSpacing.TRAILING).withClipSample(false);
        Ddim d = new Ddim(LINEAR, o);
        assertEquals(999.0, d.timesteps()[0]);
        assertEquals(332.0, d.timesteps()[2]); // diffusers: round(arange(1000, 0, -333.3)) - 1
    }

    @Test
    void samplersAreDeterministicForAFixedSeed() {
        SamplerOptions o = new SamplerOptions(5, null, 0, 0.5, true, 1, true, true, true, 50, 0.3, null, false);
        for (String s : new String[] {"ddpm", "ddim", "lcm", "tcd", "euler", "dpmpp-2m"}) {
            Conformance.Result a = run(s, LINEAR, o, Parameterization.EPS);
            Conformance.Result b = run(s, LINEAR, o, Parameterization.EPS);
            assertEquals(a.sum(), b.sum(), 0.0, s);
        }
    }
}
