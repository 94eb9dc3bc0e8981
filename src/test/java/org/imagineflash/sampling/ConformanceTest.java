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
    static final NoiseSchedule SD_ZERO_SNR = new NoiseSchedule(new ScheduleConfig(1000, 0.00085, 0.012, BetaSchedule.SCALED_LINEAR, true));
    static final NoiseSchedule COSINE = new NoiseSchedule(new ScheduleConfig(1000, 1e-4, 0.02, BetaSchedule.SQUAREDCOS_CAP_V2, false));

    static Conformance.Result run(String sampler, NoiseSchedule s, SamplerOptions o, Parameterization p) {
        return Conformance.run(SamplerFamily.parse(sampler).create(s, o), s, p, 0);
    }

    /** Options as diffusers' scheduler configs name them; the rest at diffusers' defaults. */
    static SamplerOptions opts(int steps, TimestepSpacing spacing, int offset, double eta, boolean clip, boolean setAlphaToOne,
                               boolean lowerOrderFinal, boolean finalSigmaZero, double gamma) {
        return SamplerOptions.builder(steps).spacing(spacing).stepsOffset(offset).eta(eta).clipSample(clip).setAlphaToOne(setAlphaToOne)
                .lowerOrderFinal(lowerOrderFinal).finalSigmaZero(finalSigmaZero).gamma(gamma).build();
    }

    /**
     * Asserts the sum and mean |x| that diffusers' own scheduler code gives for the same protocol (values from
     * tools/diffusers-check/check.py, run with torch 2.11; stochastic samplers draw the Java NoiseSource stream of seed 0
     * there too), to 2e-4 relative.
     */
    static void assertDiffusers(String what, double sum, double meanAbs, Conformance.Result r) {
        assertEquals(sum, r.sum(), 2e-4 * Math.abs(sum) + 1e-4, what + " sum");
        assertEquals(meanAbs, r.meanAbs(), 2e-4 * meanAbs + 1e-6, what + " mean |x|");
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
        SamplerOptions one = SamplerOptions.builder(1).clipSample(true).gamma(0.0).build();
        Conformance.Result r1 = run("tcd", SD, one, Parameterization.EPS);
        assertEquals(29.8715, r1.sum(), 1e-2);
        assertEquals(0.0389, r1.meanAbs(), 1e-3);
        SamplerOptions ten = SamplerOptions.builder(10).clipSample(true).gamma(0.0).build();
        Conformance.Result r10 = run("tcd", SD, ten, Parameterization.EPS);
        assertEquals(181.2040, r10.sum(), 1e-2);
        assertEquals(0.2359, r10.meanAbs(), 1e-3);
    }

    @Test
    void dpmSolverPlusPlusMatchesDiffusersForEpsAndV() {
        // diffusers' test config: final_sigmas_type="sigma", lower_order_final=False
        SamplerOptions o = SamplerOptions.builder(10).clipSample(true).lowerOrderFinal(false).finalSigmaZero(false).build();
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
        SamplerOptions o = SamplerOptions.builder(5).eta(0.5).clipSample(true).build();
        for (String s : new String[] {"ddpm", "ddim", "lcm", "tcd", "euler", "dpmpp-2m"}) {
            Conformance.Result a = run(s, LINEAR, o, Parameterization.EPS);
            Conformance.Result b = run(s, LINEAR, o, Parameterization.EPS);
            assertEquals(a.sum(), b.sum(), 0.0, s);
        }
    }

    @Test
    void stochasticSamplersMatchDiffusersGivenTheSameNoise() {
        SamplerOptions ddpm = opts(10, null, 0, 0, true, true, true, true, 0.3);
        assertDiffusers("ddpm leading", -16.70399, 0.3111861, run("ddpm", LINEAR, ddpm, Parameterization.EPS));
        // DDPMScheduler.previous_timestep takes the next listed timestep: with linspace spacing that is not t - T/N
        assertDiffusers("ddpm linspace", -18.02340, 0.3068150,
                run("ddpm", LINEAR, ddpm.withSpacing(TimestepSpacing.LINSPACE), Parameterization.EPS));
        assertDiffusers("ddim eta 0.5", 74.56982, 0.3101398,
                run("ddim", LINEAR, opts(10, null, 0, 0.5, true, true, true, true, 0.3), Parameterization.EPS));
        SamplerOptions four = opts(4, null, 0, 0, false, true, true, true, 0.3);
        assertDiffusers("lcm 4 steps", -7.405512, 0.2510899, run("lcm", SD, four, Parameterization.EPS));
        assertDiffusers("tcd 4 steps gamma 0.3", 33.55502, 0.3056633, run("tcd", SD, four, Parameterization.EPS));
    }

    @Test
    void deterministicSamplersMatchDiffusers() {
        // Stable Diffusion's DDIM config (steps_offset 1, set_alpha_to_one False, no clipping) with v prediction
        assertDiffusers("ddim sd v", 69.59650, 0.09062044,
                run("ddim", SD, opts(10, TimestepSpacing.LEADING, 1, 0, false, false, true, true, 0.3), Parameterization.V));
        assertDiffusers("euler linspace", 169.46085, 0.2206521,
                run("euler", LINEAR, opts(10, null, 0, 0, true, true, true, true, 0.3), Parameterization.EPS));
        SamplerOptions trailing = opts(10, TimestepSpacing.TRAILING, 0, 0, true, true, true, true, 0.3);
        assertDiffusers("euler trailing v", 61.38188, 0.07992432, run("euler", SD, trailing, Parameterization.V));
        assertDiffusers("dpm++ trailing v", 76.96142, 0.1002102, run("dpmpp-2m", SD, trailing, Parameterization.V));
        // squaredcos_cap_v2 has alpha_bar_999 = 2.4e-9: diffusers keeps it (sigma 20291), it is no zero-SNR schedule
        assertDiffusers("dpm++ cosine", 769.8515, 1.0024107,
                run("dpmpp-2m", COSINE, opts(10, null, 0, 0, true, true, true, true, 0.3), Parameterization.EPS));
    }

    @Test
    void zeroTerminalSnrMatchesDiffusers() {
        // Euler and DPM-Solver++ put alpha_bar_{T-1} = 2^-24 and read an eps prediction at T-1 with that sigma
        assertDiffusers("euler zero snr eps", 222.99244, 0.2903547,
                run("euler", SD_ZERO_SNR, opts(10, null, 0, 0, true, true, true, true, 0.3), Parameterization.EPS));
        assertDiffusers("dpm++ zero snr eps", 219.12196, 0.2853151,
                run("dpmpp-2m", SD_ZERO_SNR, opts(10, TimestepSpacing.TRAILING, 0, 0, true, true, true, true, 0.3),
                        Parameterization.EPS));
    }
}
