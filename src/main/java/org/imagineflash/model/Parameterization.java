package org.imagineflash.model;

import ai.djl.ndarray.NDArray;

import java.util.Locale;

/**
 * What the network outputs, and every conversion between network output, x̂_0 and ε̂. The only place in the code
 * that branches on the parameterization: samplers, guidance and losses work on {@link Prediction}s.
 *
 * <p>With x_t = α x_0 + σ ε (α² + σ² = 1):
 * <ul>
 *   <li>ε: x̂_0 = (x_t − σ ε̂)/α</li>
 *   <li>v = α ε − σ x_0 (Salimans &amp; Ho 2022): x̂_0 = α x_t − σ v̂, ε̂ = σ x_t + α v̂</li>
 *   <li>x0: ε̂ = (x_t − α x̂_0)/σ</li>
 * </ul>
 */
public enum Parameterization {
    EPS("epsilon"),
    V("v_prediction"),
    X0("sample");

    private final String diffusersName;

    Parameterization(String diffusersName) {
        this.diffusersName = diffusersName;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Parameterization parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT);
        for (Parameterization p : values()) {
            if (p.id().equals(k) || p.diffusersName.equals(k)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown parameterization '" + s + "' (known: eps, v, x0)");
    }

    /** Network output → (x̂_0, ε̂). */
    public Prediction toPrediction(NDArray out, NDArray x, double alpha, double sigma) {
        return switch (this) {
            case EPS -> new Prediction(x.sub(out.mul(sigma)).div(alpha), out);
            case V -> new Prediction(x.mul(alpha).sub(out.mul(sigma)), x.mul(sigma).add(out.mul(alpha)));
            case X0 -> new Prediction(out, x.sub(out.mul(alpha)).div(sigma));
        };
    }

    /**
     * The regression target of the network for (x_0, ε) at (α, σ); α and σ broadcast per sample, (B, 1, 1, 1).
     */
    public NDArray target(NDArray x0, NDArray eps, NDArray alpha, NDArray sigma) {
        return switch (this) {
            case EPS -> eps;
            case V -> eps.mul(alpha).sub(x0.mul(sigma));
            case X0 -> x0;
        };
    }

    /**
     * |∂x̂_0/∂output| at (α, σ): how strongly an error in the network's output moves x̂_0 (ε: σ/α, v: σ, x_0: 1).
     * Dividing an x̂_0-space loss by it makes the gradient on the network output equal the x̂_0 error at every t.
     */
    public double x0Gain(double alpha, double sigma) {
        return switch (this) {
            case EPS -> sigma / alpha;
            case V -> sigma;
            case X0 -> 1.0;
        };
    }

    /**
     * x̂_0 (computed from this parameterization's output) with the same value and its gradient on the output divided per
     * sample by {@link #x0Gain}, for α, σ of shape (B, 1, 1, 1): a loss on it moves the output on one scale at every t.
     */
    public NDArray x0EvenGradient(NDArray x0, NDArray alpha, NDArray sigma) {
        if (this == X0) {
            return x0; // its gain is 1
        }
        NDArray gain = this == EPS ? sigma.div(alpha) : sigma;
        NDArray held = x0.stopGradient();
        return held.add(x0.sub(held).div(gain));
    }

    /** x̂_0 from a network output with per-sample α, σ of shape (B, 1, 1, 1). */
    public NDArray x0(NDArray out, NDArray x, NDArray alpha, NDArray sigma) {
        return switch (this) {
            case EPS -> x.sub(out.mul(sigma)).div(alpha);
            case V -> x.mul(alpha).sub(out.mul(sigma));
            case X0 -> out;
        };
    }

    /** ε̂ from a network output with per-sample α, σ of shape (B, 1, 1, 1). */
    public NDArray eps(NDArray out, NDArray x, NDArray alpha, NDArray sigma) {
        return switch (this) {
            case EPS -> out;
            case V -> x.mul(sigma).add(out.mul(alpha));
            case X0 -> x.sub(out.mul(alpha)).div(sigma);
        };
    }
}
