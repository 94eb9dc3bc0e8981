package org.imagineflash.distill;

import org.imagineflash.train.LrSchedule;

import java.util.Arrays;

/**
 * The options every distillation method takes, validated with messages that name the flag; saved in provenance.
 * A method's own switches are in its own record ({@code ImagineFlashOptions}, {@link Adversarial}, …).
 *
 * @param timesteps the student's descending timesteps (e.g. [999, 666, 333])
 * @param studentPrediction what the student's network predicts: "same" as the teacher, or eps / v / x0 (x0 is far
 *                          better conditioned at t = T for ε-teachers without zero terminal SNR: x̂_0 = (x_T − σ ε̂)/α
 *                          with α_T ≈ 0.006 amplifies the network's error 150×)
 * @param cfg guidance scale inside the teacher
 * @param iterations optimisation steps
 * @param batchSize batch size
 * @param lr student learning rate (AdamW, after a short warm-up)
 * @param lrSchedule how the rate goes after the warm-up: constant (every method's paper) or cosine to 0 over the budget
 * @param emaDecay EMA decay of the student
 * @param seed seed of every random stream
 * @param checkpointEvery steps between checkpoints (0: only at the end)
 */
public record DistillOptions(int[] timesteps, String studentPrediction, double cfg, long iterations, int batchSize, double lr,
                             LrSchedule.Kind lrSchedule, double emaDecay, long seed, long checkpointEvery) {
    public DistillOptions {
        if (timesteps == null || timesteps.length < 1 || timesteps.length > 8) {
            throw new IllegalArgumentException("the student needs 1..8 timesteps");
        }
        if (!"same".equals(studentPrediction)) {
            org.imagineflash.model.Parameterization.parse(studentPrediction);
        }
        if (!(cfg >= 0 && cfg <= 20)) {
            throw new IllegalArgumentException("--cfg must be in [0, 20], got " + cfg);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("--iterations must be ≥ 1, got " + iterations);
        }
        if (batchSize < 1 || batchSize > 1024) {
            throw new IllegalArgumentException("--batch-size must be in 1..1024, got " + batchSize);
        }
        if (!(lr > 0 && lr < 1)) {
            throw new IllegalArgumentException("--lr must be in (0, 1), got " + lr);
        }
        if (lrSchedule == null) {
            throw new IllegalArgumentException("--lr-schedule must be constant or cosine");
        }
        if (!(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("--ema-decay must be in [0, 1), got " + emaDecay);
        }
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("--checkpoint-every must be ≥ 0, got " + checkpointEvery);
        }
    }

    /** The same options with another iteration budget. */
    public DistillOptions withIterations(long n) {
        return toBuilder().iterations(n).build();
    }

    /** A builder with the distill command's defaults: the teacher's parameterization, guidance 3, 600 iterations. */
    public static Builder builder(int[] timesteps) {
        return new Builder(timesteps);
    }

    public Builder toBuilder() {
        return new Builder(timesteps).studentPrediction(studentPrediction).cfg(cfg).iterations(iterations).batchSize(batchSize)
                .lr(lr).lrSchedule(lrSchedule).emaDecay(emaDecay).seed(seed).checkpointEvery(checkpointEvery);
    }

    /** Builds {@link DistillOptions}; the constructor validates. */
    public static final class Builder {
        private final int[] timesteps;
        private String studentPrediction = "same";
        private double cfg = 3.0;
        private long iterations = 600;
        private int batchSize = 32;
        private double lr = 3e-4;
        private LrSchedule.Kind lrSchedule = LrSchedule.Kind.CONSTANT;
        private double emaDecay = 0.99;
        private long seed;
        private long checkpointEvery;

        private Builder(int[] timesteps) {
            this.timesteps = timesteps;
        }

        public Builder studentPrediction(String v) {
            studentPrediction = v;
            return this;
        }

        public Builder cfg(double v) {
            cfg = v;
            return this;
        }

        public Builder iterations(long v) {
            iterations = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder lr(double v) {
            lr = v;
            return this;
        }

        public Builder lrSchedule(LrSchedule.Kind v) {
            lrSchedule = v;
            return this;
        }

        public Builder emaDecay(double v) {
            emaDecay = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder checkpointEvery(long v) {
            checkpointEvery = v;
            return this;
        }

        public DistillOptions build() {
            return new DistillOptions(timesteps, studentPrediction, cfg, iterations, batchSize, lr, lrSchedule, emaDecay, seed, checkpointEvery);
        }
    }

    @Override
    public String toString() {
        return "DistillOptions[timesteps=" + Arrays.toString(timesteps) + ", studentPrediction=" + studentPrediction + ", cfg=" + cfg
                + ", iterations=" + iterations + ", batch=" + batchSize + ", lr=" + lr + (lrSchedule == LrSchedule.Kind.CONSTANT ? "" : ", lrSchedule=" + lrSchedule.name().toLowerCase(java.util.Locale.ROOT)) + "]";
    }
}
