package org.imagineflash.cli;

import org.imagineflash.export.OnnxExport;
import org.imagineflash.export.OnnxGraph;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash export}: a model's network as an ONNX graph for ONNX Runtime (Java, web, native). */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a model's network as an ONNX graph (opset " + OnnxGraph.OPSET + "): inputs x (B, C, H, W) float, t (B) float,",
                "class (B) int64 (the null class is ∅ for guidance); output out, the raw network output. The model's config",
                "(schedule, parameterization, student steps) is stored in the graph's metadata under imagine-flash.config."})
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--model", required = true, description = "model directory") Path model;
    @Option(names = "--format", defaultValue = "onnx", description = "onnx") String format;
    @Option(names = "--out", required = true, description = "the .onnx file to write") Path out;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("onnx")) {
            throw new IllegalArgumentException("--format must be onnx, got " + format);
        }
        Engines.configure();
        ModelStore.requireWritable(out);
        try (DiffusionModel m = ModelStore.load(model)) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("imagine-flash.config", ModelStore.JSON.writeValueAsString(m.config()));
            meta.put("imagine-flash.source", model.toString());
            byte[] bytes = OnnxExport.unet(m, meta).toByteArray();
            ModelStore.writeBytes(out, bytes);
            spec.commandLine().getOut().printf("wrote %s: %s %s, %d parameters, %.1f MB (opset %d)%n", out, m.config().kind(), model,
                    m.parameterCount(), bytes.length / 1e6, OnnxGraph.OPSET);
        }
        return 0;
    }
}
