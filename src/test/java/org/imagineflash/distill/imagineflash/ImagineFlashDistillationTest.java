package org.imagineflash.distill.imagineflash;

import org.imagineflash.distill.DistillOptions;
import org.imagineflash.distill.MixtureProblem;
import org.imagineflash.distill.MixtureTeacherTest;
import org.imagineflash.distill.ShiftFunction;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.sampling.FewStepStudent;
import org.imagineflash.sampling.Sampler;
import org.imagineflash.sampling.SamplerFamily;
import org.imagineflash.sampling.SamplerOptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Imagine Flash on a known distribution (a 16-D class-conditional mixture of Gaussians, MLP denoiser): the 2-step
 * student must be closer to the data (sliced Wasserstein) than the teacher sampled with DDIM at 2 steps and than its
 * own initialisation. The ablation of each part is measured on Fashion-MNIST by {@code report} (its ablation table).
 */
class ImagineFlashDistillationTest extends MixtureTeacherTest {
    static final int[] STUDENT = {999, 499};
    static final int ITERATIONS = 300;
    static final double LR = 3e-4;
    static final int K = 4;
    static double distance(DiffusionModel m, Sampler s, double cfg) {
        return MixtureProblem.distance(m, s, cfg, reference);
    }

    static double student(String inputs, String target, boolean nc, String shift, int k) throws Exception {
        return student(inputs, target, nc, shift, "student", k);
    }
    static String prediction = "same";
    static int[] studentSteps = STUDENT;

    static double student(String inputs, String target, boolean nc, String shift, String srlNoise, int k) throws Exception {
        DistillOptions o = DistillOptions.builder(studentSteps).studentPrediction(prediction).cfg(1.0).iterations(ITERATIONS).batchSize(128)
                .lr(LR).emaDecay(0.9).build();
        ImagineFlashOptions f = ImagineFlashOptions.builder(studentSteps.length).inputs(ImagineFlashOptions.Inputs.parse(inputs))
                .target(ImagineFlashOptions.Target.parse(target)).shift(ShiftFunction.parse(shift, false))
                .srlNoise(ImagineFlashOptions.SrlNoise.parse(srlNoise)).teacherSteps(k).noiseCorrection(nc).build();
        try (DiffusionModel s = new ImagineFlashDistillation(teacher, o, f, MixtureProblem.training(6000, 1), null).run(null, false, null).ema()) {
            return distance(s, new FewStepStudent(s.schedule(), studentSteps, nc), 1.0);
        }
    }

    @Test
    void twoStepStudentBeatsTwoStepDdimAndItsInitialisation() throws Exception {
        // the bar is DDIM with x̂_0 clipped (diffusers' default): unclipped, this ε teacher's 2-step DDIM diverges here
        // (x̂_0 = (x_T − σ ε̂)/α amplifies ε̂'s error 156× at t = 999; measured 5.3)
        double ddim2 = MixtureProblem.ddimClipped(teacher, 2, reference);
        String gamma = ImagineFlashDistillation.defaultShift(STUDENT.length);
        double dpm25 = distance(teacher, SamplerFamily.DPMPP_2M.create(teacher.schedule(), SamplerOptions.defaults(25)), 1.0);
        double init = distance(teacher, new FewStepStudent(teacher.schedule(), STUDENT, true), 1.0);
        double full = student("backward", "srl", true, gamma, K);
        System.out.printf("sliced W2 to the data: teacher DPM++ 25 %.4f, teacher DDIM 2 %.4f, student init %.4f, Imagine Flash 2-step %.4f%n",
                dpm25, ddim2, init, full);
        // deterministic (fixed seeds, one thread); measured 0.191 vs 0.212 and 0.206: a 5% margin
        assertTrue(full < 0.95 * ddim2, "student " + full + " vs DDIM-2 " + ddim2);
        assertTrue(full < 0.95 * init, "student " + full + " vs its initialisation " + init);
    }
}
