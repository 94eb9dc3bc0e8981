package org.imagineflash.cli;

import org.imagineflash.Generator;
import org.imagineflash.data.IdxFile;
import org.imagineflash.data.PngGrid;
import org.imagineflash.data.Prompts;
import org.imagineflash.model.ModelStore;
import org.imagineflash.sampling.SamplerFamily;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code imagine-flash sample}: generates a PNG grid (and optionally IDX files) from a model directory. */
@Command(name = "sample", mixinStandardHelpOptions = true,
        description = {"Generate images from a teacher or a distilled student.",
                "Students use their own few-step schedule (and noise correction); --steps below the trained count picks",
                "evenly spaced trailing timesteps (e.g. a 3-step student at 2 steps uses [999, 499])."})
public final class SampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Mixin
    SamplerOptionsMixin samplerOptions;
    @Option(names = "--engine", defaultValue = "djl", description = "djl | ort: what runs the network (ort: the network exported to "
            + "ONNX and run by ONNX Runtime; a text-to-image model as its text encoder, UNet and decoder)") String engine;
    @Option(names = "--model", required = true, description = "model directory") Path model;

    static final class Target {
        @Option(names = "--prompt", description = "a class name, e.g. sneaker") String prompt;
        @Option(names = "--class", description = "class index 0..9") Integer classIndex;
        @Option(names = "--all-classes", description = "N images of every class, one row per class") boolean allClasses;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;
    @Option(names = "--n", defaultValue = "8", description = "images (per class with --all-classes)") int n;
    @Option(names = "--sampler", description = "ddpm | ddim | euler | dpmpp-2m | lcm | tcd | student (default: student for students, else dpmpp-2m)") SamplerFamily sampler;
    @Option(names = "--steps", description = "default: 25, or the student's trained steps") Integer steps;
    @Option(names = "--cfg", description = "guidance scale (default: 3 for teachers, 1 for students)") Double cfg;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--out", defaultValue = "out/grid.png", description = "PNG grid") Path out;
    @Option(names = "--idx", description = "also write PREFIX-images-idx3-ubyte and PREFIX-labels-idx1-ubyte") String idx;

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        org.imagineflash.model.ModelStore.requireWritable(out);
        if (n < 1 || n > 10_000) {
            throw new IllegalArgumentException("--n must be in 1..10000, got " + n);
        }
        if (ModelStore.readConfig(model).unet().isTextConditioned()) {
            return sampleScenes();
        }
        int[] labels;
        int cols;
        if (target.allClasses) {
            labels = new int[10 * n];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = i / n;
            }
            cols = n;
        } else {
            int k = target.prompt != null ? Generator.classOf(target.prompt, false) : target.classIndex;
            Prompts.name(k);
            labels = new int[n];
            java.util.Arrays.fill(labels, k);
            cols = Math.min(n, 10);
        }
        try (Generator g = Generator.load(model, Generator.Engine.parse(engine))) {
            Generator.Options o = g.options(sampler, steps, cfg, samplerOptions::toOptions);
            Generator.Images images = g.generateBatched(labels, seed, o, 64);
            PngGrid.write(PngGrid.grid(images.pixels(), images.count(), images.height(), images.width(), cols, 2), out);
            if (idx != null) {
                new IdxFile(new int[] {labels.length, images.height(), images.width()}, images.pixels()).write(Path.of(idx + "-images-idx3-ubyte"));
                byte[] lb = new byte[labels.length];
                for (int i = 0; i < lb.length; i++) {
                    lb[i] = (byte) labels[i];
                }
                new IdxFile(new int[] {labels.length}, lb).write(Path.of(idx + "-labels-idx1-ubyte"));
            }
            spec.commandLine().getOut().printf("wrote %s (%d images, %s %d steps, cfg %.1f): %.1f ms/image, NFE %d%n",
                    out, labels.length, o.sampler(), o.steps(), o.cfg(), images.millis() / labels.length, images.nfe() * o.nfePerStep());
        }
        return 0;
    }

    /** A text-to-image model: n images of the prompt (a scene caption), image i from seed + i, in a captioned grid. */
    private int sampleScenes() throws Exception {
        if (target.prompt == null) {
            throw new IllegalArgumentException(model + " is a text-to-image model: give --prompt, e.g. \"a red sneaker left of a blue bag\"");
        }
        if (idx != null) {
            throw new IllegalArgumentException("--idx writes grey Fashion-MNIST images; a text-to-image model draws RGB scenes");
        }
        try (Generator g = Generator.load(model)) {
            Generator.Options o = g.options(sampler, steps, cfg, samplerOptions::toOptions);
            long[] seeds = new long[n];
            java.util.List<String> prompts = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                seeds[i] = seed + i;
                prompts.add(target.prompt);
            }
            Generator.Scenes scenes = g.generateScenes(prompts, seeds, o);
            java.util.List<String> captions = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                captions.add("seed " + seeds[i]);
            }
            PngGrid.write(PngGrid.captioned(scenes.images(), captions, org.imagineflash.data.scenes.Scene.SIZE,
                    org.imagineflash.data.scenes.Scene.SIZE, Math.min(n, 4), 3), out);
            spec.commandLine().getOut().printf("wrote %s (%d images of '%s', %s %d steps, cfg %.1f): %.1f ms/image, NFE %d%n",
                    out, n, target.prompt, o.sampler(), o.steps(), o.cfg(), scenes.millis() / n, scenes.nfe() * o.nfePerStep());
        }
        return 0;
    }
}
