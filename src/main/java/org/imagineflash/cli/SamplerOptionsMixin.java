package org.imagineflash.cli;

import org.imagineflash.sampling.SamplerOptions;
import org.imagineflash.schedule.TimestepSpacing;
import picocli.CommandLine.Option;

/** Sampler options shared by sample, eval and schedule (picocli mixin); defaults are diffusers'. */
public final class SamplerOptionsMixin {
    @Option(names = "--spacing", description = "linspace | leading | trailing (default: the sampler's diffusers default)")
    String spacing;
    @Option(names = "--steps-offset", defaultValue = "0") int stepsOffset;
    @Option(names = "--eta", defaultValue = "0.0", description = "DDIM η") double eta;
    @Option(names = "--clip-sample", defaultValue = "false", negatable = true, fallbackValue = "true",
            description = "clip x̂0 to ±1 in DDIM/DDPM/LCM (default: false; with guidance it ruins DDIM at many steps: "
                    + "25 steps at CFG 3 measured FD 231 clipped vs 27)") boolean clipSample;
    @Option(names = "--clip-sample-range", defaultValue = "1.0") double clipSampleRange;
    @Option(names = "--set-alpha-to-one", defaultValue = "true", negatable = true, fallbackValue = "true") boolean setAlphaToOne;
    @Option(names = "--lower-order-final", defaultValue = "true", negatable = true, fallbackValue = "true") boolean lowerOrderFinal;
    @Option(names = "--final-sigmas-type", defaultValue = "zero", description = "zero | sigma (DPM-Solver++, Euler)") String finalSigmasType;
    @Option(names = "--original-inference-steps", defaultValue = "50", description = "LCM/TCD skipping base (an LCM student samples on the one it was distilled with)") int originalInferenceSteps;
    @Option(names = "--gamma", defaultValue = "0.3", description = "TCD γ") double gamma;

    SamplerOptions toOptions(int steps) {
        if (!finalSigmasType.equals("zero") && !finalSigmasType.equals("sigma")) {
            throw new IllegalArgumentException("--final-sigmas-type must be zero or sigma, got " + finalSigmasType);
        }
        return SamplerOptions.builder(steps).spacing(spacing == null ? null : TimestepSpacing.parse(spacing)).stepsOffset(stepsOffset)
                .eta(eta).clipSample(clipSample).clipSampleRange(clipSampleRange).setAlphaToOne(setAlphaToOne)
                .lowerOrderFinal(lowerOrderFinal).finalSigmaZero(finalSigmasType.equals("zero")).originalInferenceSteps(originalInferenceSteps)
                .gamma(gamma).build();
    }
}
