package org.imagineflash.distill.baseline;

import org.imagineflash.model.DataRange;
import org.imagineflash.distill.Adversarial;
import org.imagineflash.distill.AdversarialTerm;
import org.imagineflash.distill.DistillOptions;
import org.imagineflash.distill.DistillationLoop;
import org.imagineflash.distill.MixtureProblem;
import org.imagineflash.distill.MixtureTeacherTest;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.sampling.FewStepStudent;
import org.imagineflash.sampling.SamplerFamily;
import org.imagineflash.sampling.SamplerOptions;
import org.imagineflash.schedule.TimestepSpacing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The baselines on the mixture problem of {@link ImagineFlashDistillationTest}: each student must be closer to the
 * data (sliced Wasserstein) than the teacher sampled with DDIM at the same number of steps, by at least 10 %. The bar
 * is the better of DDIM's two configurations (x̂_0 clipped between steps, as diffusers' default, or not, as ours), so
 * neither can flatter a student. Deterministic for one CPU (fixed seeds, one thread); the figures in the comments
 * were the same under ONEDNN_MAX_CPU_ISA = SSE41, AVX2 and AVX512_CORE (Intel Xeon, AVX-512), and the step test's
 * under MKL_ENABLE_INSTRUCTIONS = AVX2 and SSE4_2 too; margins are at least 10 %, wide against the 2 % that
 * separated an AMD and an Intel run of the pixel-critic ADD test this replaced.
 */
class BaselineDistillationTest extends MixtureTeacherTest {
    static final double MARGIN = 0.9;

    static DistillOptions options(int[] timesteps, String prediction, long iterations, double lr) {
        return DistillOptions.builder(timesteps).studentPrediction(prediction).cfg(1.0).iterations(iterations).batchSize(128).lr(lr)
                .emaDecay(0.9).build();
    }

    static int[] trailing(int n) {
        return TimestepSpacing.TRAILING.timesteps(1000, n, 0);
    }

    /** The better of the teacher's clipped and unclipped DDIM (trailing) at {@code steps}. */
    static double ddimBar(int steps) {
        double unclipped = MixtureProblem.distance(teacher, SamplerFamily.DDIM.create(teacher.schedule(),
                SamplerOptions.defaults(steps).withSpacing(TimestepSpacing.TRAILING)), 1.0, reference);
        return Math.min(unclipped, MixtureProblem.ddimClipped(teacher, steps, reference));
    }

    @Test
    void stepDistilledFourStepStudentBeatsFourStepDdim() throws Exception {
        // one halving stage 8 → 4 with the whole budget, ε student (the teacher's own parameterization, so the student
        // starts as the teacher); measured 0.1099 vs DDIM-4 0.1304 (unclipped; clipped 0.1788). With the budget split
        // over 16 → 8 → 4 it needs twice the iterations (0.1176 at 2400). Like the bar, the student is scored with the
        // better of its clipped and unclipped steps: on this mixture, whose points sit near ±1, clipping hurts both
        // (student 0.1478 clipped); on Fashion-MNIST it helps both (the shipped student samples clipped)
        double bar = ddimBar(4);
        try (DiffusionModel s = new StepDistillation(teacher, options(trailing(4), "same", 1200, 3e-4), MixtureProblem.training(6000, 1), 8, null)
                .run(null, false, null).ema()) {
            double student = fourStepStudent(s);
            System.out.printf("step distillation 8→4: student %.4f vs teacher DDIM-4 %.4f%n", student, bar);
            assertTrue(student < MARGIN * bar, "student " + student + " vs DDIM-4 " + bar);
        }
    }

    /** The better of a 4-step student's clipped and unclipped sampling (trailing timesteps), as {@link #ddimBar} for the teacher. */
    static double fourStepStudent(DiffusionModel s) {
        double clipped = MixtureProblem.distance(s, new FewStepStudent(s.schedule(), trailing(4), false, true, DataRange.PIXELS), 1.0, reference);
        double unclipped = MixtureProblem.distance(s, new FewStepStudent(s.schedule(), trailing(4), false, false, DataRange.PIXELS), 1.0, reference);
        return Math.min(clipped, unclipped);
    }

