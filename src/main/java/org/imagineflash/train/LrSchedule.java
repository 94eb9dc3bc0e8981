package org.imagineflash.train;

/**
 * Learning rate by step: linear warm-up, then cosine decay to 0 at the last step, or constant.
 *
 * @param kind cosine or constant
 * @param peak the peak learning rate
 * @param warmup warm-up steps
 * @param total total steps
 */
public record LrSchedule(Kind kind, double peak, long warmup, long total) {
    /** The shape after warm-up. */
    public enum Kind {
        COSINE, CONSTANT;

        /** cosine | constant (any case). */
        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.name().equalsIgnoreCase(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("--lr-schedule must be cosine or constant, got " + s);
        }
    }

    public LrSchedule {
        if (kind == null) {
            throw new IllegalArgumentException("an LR schedule needs a kind");
        }
        if (!(peak > 0 && peak < 1)) {
            throw new IllegalArgumentException("--lr must be in (0, 1), got " + peak);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must be ≥ 0, got " + warmup);
        }
    }

    public double at(long step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        if (kind == Kind.CONSTANT || total <= warmup) {
            return peak;
        }
        double p = Math.min(1.0, (double) (step - warmup) / (total - warmup));
        return peak * 0.5 * (1 + Math.cos(Math.PI * p));
    }
}
