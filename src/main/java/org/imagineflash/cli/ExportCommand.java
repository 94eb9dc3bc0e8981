package org.imagineflash.cli;

import org.imagineflash.export.OnnxExport;
import org.imagineflash.export.OrtStudent;
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
                "FILE.text-encoder.onnx (tokens (B, L) int64 → context, pooled); FILE.decoder.onnx (latents z → image).",
                "--deploy writes a student's whole generation as one graph instead (noise (B, C, H, W) and class (B) or tokens (B, L)",
                "→ image in [-1, 1]), by default next to its weights as DIR/" + OrtStudent.FILE + ": serve, sample and eval with",
                "--engine ort then run it without starting libtorch."})
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--model", required = true, description = "model directory") Path model;
    @Option(names = "--format", defaultValue = "onnx", description = "onnx") String format;
    @Option(names = "--out", description = "the .onnx file to write (default with --deploy: DIR/" + OrtStudent.FILE + ")") Path out;
    @Option(names = "--deploy", description = "a student's whole generation (text encoder, its steps, decoder) as one graph") boolean deploy;

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
        if (out == null && !deploy) {
            throw new IllegalArgumentException("--out FILE.onnx is required (or --deploy, which writes " + model.resolve(OrtStudent.FILE) + ")");
        }
        Path file = out != null ? out : model.resolve(OrtStudent.FILE);
        Engines.configure();
        ModelStore.requireWritable(file);
        try (DiffusionModel m = ModelStore.load(model)) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("imagine-flash.config", ModelStore.JSON.writeValueAsString(m.config()));
            meta.put("imagine-flash.source", model.toString());
            meta.put("imagine-flash.command", "imagine-flash " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            if (deploy) {
                if (!OnnxExport.supportsStudentGraph(m.config())) {
                    throw new IllegalArgumentException("--deploy is for a distilled student that steps deterministically; " + model + " is "
                            + (m.config().isStudent() ? "an LCM student, which re-noises at every step" : "a teacher"));
                }
                try (Autoencoder ae = m.config().autoencoder() == null ? null : Autoencoder.forModel(m.config(), model)) {
                    long bytes = OrtStudent.deploy(model, m, ae, file, meta);
                    spec.commandLine().getOut().printf("wrote %s: the whole generation of %s (%d steps%s), %.1f MB (opset %d)%n", file, model,
                            m.config().student().steps(), ae == null ? "" : ", text encoder and decoder", bytes / 1e6, OnnxGraph.OPSET);
                }
                return 0;
            }
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