    @Test
    void adversariallyDistilledFourStepStudentImprovesWithBudgetAndBeatsFourStepDdim(@TempDir Path dir) throws Exception {
        // the paper's ADD: critic heads on the frozen teacher's features (the MLP's two hidden layers at t_D ≤ 500),
        // hinge loss + R1, λ_adv = 1, distance on x̂_0 weighted c(t) = ᾱ_t, a uniform teacher time; ε student from the
        // teacher. The critic learns at 1e-3: at 2e-4 it lags the student (0.1475 at 2400 iterations).
        // Measured (the better of clipped / unclipped, 1200 → 4800 iterations): 0.1549 → 0.0811 vs DDIM-4 0.1304, the
        // same under SSE41, AVX2 and AVX512_CORE (AMD EPYC with AVX-512). The distillation term alone pulls the samples
        // toward the class mean (0.29 at 2400): the critic carries the method here, and a pixel critic trained from
        // scratch does not (0.18–0.26)
        double bar = ddimBar(4);
        AdversarialDiffusionDistillation.Options add = AdversarialDiffusionDistillation.Options.paper();
        long[] budgets = {1200, 4800};
        double[] atBudget = new double[budgets.length];
        for (int i = 0; i < budgets.length; i++) {
            DistillOptions o = options(trailing(4), "same", budgets[i], 1e-3).toBuilder().checkpointEvery(budgets[0]).build();
            try (DiffusionModel s = new AdversarialDiffusionDistillation(teacher, o, add, MixtureProblem.training(6000, 1), null)
                    .run(dir, i > 0, null).ema()) {
                atBudget[i] = fourStepStudent(s);
            }
        }
        System.out.printf("ADD at 4 steps: %.4f at 1200 iterations, %.4f at 4800 (resumed) vs teacher DDIM-4 %.4f%n", atBudget[0], atBudget[1], bar);
        assertTrue(atBudget[1] < atBudget[0], "4800 iterations " + atBudget[1] + " vs 1200 " + atBudget[0]);
        assertTrue(atBudget[1] < MARGIN * bar, "student " + atBudget[1] + " vs DDIM-4 " + bar);
    }

    @Test
    void consistencyDistilledStudentImprovesWithBudgetAndBeatsDdimAtTwoSteps(@TempDir Path dir) throws Exception {
        // pseudo-Huber distance, EMA target 0.95, k = 20, one skipping-grid timestep per example; v student: an ε
        // student's x̂_0 = (x_T − σ ε̂)/α at t = 999 diverges at 2 steps (measured 2.39 at 1500 iterations). Measured
        // at 2 steps: 0.1573 at 1000 iterations, 0.1253 at 4000, vs DDIM-2 0.2120 (clipped; unclipped diverges, 5.3).
        // With one timestep shared by the batch it was 0.1905 and 0.1561
        double bar = ddimBar(2);
        int[] lcm4 = org.imagineflash.sampling.LcmMultistep.skippingTimesteps(1000, LatentConsistencyDistillation.ORIGINAL_STEPS, 4);
        double[] atBudget = new double[2];
        long[] budgets = {1000, 4000};
        for (int i = 0; i < budgets.length; i++) {
            try (DiffusionModel s = new LatentConsistencyDistillation(teacher, options(lcm4, "v", budgets[i], 3e-4),
                    LatentConsistencyDistillation.Options.script(), MixtureProblem.training(6000, 1), null).run(dir, i > 0, null).ema()) {
                atBudget[i] = MixtureProblem.distance(s, SamplerFamily.LCM.create(s.schedule(), SamplerOptions.defaults(2)), 1.0, reference);
            }
        }
        System.out.printf("LCM at 2 steps: %.4f at 1000 iterations, %.4f at 4000 (resumed) vs teacher DDIM-2 %.4f%n", atBudget[0], atBudget[1], bar);
        assertTrue(atBudget[1] < atBudget[0], "4000 iterations " + atBudget[1] + " vs 1000 " + atBudget[0]);
        assertTrue(atBudget[1] < MARGIN * bar, "student " + atBudget[1] + " vs DDIM-2 " + bar);
    }

