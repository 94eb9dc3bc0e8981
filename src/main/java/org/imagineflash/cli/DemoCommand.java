package org.imagineflash.cli;

import org.imagineflash.Generator;
import org.imagineflash.data.PngGrid;
import org.imagineflash.data.Prompts;
import org.imagineflash.eval.SceneReport;
import org.imagineflash.model.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code imagine-flash demo}: the main job — every shipped model side by side, one row per class, with timings. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Load the shipped models (teacher with DPM-Solver++ 25 steps + CFG 3, and every distilled student),"
                + " generate one row per class, write out/demo.png and print time per image and NFE; text-to-image models"
                + " draw a row of scene prompts each into out/demo-scenes.png. Needs no dataset.")
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--models", defaultValue = "models", description = "folder of model directories") Path models;
    @Option(names = "--per-class", defaultValue = "4", description = "images per class and model") int perClass;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--out", defaultValue = "out/demo.png") Path out;
    @Option(names = "--engine", defaultValue = "djl", description = "djl | ort: what runs each model's networks (ort: exported to ONNX "
            + "and run by ONNX Runtime)") String engine;

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        Generator.Engine on = Generator.Engine.parse(engine);
        org.imagineflash.model.ModelStore.requireWritable(out);
        if (perClass < 1 || perClass > 16) {
            throw new IllegalArgumentException("--per-class must be in 1..16, got " + perClass);
        }
        List<Path> dirs = ModelStore.listTeachersFirst(models);
        if (dirs.isEmpty()) {
            throw new IOException("no diffusion models found in " + models + " (expected sub-folders with config.json and weights.params)");
        }
        PrintWriter o = spec.commandLine().getOut();
        int[] labels = new int[10 * perClass];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i / perClass;
        }
        List<BufferedImage> columns = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        List<byte[]> scenes = new ArrayList<>();
        List<String> sceneCaptions = new ArrayList<>();
        o.printf("%-22s %-9s %-7s %-5s %-5s %-12s %-12s%n", "model", "kind", "sampler", "steps", "NFE", "ms/image", "ms@batch1");
        for (Path dir : dirs) {
            try (Generator g = Generator.load(dir, on)) {
                if (g.isTextToImage()) {
                    sceneRow(g, dir, o, scenes, sceneCaptions);
                    continue;
                }
                Generator.Options opt = g.defaults();
                g.generate(new int[] {0}, seed, opt); // warm-up
                Generator.Images im = g.generate(labels, seed, opt);
                Generator.Images one = g.generate(new int[] {7}, seed, opt);
                int nfe = im.nfe() * opt.nfePerStep();
                o.printf("%-22s %-9s %-7s %-5d %-5d %-12.2f %-12.2f%n", dir.getFileName(), g.config().kind(),
                        opt.sampler(), opt.steps(), nfe, im.millis() / labels.length, one.millis());
                columns.add(PngGrid.grid(im.pixels(), labels.length, im.height(), im.width(), perClass, 2));
                captions.add(dir.getFileName() + " (" + opt.steps() + " st)");
            }
        }
        if (!scenes.isEmpty()) {
            Path sceneOut = scenesFile(out);
            PngGrid.write(PngGrid.captioned(scenes, sceneCaptions, 48, 48, SceneReport.GRID_PROMPTS.size(), 3), sceneOut);
            o.println("wrote " + sceneOut + " (one row per text-to-image model)");
        }
        if (columns.isEmpty()) {
            if (!scenes.isEmpty()) {
                return 0;
            }
            throw new IOException("no class-conditional models in " + models + " to show");
        }
        int colW = columns.get(0).getWidth() + 8;
        BufferedImage all = new BufferedImage(colW * columns.size(), columns.get(0).getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        var g2 = all.createGraphics();
        g2.setColor(java.awt.Color.WHITE);
        g2.fillRect(0, 0, all.getWidth(), all.getHeight());
        for (int i = 0; i < columns.size(); i++) {
            g2.drawImage(columns.get(i), i * colW, 0, null);
        }
        g2.dispose();
        PngGrid.write(PngGrid.labeled(all, Prompts.CLASS_NAMES, captions, colW), out);
        o.println("wrote " + out + "  (NFE counts both guidance branches; ms on " + Runtime.getRuntime().availableProcessors() + " cores)");
        return 0;
    }

    /** One row of a text-to-image model: the scene prompts, seeds seed..seed+7, with its timing in the table. */
    private void sceneRow(Generator g, Path dir, PrintWriter o, List<byte[]> scenes, List<String> sceneCaptions) {
        Generator.Options opt = g.defaults();
        long[] seeds = new long[SceneReport.GRID_PROMPTS.size()];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = seed + i;
        }
        g.generateScenes(List.of(SceneReport.GRID_PROMPTS.get(0)), new long[] {seed}, opt); // warm-up
        Generator.Scenes row = g.generateScenes(SceneReport.GRID_PROMPTS, seeds, opt);
        Generator.Scenes one = g.generateScenes(List.of(SceneReport.GRID_PROMPTS.get(1)), new long[] {seed}, opt);
        int nfe = row.nfe() * opt.nfePerStep();
        o.printf("%-22s %-9s %-7s %-5d %-5d %-12.2f %-12.2f (text-to-image, with the decoder)%n", dir.getFileName(), g.config().kind(),
                opt.sampler(), opt.steps(), nfe, row.millis() / SceneReport.GRID_PROMPTS.size(), one.millis());
        for (int i = 0; i < SceneReport.GRID_PROMPTS.size(); i++) {
            scenes.add(row.images().get(i));
            sceneCaptions.add(i == 0 ? dir.getFileName() + ": " + SceneReport.GRID_PROMPTS.get(i) : SceneReport.GRID_PROMPTS.get(i));
        }
    }

    /** out/demo.png → out/demo-scenes.png. */
    static Path scenesFile(Path out) {
        String name = out.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return out.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + "-scenes.png");
    }
}
