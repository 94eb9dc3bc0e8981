package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.imagineflash.schedule.NoiseSchedule;

/** Per-sample α_t, σ_t and t as (B, 1, 1, 1) / (B) arrays, for training losses with one t per sample. */
public final class NoiseLevels {
    private final NoiseSchedule schedule;

    public NoiseLevels(NoiseSchedule schedule) {
        this.schedule = schedule;
    }

    /** q(x_t | x_0) with one timestep per example: α_{t_i}·x_0 + σ_{t_i}·ε. */
    public NDArray noise(NDArray x0, NDArray eps, int[] t, NDManager m) {
        return x0.mul(alphas(m, t)).add(eps.mul(sigmas(m, t)));
    }

    public NDArray alphas(NDManager m, int[] t) {
        float[] a = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            a[i] = (float) schedule.alpha(t[i]);
        }
        return Tensors.floats(m, a).reshape(-1, 1, 1, 1);
    }

    public NDArray sigmas(NDManager m, int[] t) {
        float[] s = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            s[i] = (float) schedule.sigma(t[i]);
        }
        return Tensors.floats(m, s).reshape(-1, 1, 1, 1);
    }

    public NDArray timesteps(NDManager m, int[] t) {
        float[] f = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            f[i] = t[i];
        }
        return Tensors.floats(m, f);
    }
}