    /** Mean squared difference between the samples of two (model, guidance) pairs from the same noise (DDIM-4, x̂_0 clipped: unclipped, an ε network diverges here at t = 999). */
    static double sampleGap(DiffusionModel a, double cfgA, DiffusionModel b, double cfgB) {
        int n = 300;
        try (ai.djl.ndarray.NDManager sub = a.manager().newSubManager()) {
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = i % MixtureProblem.CLASSES;
            }
            ai.djl.ndarray.NDArray xT = org.imagineflash.sampling.NoiseSource.perImage(sub, 77, n, new ai.djl.ndarray.types.Shape(1, 4, 4));
            org.imagineflash.model.Condition lab = a.classLabels(sub, labels);
            FewStepStudent ddim = new FewStepStudent(a.schedule(), trailing(4), false, true, DataRange.PIXELS);
            ai.djl.ndarray.NDArray xa = ddim.sample(a.denoiser(lab, cfgA), xT, null);
            ai.djl.ndarray.NDArray xb = ddim.sample(b.denoiser(lab, cfgB), xT, null);
            return xa.sub(xb).square().mean().getFloat();
        }
    }

    @Test
    void guidanceDistilledStudentReproducesTheGuidedTeacher() throws Exception {
        // Meng et al.'s stage one: with one evaluation and no guidance the student samples what the teacher samples
        // with guidance 3 (two evaluations); measured gap 0.0397 vs 0.1909 between the teacher without and with guidance
        double w = 3;
        DistillOptions o = options(trailing(4), "same", 800, 3e-4).toBuilder().cfg(w).build();
        try (DiffusionModel s = new GuidanceDistillation(teacher, o, MixtureProblem.training(6000, 1)).run(null, false, null).ema()) {
            double student = sampleGap(s, 1, teacher, w);
            double unguided = sampleGap(teacher, 1, teacher, w);
            System.out.printf("guidance distillation: gap to the guided teacher %.4f (the unguided teacher's %.4f)%n", student, unguided);
            assertTrue(student < 0.5 * unguided, "student gap " + student + " vs unguided teacher " + unguided);
        }
    }

    @Test
    void teacherFeatureCriticLearnsToTellRealFromGenerated() {
        // frozen teacher features + trainable heads: hinge loss 2 at chance; "generated" = real points with their sign
        // flipped (the other modes of the same class), so only the class-conditional structure tells them apart
        teacher.network().freezeParameters(true);
        try (ai.djl.ndarray.NDManager m = teacher.manager().newSubManager()) {
            AdversarialTerm critic = new AdversarialTerm(teacher, m, 3, 2e-4, AdversarialTerm.Critic.TEACHER_FEATURES, AdversarialTerm.Setup.ADD);
            org.imagineflash.train.TrainingData d = MixtureProblem.training(6000, 5);
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            double first = 0;
            double last = 0;
            for (int step = 0; step < 300; step++) {
                try (ai.djl.ndarray.NDManager sub = m.newSubManager()) {
                    org.imagineflash.train.TrainingData.Examples ex = d.examples(teacher, r, 128, sub);
                    float loss = critic.discriminatorStep(ex.x0(), ex.x0().neg(), ex.condition(), step, sub);
                    first += step < 20 ? loss / 20 : 0;
                    last += step >= 280 ? loss / 20 : 0;
                }
            }
            System.out.printf("teacher-feature critic: hinge loss %.3f over the first 20 steps, %.3f over the last 20%n", first, last);
            assertTrue(last < 0.5 * first, "hinge loss " + first + " → " + last);
        } finally {
            teacher.network().freezeParameters(false);
        }
    }

    @Test
    void incompatibleOptionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new StepDistillation(teacher, options(trailing(4), "x0", 10, 3e-4), null, 16, null),
                "step distillation needs data");
        assertThrows(IllegalArgumentException.class,
                () -> new StepDistillation(teacher, options(trailing(4), "x0", 10, 3e-4), MixtureProblem.training(10, 1), 12, null), "16 = 4·2^j");
        assertThrows(IllegalArgumentException.class,
                () -> new LatentConsistencyDistillation(teacher, options(trailing(4), "same", 10, 3e-4),
                        new LatentConsistencyDistillation.Options(LatentConsistencyDistillation.Distance.L2, 0.95), MixtureProblem.training(10, 1), null),
                "LCM students sample on the LCM schedule");
        assertThrows(IllegalArgumentException.class,
                () -> new AdversarialDiffusionDistillation.Options(Adversarial.none(), AdversarialDiffusionDistillation.TeacherTime.UNIFORM),
                "ADD needs an adversarial weight");
        assertThrows(IllegalArgumentException.class,
                () -> new AdversarialDiffusionDistillation(teacher, options(trailing(4), "x0", 10, 3e-4), AdversarialDiffusionDistillation.Options.paper(), null, null),
                "ADD needs data");
    }

    @Test
    void addWeightingsAreTheirClosedForms() {
        org.imagineflash.schedule.NoiseSchedule sched = new org.imagineflash.schedule.NoiseSchedule(org.imagineflash.schedule.ScheduleConfig.ddpmLinear());
        for (int t : new int[] {1, 250, 500, 999}) {
            double ab = sched.alphaBar(t);
            org.junit.jupiter.api.Assertions.assertEquals(ab, AdversarialDiffusionDistillation.Weighting.EXPONENTIAL.at(sched, t), 1e-12);
            org.junit.jupiter.api.Assertions.assertEquals(Math.sqrt(ab * (1 - ab)), AdversarialDiffusionDistillation.Weighting.SDS.at(sched, t), 1e-9);
        }
        // c_sds peaks where ᾱ = 1/2 at 1/2; the paper's weight is below it from there on
        org.junit.jupiter.api.Assertions.assertTrue(AdversarialDiffusionDistillation.Weighting.SDS.at(sched, 700)
                > 10 * AdversarialDiffusionDistillation.Weighting.EXPONENTIAL.at(sched, 700));
        assertThrows(IllegalArgumentException.class, () -> AdversarialDiffusionDistillation.Weighting.parse("flat"));
    }
}
