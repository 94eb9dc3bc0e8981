package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.Prediction;
import org.imagineflash.schedule.NoiseSchedule;

/**
 * The first step of a sigma-space sampler on a zero-terminal-SNR schedule, as diffusers takes it.
 *
 * <p>At t = T−1 such a schedule has ᾱ = 0, so a denoiser that reads its output with (α, σ) = (0, 1) cannot give x̂_0
 * from an ε prediction (it divides by α = 0). diffusers' EulerDiscreteScheduler and DPMSolverMultistepScheduler put
 * ᾱ_{T−1} = 2^-24 instead and convert the model output with their own sigma: x̂_0 = (x − σ_s ε̂)/α_s (Euler:
 * x − s·ε̂ in k-space). Here, when x̂_0 is not finite, it is rebuilt that way from ε̂ (which an ε model gives
 * exactly); a finite x̂_0 (v or x_0 models) is kept: for v that differs from diffusers' α_s x − σ_s v by
 * α_s·x = 2^-12·x on that one step.
 */
final class ZeroTerminalSnr {
    private ZeroTerminalSnr() {
    }

    /** Whether t is the zero-SNR terminal timestep of the schedule. */
    static boolean isTerminal(NoiseSchedule schedule, double t) {
        return schedule.config().rescaleZeroTerminalSnr() && t == schedule.numTrainTimesteps() - 1;
    }

    /**
     * x̂_0 at the terminal timestep.
     *
     * @param xVp the denoiser's (variance-preserving) input
     * @param alpha the sampler's α_s = 1/√(s²+1)
     * @param sigma the sampler's σ_s = s·α_s
     */
    static NDArray x0(Prediction p, NDArray xVp, double alpha, double sigma) {
        NDArray x0 = p.x0();
        boolean finite = !x0.isNaN().any().getBoolean() && !x0.isInfinite().any().getBoolean();
        return finite ? x0 : xVp.sub(p.eps().mul(sigma)).div(alpha);
    }
}
