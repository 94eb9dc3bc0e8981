package org.imagineflash.schedule;

/**
 * The training noise schedule, validated; saved in every model's config.json.
 *
 * @param numTrainTimesteps T
 * @param betaStart β_0 (for linear/scaled_linear)
 * @param betaEnd β_{T−1}
 * @param betaSchedule the β schedule
 * @param rescaleZeroTerminalSnr Lin et al. 2023, Algorithm 1
 */
public record ScheduleConfig(int numTrainTimesteps, double betaStart, double betaEnd, BetaSchedule betaSchedule,
                             boolean rescaleZeroTerminalSnr) {
    public ScheduleConfig {
        if (numTrainTimesteps < 2 || numTrainTimesteps > 100_000) {
            throw new IllegalArgumentException("numTrainTimesteps must be in 2..100000, got " + numTrainTimesteps);
        }
        if (!(betaStart > 0 && betaStart < 1)) {
            throw new IllegalArgumentException("betaStart must be in (0, 1), got " + betaStart);
        }
        if (!(betaEnd > 0 && betaEnd < 1)) {
            throw new IllegalArgumentException("betaEnd must be in (0, 1), got " + betaEnd);
        }
        if (betaEnd < betaStart) {
            throw new IllegalArgumentException("betaEnd (" + betaEnd + ") must be ≥ betaStart (" + betaStart + ")");
        }
        if (betaSchedule == null) {
            throw new IllegalArgumentException("betaSchedule is required");
        }
    }

    /** DDPM's schedule: linear 1e-4..0.02 over 1000 steps. */
    public static ScheduleConfig ddpmLinear() {
        return new ScheduleConfig(1000, 1e-4, 0.02, BetaSchedule.LINEAR, false);
    }
}
