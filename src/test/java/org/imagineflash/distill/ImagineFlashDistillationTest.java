package org.imagineflash.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.eval.SlicedWasserstein;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.Tensors;
import org.imagineflash.sampling.FewStepStudent;
import org.imagineflash.sampling.NoiseSource;
import org.imagineflash.sampling.Sampler;
import org.imagineflash.sampling.SamplerOptions;
import org.imagineflash.sampling.Samplers;
import org.imagineflash.schedule.TimestepSpacing;
import org.imagineflash.train.TeacherTraining;
import org.imagineflash.train.TrainOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Imagine Flash on a known distribution (a 16-D class-conditional mixture of Gaussians, MLP denoiser): the 2-step
 * student must be closer to the data (sliced Wasserstein) than the teacher sampled with DDIM at 2 steps and than its
 * own initialisation. The ablation variants are printed, not asserted.
 */
class ImagineFlashDistillationTest {
    static final int N = 600;
    static final int[] STUDENT = {999, 499};
    static final int ITERATIONS = 300;
    static final double LR = 3e-4;
    static final int K = 4;
    static DiffusionModel teacher;
    static float[][] reference;

    @BeforeAll
    static void trainTeacher() throws Exception {
        TrainOptions o = new TrainOptions(1200, 128, 3e-3, "cosine", 50, 0, 0.99, 0.1, 0, 0);
        teacher = new TeacherTraining(MixtureProblem.config(), o, MixtureProblem.Mlp::new)
                .run(MixtureProblem.data(6000, 1), null, false, null).ema();
        reference = points(MixtureProblem.data(N, 99));
    }

    @AfterAll
    static void close() {
        teacher.close();
    }

    static float[][] points(LabeledImages d) {
        float[][] p = new float[d.size()][16];
        for (int i = 0; i < d.size(); i++) {
            d.copyScaled(i, p[i], 0);
        }
        return p;
    }

    static double distance(DiffusionModel m, Sampler s, double cfg) {
        try (NDManager sub = m.manager().newSubManager()) {
            int[] labels = new int[N];
            for (int i = 0; i < N; i++) {
                labels[i] = i % MixtureProblem.CLASSES;
            }
            NDArray xT = NoiseSource.perImage(sub, 5000, N, new Shape(1, 4, 4));
            float[] f = s.sample(m.denoiser(Tensors.ints(sub, labels), cfg), xT, new NoiseSource(3)).toFloatArray();
            float[][] pts = new float[N][16];
            for (int i = 0; i < N; i++) {
                System.arraycopy(f, i * 16, pts[i], 0, 16);
            }
            return SlicedWasserstein.distance(pts, reference, 64, 7);
        }
    }

    static double student(String inputs, String target, boolean nc, String shift, int k) throws Exception {
        return student(inputs, target, nc, shift, "student", k);
    }

    static String prediction = "same";
    static int[] studentSteps = STUDENT;

    static double student(String inputs, String target, boolean nc, String shift, String srlNoise, int k) throws Exception {
        DistillOptions o = new DistillOptions(studentSteps, inputs, target, ShiftFunction.parse(shift, false), srlNoise, prediction, k, 1.0, nc, 0,
                ITERATIONS, 128, LR, 2e-4, 0.9, 0, 0);
        try (DiffusionModel s = new ImagineFlashDistillation(teacher, o, MixtureProblem.data(6000, 1)).run(null, false, null).ema()) {
            return distance(s, new FewStepStudent(s.schedule(), studentSteps, nc), 1.0);
        }
    }

    @Test
    void twoStepStudentBeatsTwoStepDdimAndItsInitialisation() throws Exception {
        double ddim2 = distance(teacher, Samplers.create("ddim", teacher.schedule(),
                SamplerOptions.defaults(2).withSpacing(TimestepSpacing.TRAILING)), 1.0);
        double dpm25 = distance(teacher, Samplers.create("dpmpp-2m", teacher.schedule(), SamplerOptions.defaults(25)), 1.0);
        double init = distance(teacher, new FewStepStudent(teacher.schedule(), STUDENT, true), 1.0);
        double full = student("backward", "srl", true, ImagineFlashDistillation.DEFAULT_SHIFT, K);
        System.out.printf("sliced W2 to the data: teacher DPM++ 25 %.4f, teacher DDIM 2 %.4f, student init %.4f, Imagine Flash 2-step %.4f%n",
                dpm25, ddim2, init, full);
        // deterministic (fixed seeds, one thread); measured 0.191 vs 0.212 and 0.206: a 5% margin
        assertTrue(full < 0.95 * ddim2, "student " + full + " vs DDIM-2 " + ddim2);
        assertTrue(full < 0.95 * init, "student " + full + " vs its initialisation " + init);
        System.out.printf("ablation (reported, not asserted): forward inputs %.4f, direct target %.4f, no noise correction %.4f, "
                        + "SRL with fresh noise %.4f%n",
                student("forward", "srl", true, ImagineFlashDistillation.DEFAULT_SHIFT, K),
                student("backward", "direct", true, ImagineFlashDistillation.DEFAULT_SHIFT, K),
                student("backward", "srl", false, ImagineFlashDistillation.DEFAULT_SHIFT, K),
                student("backward", "srl", true, ImagineFlashDistillation.DEFAULT_SHIFT, "fresh", K));
    }
}
