package org.imagineflash.distill.imagineflash;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.Denoiser;
import org.imagineflash.sampling.FewStepStudent;

/**
 * Backward distillation ({@code backwardDiffusion.png}, {@code gradientBackwardDiffusion.png}): the student's input
 * at its step t_i is x^Θ_{T→t_i} = stopgrad(f_Θ^{i}(x_T)) — the student's own sampler run from pure noise through
 * its steps before t_i (with noise correction when enabled) — never a forward-noised training image, so training
 * sees exactly what inference sees and no information leaks from a real x_0.
 */
public final class BackwardDistillation {
    private BackwardDistillation() {
    }

    /**
     * x^Θ_{T→t_i}. Must be called outside a gradient collector (the rollout carries no gradient).
     *
     * @param student the student conditioned on the batch's labels (no guidance)
     * @param sampler the student's few-step sampler
     * @param xT x_T ~ N(0, I)
     * @param i the student step whose input is wanted (0 returns x_T)
     */
    public static NDArray input(Denoiser student, FewStepStudent sampler, NDArray xT, int i) {
        return sampler.run(student, xT, 0, i);
    }
}
