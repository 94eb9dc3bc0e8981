package org.imagineflash.sampling;

import org.imagineflash.schedule.NoiseSchedule;

import java.util.List;
import java.util.Locale;

/** Sampler names and construction. */
public final class Samplers {
    public static final List<String> NAMES = List.of("ddpm", "ddim", "euler", "dpmpp-2m", "lcm", "tcd", "student");

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
            case "student" -> {
                if (opt.timesteps() == null) {
                    throw new IllegalArgumentException("the student sampler needs a distilled model (its timesteps)");
                }
                yield new FewStepStudent(schedule, opt.timesteps(), opt.noiseCorrection());
            }
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        };
    }
}
