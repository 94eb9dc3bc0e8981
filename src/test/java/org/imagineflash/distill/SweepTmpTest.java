package org.imagineflash.distill;

import org.junit.jupiter.api.Test;

class SweepTmpTest extends ImagineFlashDistillationTest {
    @Test
    void sweep() throws Exception {
        studentSteps = new int[] {999};
        for (String p : new String[] {"same", "x0", "v"}) {
            prediction = p;
            System.out.printf("SWEEP 1-step prediction %s: %.4f%n", p, student("backward", "srl", true, ImagineFlashDistillation.DEFAULT_SHIFT, "student", 4));
        }
        System.out.printf("SWEEP 1-step ddim teacher: %.4f%n", distance(teacher, org.imagineflash.sampling.Samplers.create("ddim", teacher.schedule(),
                org.imagineflash.sampling.SamplerOptions.defaults(1).withSpacing(org.imagineflash.schedule.TimestepSpacing.TRAILING)), 1.0));
    }
}
