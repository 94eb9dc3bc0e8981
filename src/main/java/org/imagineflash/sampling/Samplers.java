package org.imagineflash.sampling;

import org.imagineflash.schedule.NoiseSchedule;

import java.util.List;
import java.util.Locale;

/**
 * Sampler names and construction. {@value #STUDENT} names a distilled model's own few-step sampling, which its
 * config defines ({@code Generator} builds it); the others are built here from a schedule and options.
 */
public final class Samplers {
    /** The sampler name of a distilled model's own steps. */
    public static final String STUDENT = "student";
    public static final List<String> NAMES = List.of("ddpm", "ddim", "euler", "dpmpp-2m", "lcm", "tcd", STUDENT);

    private Samplers() {
    }

    public static Sampler create(String name, NoiseSchedule schedule, SamplerOptions opt) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "ddpm" -> new Ddpm(schedule, opt);
            case "ddim" -> new Ddim(schedule, opt);
            case "euler" -> new EulerDiscrete(schedule, opt);
            case "dpmpp-2m", "dpm++2m", "dpmsolver++" -> new DpmSolverPlusPlus2M(schedule, opt);
            case "lcm" -> new LcmMultistep(schedule, opt);
            case "tcd" -> new Tcd(schedule, opt);
            case STUDENT -> throw new IllegalArgumentException("the student sampler needs a distilled model (its timesteps)");
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        };
    }
}
