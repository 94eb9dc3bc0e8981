package org.imagineflash.train;

import java.util.Locale;

/**
 * Learning rate by step: linear warm-up, then cosine decay to 0 at the last step, or constant.
 *
 * @param kind "cosine" or "constant"
 * @param peak the peak learning rate
 * @param warmup warm-up steps
 * @param total total steps
 */
public record LrSchedule(String kind, double peak, long warmup, long total) {
    public LrSchedule {
        kind = kind.toLowerCase(Locale.ROOT);
        if (!kind.equals("cosine") && !kind.equals("constant")) {
            throw new IllegalArgumentException("--lr-schedule must be cosine or constant, got " + kind);
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
        if (kind.equals("constant") || total <= warmup) {
            return peak;
        }
        double p = Math.min(1.0, (double) (step - warmup) / (total - warmup));
        return peak * 0.5 * (1 + Math.cos(Math.PI * p));
    }
}
