package org.imagineflash.spark;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files of a generated set: per shard (one per partition) the images and their classes in Fashion-MNIST's IDX
 * format, or for scenes a folder of PNG files, one per image; and a manifest with one line per image (index, prompt,
 * class (empty for a scene), seed, shard, file, position in the shard).
 */
public final class Shards {
    public static final String MANIFEST = "manifest.csv";

    private Shards() {
    }

    public static String images(int shard) {
        return String.format("images-%05d-idx3-ubyte", shard);
    }

    public static String labels(int shard) {
        return String.format("labels-%05d-idx1-ubyte", shard);
    }

    /** The folder of shard {@code shard}'s scenes, one PNG per image. */
    public static String scenes(int shard) {
        return String.format("scenes-%05d", shard);
    }

    /** The file of a scene: its shard's folder and its index. */
    public static String scene(int shard, int index) {
        return scenes(shard) + "/" + String.format("%09d.png", index);
    }

    /** One shard: its index, its first image and its image count. */
    public record Shard(int shard, int first, int count) implements java.io.Serializable {
    }

    /** Writes the manifest atomically (last, so that a set with a manifest is complete). */
    static void writeManifest(Path out, GenerationPlan plan, List<Shard> shards) throws IOException {
        Path tmp = out.resolve("." + MANIFEST + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write("index,prompt,class,seed,shard,file,position\n");
            for (Shard s : shards) {
                for (int k = 0; k < s.count(); k++) {
                    int i = s.first() + k;
                    String label = plan.scenes() ? "" : String.valueOf(plan.labels()[i]);
                    String file = plan.scenes() ? scene(s.shard(), i) : images(s.shard());
                    w.write(i + "," + plan.prompt(i).replace(',', ' ') + "," + label + "," + plan.seedOf(i) + "," + s.shard() + ","
                            + file + "," + k + "\n");
                }
            }
        }
        Files.move(tmp, out.resolve(MANIFEST), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The shards a manifest lists, in order; a missing or malformed manifest is a clear error. */
    public static List<Shard> readManifest(Path dir) throws IOException {
        List<Shard> shards = new ArrayList<>();
        for (String[] f : rows(dir)) {
            int index = Integer.parseInt(f[0]);
            int shard = Integer.parseInt(f[4]);
            Shard last = shards.isEmpty() ? null : shards.get(shards.size() - 1);
            if (last != null && last.shard() == shard) {
                shards.set(shards.size() - 1, new Shard(shard, last.first(), last.count() + 1));
            } else {
                shards.add(new Shard(shard, index, 1));
            }
        }
        return shards;
    }

    /** A shard of scenes: its index and, per image, its PNG (relative to the set) and its prompt. */
    public record SceneShard(int shard, List<String> files, List<String> prompts) implements java.io.Serializable {
    }

    /** The shards of a set of scenes, in order; a set of class images, a missing or malformed manifest is a clear error. */
    public static List<SceneShard> readSceneShards(Path dir) throws IOException {
        List<SceneShard> shards = new ArrayList<>();
        for (String[] f : rows(dir)) {
            if (!f[2].isEmpty() || !f[5].endsWith(".png")) {
                throw new IllegalArgumentException(dir + " holds class images, not scenes");
            }
            int shard = Integer.parseInt(f[4]);
            if (shards.isEmpty() || shards.get(shards.size() - 1).shard() != shard) {
                shards.add(new SceneShard(shard, new ArrayList<>(), new ArrayList<>()));
            }
            shards.get(shards.size() - 1).files().add(f[5]);
            shards.get(shards.size() - 1).prompts().add(f[1]);
        }
        return shards;
    }

    /** Whether a set holds scenes (a text-to-image model's PNGs) rather than class images. */
    public static boolean holdsScenes(Path dir) throws IOException {
        List<String[]> rows = rows(dir);
        return !rows.isEmpty() && rows.get(0)[5].endsWith(".png");
    }

    /** The manifest's lines: index, prompt, class, seed, shard, file, position; each checked for its numbers. */
    private static List<String[]> rows(Path dir) throws IOException {
        Path m = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(m)) {
            throw new IOException(dir + " is not a generated set (no " + MANIFEST + ")");
        }
        List<String[]> rows = new ArrayList<>();
        try (var lines = Files.lines(m, StandardCharsets.UTF_8)) {
            var it = lines.iterator();
            if (!it.hasNext() || !it.next().equals("index,prompt,class,seed,shard,file,position")) {
                throw new IOException(m + ": not a manifest (its header is wrong)");
            }
            int line = 1;
            while (it.hasNext()) {
                line++;
                String[] f = it.next().split(",", -1);
                try {
                    if (f.length != 7) {
                        throw new NumberFormatException();
                    }
                    Integer.parseInt(f[0]);
                    Long.parseLong(f[3]);
                    Integer.parseInt(f[4]);
                    Integer.parseInt(f[6]);
                } catch (RuntimeException e) {
                    throw new IOException(m + " line " + line + ": malformed");
                }
                rows.add(f);
            }
        }
        return rows;
    }
}
