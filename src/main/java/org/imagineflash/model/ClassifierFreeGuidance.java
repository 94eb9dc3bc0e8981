package org.imagineflash.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDArrays;

/**
 * Classifier-free guidance (Ho &amp; Salimans 2022) as a wrapper around a denoiser:
 * ε̃ = ε̂(x, ∅) + w·(ε̂(x, c) − ε̂(x, ∅)). Because x̂_0 and ε̂ are affine in the network output at fixed (x_t, t),
 * the same combination applies to x̂_0, so guidance works for every parameterization.
 */
public final class ClassifierFreeGuidance {
    private ClassifierFreeGuidance() {
    }

    /** Guidance that evaluates the conditional and unconditional branch in one batched forward pass. */
    public static Denoiser batched(DiffusionModel model, Condition c, double scale) {
        return batched(model, c, scale, (x, t, cond) -> model.forward(x, t, cond, false));
    }

    /** The same, with the network run by {@code network}. */
    public static Denoiser batched(DiffusionModel model, Condition c, double scale, Network network) {
        Condition both = c.concat(c.unconditional());
        return (x, t) -> {
            long b = x.getShape().get(0);
            return combineHalves(model.predict(NDArrays.concat(new NDList(x, x)), t, both, network), b, scale);
        };
    }

    /** Guidance over a batch of 2B predictions whose first B rows are conditional and last B unconditional. */
    static Prediction combineHalves(Prediction both, long b, double w) {
        Prediction cond = new Prediction(both.x0().get("0:" + b), both.eps().get("0:" + b));
        Prediction u = new Prediction(both.x0().get(b + ":"), both.eps().get(b + ":"));
        return combine(cond, u, w);
    }

    static Prediction combine(Prediction c, Prediction u, double w) {
        return new Prediction(u.x0().add(c.x0().sub(u.x0()).mul(w)), u.eps().add(c.eps().sub(u.eps()).mul(w)));
    }
}
