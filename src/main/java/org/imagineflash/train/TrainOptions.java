package org.imagineflash.train;

/**
 * Options of an optimisation run, validated with messages that name the command-line flag.
 *
 * @param steps total optimisation steps
 * @param batchSize batch size
 * @param lr peak learning rate
 * @param lrSchedule cosine or constant
 * @param warmup warm-up steps
 * @param weightDecay AdamW decoupled weight decay
 * @param emaDecay EMA decay
 * @param labelDropout probability of replacing the label by the null class (for classifier-free guidance)
 * @param seed seed of every random stream
 * @param checkpointEvery steps between checkpoints (0: only at the end)
 */
public record TrainOptions(long steps, int batchSize, double lr, LrSchedule.Kind lrSchedule, long warmup, double weightDecay,
                           double emaDecay, double labelDropout, long seed, long checkpointEvery) {
    public TrainOptions {
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be ≥ 1, got " + steps);
        }
        if (batchSize < 1 || batchSize > 4096) {
            throw new IllegalArgumentException("--batch-size must be in 1..4096, got " + batchSize);
        }
        if (!(weightDecay >= 0 && weightDecay < 1)) {
            throw new IllegalArgumentException("--weight-decay must be in [0, 1), got " + weightDecay);
        }
        if (!(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("--ema-decay must be in [0, 1), got " + emaDecay);
        }
        if (!(labelDropout >= 0 && labelDropout < 1)) {
            throw new IllegalArgumentException("--label-dropout must be in [0, 1), got " + labelDropout);
        }
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("--checkpoint-every must be ≥ 0, got " + checkpointEvery);
        }
        new LrSchedule(lrSchedule, lr, warmup, steps);
    }

    /** A builder with the train-teacher command's defaults. */
    public static Builder builder(long steps) {
        return new Builder(steps);
    }

    /** Builds {@link TrainOptions}; the constructor validates. */
    public static final class Builder {
        private final long steps;
        private int batchSize = 64;
        private double lr = 1e-3;
        private LrSchedule.Kind lrSchedule = LrSchedule.Kind.COSINE;
        private long warmup = 200;
        private double weightDecay;
        private double emaDecay = 0.999;
        private double labelDropout = 0.1;
        private long seed;
        private long checkpointEvery;

        private Builder(long steps) {
            this.steps = steps;
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

        /** cosine | constant. */
        public Builder lrSchedule(String v) {
            lrSchedule = LrSchedule.Kind.parse(v);
            return this;
        }

        public Builder warmup(long v) {
            warmup = v;
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        public Builder emaDecay(double v) {
            emaDecay = v;
            return this;
        }

        public Builder labelDropout(double v) {
            labelDropout = v;
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

        public TrainOptions build() {
            return new TrainOptions(steps, batchSize, lr, lrSchedule, warmup, weightDecay, emaDecay, labelDropout, seed, checkpointEvery);
        }
    }
}
