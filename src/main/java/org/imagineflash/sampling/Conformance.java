package org.imagineflash.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.Parameterization;
import org.imagineflash.schedule.NoiseSchedule;

/**
 * diffusers' scheduler-test protocol: the sample arange(768)/768 reshaped to (3, 8, 8, 4) and permuted to
 * (4, 3, 8, 8), and the toy model F(x, t) = x·t/(t+1) read with the given parameterization. Returns the sum and
 * mean |x| of the final sample, the figures diffusers' tests compare.
 */
public final class Conformance {
    private Conformance() {
    }

    /** Result of a conformance run. */
    public record Result(double sum, double meanAbs) {
    }

    public static NDArray dummySample(NDManager m) {
        return m.arange(768f).div(768f).reshape(3, 8, 8, 4).transpose(3, 0, 1, 2);
    }

    public static Denoiser toyModel(NoiseSchedule schedule, Parameterization p) {
        return (x, t) -> {
            double[] as = schedule.alphaSigmaAt(t);
            return p.toPrediction(x.mul(t / (t + 1)), x, as[0], as[1]);
        };
    }

    public static Result run(Sampler sampler, NoiseSchedule schedule, Parameterization p, long seed) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = sampler.sample(toyModel(schedule, p), dummySample(m), new NoiseSource(seed));
            return new Result(out.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).sum().getDouble(),
                    out.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).abs().mean().getDouble());
        }
    }

}
