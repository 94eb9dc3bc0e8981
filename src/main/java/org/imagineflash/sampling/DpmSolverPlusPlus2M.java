package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Prediction;
import org.imagineflash.schedule.NoiseSchedule;
import org.imagineflash.schedule.TimestepSpacing;

/**
 * DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2, data prediction, midpoint), as diffusers'
 * DPMSolverMultistepScheduler with solver_order=2, algorithm_type="dpmsolver++".
 *
 * <pre>
 *   α_i = 1/√(s_i²+1), σ_i = s_i·α_i, λ_i = log α_i − log σ_i, h = λ_{i+1} − λ_i
 *   first order:  x ← (σ_{i+1}/σ_i)·x − α_{i+1}(e^{−h} − 1)·D_0
 *   second order: r = (λ_i − λ_{i−1})/h, D_1 = (D_0 − D_{−1})/r,
 *                 x ← (σ_{i+1}/σ_i)·x − α_{i+1}(e^{−h} − 1)·D_0 − ½·α_{i+1}(e^{−h} − 1)·D_1
 * </pre>
 * D are x̂_0 predictions. The first step is first order; the last is first order when the final sigma is 0, or with
 * lower_order_final when N &lt; 15.
 */
public final class DpmSolverPlusPlus2M implements Sampler {
    private final NoiseSchedule schedule;
    private final int[] ts;
    private final double[] alpha;
    private final double[] sigma;
    private final double[] lambda;
    private final SamplerOptions opt;

    public DpmSolverPlusPlus2M(NoiseSchedule schedule, SamplerOptions opt) {
        this.opt = opt;
        this.schedule = schedule;
        int n = schedule.numTrainTimesteps();
        int steps = opt.steps();
        TimestepSpacing sp = opt.spacingOr(TimestepSpacing.LINSPACE);
        ts = new int[steps];
        switch (sp) {
            case LINSPACE -> {
                for (int i = 0; i < steps; i++) {
                    ts[i] = (int) Math.rint((double) (steps - i) * (n - 1) / steps);
                }
            }
            case LEADING -> {
                int ratio = n / (steps + 1);
                for (int i = 0; i < steps; i++) {
                    ts[i] = (steps - i) * ratio + opt.stepsOffset();
                }
            }
            case TRAILING -> System.arraycopy(TimestepSpacing.TRAILING.timesteps(n, steps, 0), 0, ts, 0, steps);
            default -> throw new IllegalStateException();
        }
        double[] s = new double[steps + 1];
        for (int i = 0; i < steps; i++) {
            s[i] = schedule.kSigma(ts[i]);
        }
        s[steps] = opt.finalSigmaZero() ? 0 : schedule.kSigma(0);
        alpha = new double[steps + 1];
        sigma = new double[steps + 1];
        lambda = new double[steps + 1];
        for (int i = 0; i <= steps; i++) {
            float si = (float) s[i];
            alpha[i] = 1 / Math.sqrt(si * (double) si + 1);
            sigma[i] = si * alpha[i];
            lambda[i] = Math.log(alpha[i]) - Math.log(sigma[i]);
        }
    }

    @Override
    public NDArray sample(Denoiser model, NDArray xT, NoiseSource noise) {
        NDArray x = xT;
        NDArray previous = null;
        int lowerOrderNums = 0;
        int n = ts.length;
        for (int i = 0; i < n; i++) {
            Prediction p = model.predict(x, ts[i]);
            NDArray d0 = ZeroTerminalSnr.isTerminal(schedule, ts[i]) ? ZeroTerminalSnr.x0(p, x, alpha[i], sigma[i]) : p.x0();
            boolean lowerOrderFinal = i == n - 1 && ((opt.lowerOrderFinal() && n < 15) || opt.finalSigmaZero());
            double h = lambda[i + 1] - lambda[i];
            double ratio = sigma[i + 1] / sigma[i];
            double phi = alpha[i + 1] * (Math.exp(-h) - 1);
            if (lowerOrderNums < 1 || lowerOrderFinal) {
                x = x.mul(ratio).sub(d0.mul(phi));
            } else {
                double r0 = (lambda[i] - lambda[i - 1]) / h;
                NDArray d1 = d0.sub(previous).div(r0);
                x = x.mul(ratio).sub(d0.mul(phi)).sub(d1.mul(0.5 * phi));
            }
            previous = d0;
            if (lowerOrderNums < 2) {
                lowerOrderNums++;
            }
        }
        return x;
    }

    @Override
    public int nfe() {
        return ts.length;
    }

    @Override
    public double[] timesteps() {
        return java.util.Arrays.stream(ts).asDoubleStream().toArray();
    }
}
