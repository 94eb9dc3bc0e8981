package org.imagineflash.cli;

import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.PngGrid;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.data.scenes.Scene;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.model.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code imagine-flash scenes}: renders real captioned fashion scenes, the text-to-image task's data. */
@Command(name = "scenes", mixinStandardHelpOptions = true,
        description = {"Render captioned fashion scenes (48×48 RGB, a 2×2 grid of coloured Fashion-MNIST garments)",
                "as a PNG grid with their captions: the data of the text-to-image task."})
public final class ScenesCommand implements Callable<Integer> {
    @Mixin
    Verbose verbose;
    @Option(names = "--data", description = "Fashion-MNIST directory") Path data;
    @Option(names = "--split", defaultValue = "train", description = "train (never shows held-out pairs) | test") String split;
    @Option(names = "--n", defaultValue = "16", description = "scenes, 1..256") int n;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--out", defaultValue = "out/scenes.png") Path out;
    @Option(names = "--write-suite", description = "write the standard prompt suite to this file instead") Path writeSuite;

    @Override
    public Integer call() throws Exception {
        if (writeSuite != null) {
            PromptSuite suite = PromptSuite.standard();
            suite.write(writeSuite);
            System.out.println("wrote " + writeSuite + " (" + suite.entries().size() + " prompts)");
            return 0;
        }
        if (n < 1 || n > 256) {
            throw new IllegalArgumentException("--n must be in 1..256, got " + n);
        }
        FashionMnist.Split s = switch (split) {
            case "train" -> FashionMnist.Split.TRAIN;
            case "test" -> FashionMnist.Split.TEST;
            default -> throw new IllegalArgumentException("--split must be train or test, got " + split);
        };
        ModelStore.requireWritable(out);
        SceneGenerator gen = new SceneGenerator(FashionMnist.load(data, s), s == FashionMnist.Split.TEST, seed);
        List<byte[]> images = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Scene sc = gen.scene(i);
            images.add(sc.rgb());
            captions.add(sc.text());
        }
        PngGrid.write(PngGrid.captioned(images, captions, Scene.SIZE, Scene.SIZE, Math.min(4, n), 3), out);
        System.out.println("wrote " + out + " (" + n + " " + split + " scenes, seed " + seed + ")");
        return 0;
    }
}
