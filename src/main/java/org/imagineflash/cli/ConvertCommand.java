package org.imagineflash.cli;

import org.imagineflash.model.ModelStore;
import org.imagineflash.model.WeightPrecision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code imagine-flash convert}: a model's weights stored at another precision (its computation stays float32). */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Rewrite a diffusion model's weights at another storage precision, in place and atomically:",
                "float16 halves the file (weights are widened to float32 when loaded; evaluate before shipping).",
                "Its provenance keeps how the model was made and records the conversion."})
public final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--model", required = true, description = "model directory") Path model;
    @Option(names = "--precision", required = true, description = "float16 | float32") String precision;

    @Override
    public Integer call() throws Exception {
        WeightPrecision p = WeightPrecision.parse(precision);
        Engines.configure();
        ModelStore.requireWritable(model);
        Path weights = model.resolve(ModelStore.WEIGHTS);
        long before = Files.isRegularFile(weights) ? Files.size(weights) : 0;
        String cmd = "imagine-flash " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        long after = ModelStore.convertWeights(model, p, cmd);
        spec.commandLine().getOut().printf("wrote %s: weights as %s, %.1f MB (was %.1f MB)%n", model, p, after / 1e6, before / 1e6);
        return 0;
    }
}
