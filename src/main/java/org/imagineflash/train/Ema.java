package org.imagineflash.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;

import java.util.List;

/** Exponential moving average of weights: θ_ema ← d·θ_ema + (1 − d)·θ, kept in a second model of the same shape. */
public final class Ema {
    private final List<Parameter> source;
    private final List<Parameter> target;
    private final double decay;

    public Ema(List<Parameter> source, List<Parameter> target, double decay) {
        if (!(decay >= 0 && decay < 1)) {
            throw new IllegalArgumentException("EMA decay must be in [0, 1), got " + decay);
        }
        this.source = source;
        this.target = target;
        this.decay = decay;
    }

    /** One EMA update; with warm-up min(decay, (1 + n)/(10 + n)) as in many diffusion codebases. */
    public void update(long step) {
        double d = Math.min(decay, (1.0 + step) / (10.0 + step));
        for (int i = 0; i < source.size(); i++) {
            NDArray e = target.get(i).getArray();
            try (NDArray s = source.get(i).getArray().mul(1 - d)) {
                e.muli(d).addi(s);
            }
        }
    }
}
