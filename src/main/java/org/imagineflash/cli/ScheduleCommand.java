package org.imagineflash.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.imagineflash.model.Parameterization;
import org.imagineflash.sampling.Conformance;
import org.imagineflash.sampling.Sampler;
import org.imagineflash.sampling.SamplerFamily;
import org.imagineflash.schedule.NoiseSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash schedule}: prints a noise schedule, or runs diffusers' conformance protocol for a sampler. */
@Command(name = "schedule", mixinStandardHelpOptions = true,
        description = {"Print inference timesteps with ᾱ, α, σ and log-SNR; or, with --conformance, run diffusers' scheduler",
                "test protocol (dummy sample, model x·t/(t+1)) and print {\"sum\": …, \"mean_abs\": …}."})
public final class ScheduleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Mixin
    ScheduleOptions schedule;
    @Mixin
    SamplerOptionsMixin samplerOptions;
    @Option(names = "--steps", defaultValue = "10") int steps;
    @Option(names = "--sampler", defaultValue = "ddim", description = "ddpm | ddim | euler | dpmpp-2m | lcm | tcd") SamplerFamily sampler;
    @Option(names = "--prediction", defaultValue = "eps", description = "eps | v | x0 (conformance model's output)") String prediction;
    @Option(names = "--conformance", description = "run the toy protocol and print its sum and mean |x|") boolean conformance;
    @Option(names = "--seed", defaultValue = "0", description = "noise seed for stochastic samplers") long seed;
    @Option(names = "--json", description = "machine-readable output") boolean json;

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        NoiseSchedule s = new NoiseSchedule(schedule.toConfig());
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper om = new ObjectMapper();
        if (conformance) {
            Sampler smp = sampler.create(s, samplerOptions.toOptions(steps));
            Conformance.Result r = Conformance.run(smp, s, Parameterization.parse(prediction), seed);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sum", r.sum());
            m.put("mean_abs", r.meanAbs());
            out.println(om.writeValueAsString(m));
            return 0;
        }
        double[] ts = sampler.create(s, samplerOptions.toOptions(steps)).timesteps();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (double t : ts) {
            int ti = (int) Math.round(t);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("t", t);
            r.put("alpha_bar", s.alphaBar(ti));
            r.put("alpha", s.alpha(ti));
            r.put("sigma", s.sigma(ti));
            r.put("log_snr", s.logSnr(ti));
            rows.add(r);
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("schedule", schedule.toConfig());
            m.put("sampler", sampler);
            m.put("timesteps", rows);
            out.println(om.writeValueAsString(m));
        } else {
            out.printf("%-10s %-12s %-10s %-10s %-10s%n", "t", "alpha_bar", "alpha", "sigma", "log_snr");
            for (Map<String, Object> r : rows) {
                out.printf("%-10s %-12.6g %-10.6f %-10.6f %-10.4f%n", fmt((double) r.get("t")), r.get("alpha_bar"),
                        r.get("alpha"), r.get("sigma"), r.get("log_snr"));
            }
        }
        return 0;
    }

    private static String fmt(double t) {
        return t == Math.rint(t) ? String.valueOf((long) t) : String.format("%.3f", t);
    }
}
