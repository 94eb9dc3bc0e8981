package org.imagineflash.cli;

import org.imagineflash.schedule.BetaSchedule;
import org.imagineflash.schedule.ScheduleConfig;
import picocli.CommandLine.Option;

/** Noise-schedule options shared by commands (picocli mixin). */
public final class ScheduleOptions {
    @Option(names = "--beta-schedule", defaultValue = "linear", description = "linear | scaled_linear | squaredcos_cap_v2 (default: ${DEFAULT-VALUE})")
    String betaSchedule;
    @Option(names = "--beta-start", description = "β_0 (default: 1e-4 for linear, 0.00085 for scaled_linear)")
    Double betaStart;
    @Option(names = "--beta-end", description = "β_{T-1} (default: 0.02 for linear, 0.012 for scaled_linear)")
    Double betaEnd;
    @Option(names = "--num-train-timesteps", defaultValue = "1000", description = "T (default: ${DEFAULT-VALUE})")
    int numTrainTimesteps;
    @Option(names = "--rescale-zero-snr", description = "rescale to zero terminal SNR (Lin et al. 2023, Algorithm 1)")
    boolean rescaleZeroSnr;

    ScheduleConfig toConfig() {
        BetaSchedule b = BetaSchedule.parse(betaSchedule);
        double start = betaStart != null ? betaStart : b == BetaSchedule.SCALED_LINEAR ? 0.00085 : 1e-4;
        double end = betaEnd != null ? betaEnd : b == BetaSchedule.SCALED_LINEAR ? 0.012 : 0.02;
        return new ScheduleConfig(numTrainTimesteps, start, end, b, rescaleZeroSnr);
    }
}
