package org.imagineflash.export;

import org.imagineflash.Generator;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in its own JVM by {@link StudentGraphTest}: loads a model on an engine, generates one image, and prints whether
 * the process has libtorch mapped ("torch=true|false") and the image's first pixel.
 */
public final class NoTorchProbe {
    private NoTorchProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (Generator g = Generator.load(Path.of(args[0]), Generator.Engine.parse(args[1]))) {
            byte[] px = g.generate(new int[] {7}, 3, g.defaults()).pixels();
            boolean torch = Files.readString(Path.of("/proc/self/maps")).contains("libtorch");
            System.out.println("torch=" + torch + " pixel=" + (px[0] & 0xff));
        }
    }
}
