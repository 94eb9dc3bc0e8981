package org.imagineflash.cli;

import org.imagineflash.export.OnnxExport;
import org.imagineflash.export.OnnxGraph;
import org.imagineflash.latent.Autoencoder;
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
                "(schedule, parameterization, student steps) is stored in the graph's metadata under imagine-flash.config.",
                "A text-to-image model is three graphs: FILE.onnx, its UNet (inputs x, t, context (B, L, W), pooled (B, W));",
                "FILE.text-encoder.onnx (tokens (B, L) int64 → context, pooled); FILE.decoder.onnx (latents z → image)."})
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--model", required = true, description = "model directory") Path model;
    @Option(names = "--format", defaultValue = "onnx", description = "onnx") String format;
    @Option(names = "--out", required = true, description = "the .onnx file to write") Path out;

    /** FILE.onnx → FILE.part.onnx. */
    static Path sibling(Path out, String part) {
        String name = out.getFileName().toString();
        String stem = name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name;
        return out.resolveSibling(stem + "." + part + ".onnx");
    }

    private void write(Path file, byte[] bytes, String what) throws java.io.IOException {
        ModelStore.requireWritable(file);
        ModelStore.writeBytes(file, bytes);
        spec.commandLine().getOut().printf("wrote %s: %s, %.1f MB (opset %d)%n", file, what, bytes.length / 1e6, OnnxGraph.OPSET);
    }

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
            write(out, OnnxExport.unet(m, meta).toByteArray(), m.config().kind() + " " + model + ", " + m.parameterCount() + " parameters");
            if (m.config().unet().isTextConditioned()) {
                // a text-to-image model runs as three graphs: the prompt is encoded once, the UNet runs every step,
                // the decoder once at the end
                write(sibling(out, "text-encoder"), OnnxExport.textEncoder(m, meta).toByteArray(), "its text encoder");
                try (Autoencoder ae = Autoencoder.forModel(m.config(), model)) {
                    write(sibling(out, "decoder"), OnnxExport.decoder(ae, meta).toByteArray(), "its autoencoder's decoder");
                }
            }
        }
        return 0;
    }
}
