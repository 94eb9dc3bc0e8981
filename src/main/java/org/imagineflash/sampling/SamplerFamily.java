package org.imagineflash.sampling;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import org.imagineflash.schedule.NoiseSchedule;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The samplers, each named by its id on the command line, in report configs and in JSON ({@code dpmpp-2m} for
 * {@link #DPMPP_2M}). {@link #STUDENT} is a distilled model's own few-step sampling, which its config defines: the
 * {@code Generator} builds it from the model; every other family is built here from a schedule and options.
 */
public enum SamplerFamily {
    DDPM,
    DDIM,
    EULER,
    /** DPM-Solver++ 2M (also read as dpm++2m and dpmsolver++, diffusers' names). */
    DPMPP_2M("dpm++2m", "dpmsolver++"),
    LCM,
    TCD,
    /** A distilled model's own timesteps and stepping (its {@code StudentConfig}). */
    STUDENT;

    private final List<String> aliases;

    SamplerFamily(String... aliases) {
        this.aliases = List.of(aliases);
    }

    /** The name on the command line and in JSON. */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @Override
    public String toString() {
        return id();
    }

    /** The family an id (or one of its aliases) names, in any case; a clear error lists the known ids. */
    @JsonCreator
    public static SamplerFamily parse(String s) {
        String k = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        for (SamplerFamily f : values()) {
            if (f.id().equals(k) || f.aliases.contains(k)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown sampler '" + s + "' (known: " + ids() + ")");
    }

    /** The known ids, comma-separated. */
    public static String ids() {
        return Arrays.stream(values()).map(SamplerFamily::id).collect(Collectors.joining(", "));
    }

    /** This family's sampler on a schedule; {@link #STUDENT} needs a distilled model and is refused here. */
    public Sampler create(NoiseSchedule schedule, SamplerOptions opt) {
        return switch (this) {
            case DDPM -> new Ddpm(schedule, opt);
            case DDIM -> new Ddim(schedule, opt);
            case EULER -> new EulerDiscrete(schedule, opt);
            case DPMPP_2M -> new DpmSolverPlusPlus2M(schedule, opt);
            case LCM -> new LcmMultistep(schedule, opt);
            case TCD -> new Tcd(schedule, opt);
            case STUDENT -> throw new IllegalArgumentException("the student sampler needs a distilled model (its timesteps)");
        };
    }
}
