package org.imagineflash.data;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loads a folder of PNG images with one sub-folder per class (sorted by name = class index), converted to
 * grayscale; all images must have the same size.
 */
public final class ImageFolder {
    private ImageFolder() {
    }

    public static LabeledImages load(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("image folder not found: " + root);
        }
        List<Path> classes;
        try (Stream<Path> s = Files.list(root)) {
            classes = s.filter(Files::isDirectory).sorted().toList();
        }
        if (classes.isEmpty()) {
            throw new IOException(root + ": no class sub-folders (expected one folder of PNG files per class)");
        }
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        List<Integer> labels = new ArrayList<>();
        int h = -1;
        int w = -1;
        for (int k = 0; k < classes.size(); k++) {
            List<Path> files;
            try (Stream<Path> s = Files.list(classes.get(k))) {
                files = s.filter(p -> p.toString().toLowerCase().endsWith(".png")).sorted().toList();
            }
            for (Path f : files) {
                BufferedImage img = ImageIO.read(f.toFile());
                if (img == null) {
                    throw new IOException(f + ": not a readable PNG image");
                }
                if (h < 0) {
                    h = img.getHeight();
                    w = img.getWidth();
                } else if (img.getHeight() != h || img.getWidth() != w) {
                    throw new IOException(f + ": size " + img.getWidth() + "×" + img.getHeight() + " differs from " + w + "×" + h);
                }
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int rgb = img.getRGB(x, y);
                        int gray = (int) Math.round(0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff));
                        pixels.write(gray);
                    }
                }
                labels.add(k);
            }
        }
        if (labels.isEmpty()) {
            throw new IOException(root + ": no PNG images in the class folders");
        }
        return new LabeledImages(pixels.toByteArray(), labels.stream().mapToInt(Integer::intValue).toArray(), h, w, classes.size());
    }
}
