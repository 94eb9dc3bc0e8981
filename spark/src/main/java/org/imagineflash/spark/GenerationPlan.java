package org.imagineflash.spark;

import org.imagineflash.Generator;
import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.data.scenes.PromptSuite;

import java.io.Serializable;
import java.util.List;

/**
 * Which image is which: prompt j's images are indices j·n … j·n + n − 1, and image i starts from the noise of seed + i,
 * as {@code imagine-flash sample} numbers them (for a prompt suite, image k of prompt j from the prompt's seed + k).
 * The images are generated in batches of {@link #BATCH} aligned on the index (as {@code sample} does), and a partition
 * takes whole batches, so image i depends only on (model, prompt, its seed): never on the partitioning or the
 * executor count.
 *
 * @param prompts the prompts, in order: class names, or scene captions for a text-to-image model
 * @param labels the class of every image (−1 for a scene)
 * @param seed the seed of image 0
 * @param scenes whether the prompts are scene captions (images are RGB scenes, written as PNG)
 * @param promptSeeds null: image i from seed + i; else image k of prompt j from promptSeeds[j] + k (a prompt suite's
 *     seeds, as {@code eval --scene-suite} draws it)
 */
public record GenerationPlan(List<String> prompts, int[] labels, long seed, boolean scenes, long[] promptSeeds) implements Serializable {
    /** Images per forward pass: the batch {@code sample} generates with. */
    public static final int BATCH = 64;
    /** At most this many images per job (a bound on the manifest the driver writes). */
    public static final long MAX_IMAGES = 100_000_000L;

    /** {@code perPrompt} images of every class prompt; an unknown prompt is an error that names it. */
    public static GenerationPlan of(List<String> prompts, int perPrompt, long seed) {
        int[] labels = new int[checkedSize(prompts, perPrompt)];
        for (int j = 0; j < prompts.size(); j++) {
            java.util.Arrays.fill(labels, j * perPrompt, (j + 1) * perPrompt, Generator.classOf(prompts.get(j), false));
        }
        return new GenerationPlan(List.copyOf(prompts), labels, seed, false, null);
    }

    /**
     * {@code perPrompt} images of every scene caption, for a text-to-image model; a sentence the task's grammar does
     * not read (an unknown word: the error names it and the nearest known words) fails here, on the driver.
     */
    public static GenerationPlan ofScenes(List<String> captions, int perPrompt, long seed) {
        int[] labels = new int[checkedSize(captions, perPrompt)];
        java.util.Arrays.fill(labels, -1);
        for (String c : captions) {
            CaptionParser.parse(c);
        }
        return new GenerationPlan(List.copyOf(captions), labels, seed, true, null);
    }

    /**
     * {@code perPrompt} images of every prompt of a scene suite (e.g. {@code prompts/scenes.txt}), image k of a prompt
     * from the prompt's seed + k: the images {@code eval --scene-suite --per-prompt perPrompt} scores.
     */
    public static GenerationPlan ofSuite(PromptSuite suite, int perPrompt) {
        List<String> captions = suite.entries().stream().map(PromptSuite.Entry::prompt).toList();
        int[] labels = new int[checkedSize(captions, perPrompt)];
        java.util.Arrays.fill(labels, -1);
        long[] seeds = suite.entries().stream().mapToLong(PromptSuite.Entry::seed).toArray();
        return new GenerationPlan(captions, labels, seeds[0], true, seeds);
    }

    /** The seed of image i's noise. */
    public long seedOf(int i) {
        int per = labels.length / prompts.size();
        return promptSeeds == null ? seed + i : promptSeeds[i / per] + i % per;
    }

    private static int checkedSize(List<String> prompts, int perPrompt) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts: give --prompts FILE, --prompt TEXT or --all-classes");
        }
        if (perPrompt < 1 || (long) perPrompt * prompts.size() > MAX_IMAGES) {
            throw new IllegalArgumentException("--n must be in 1.." + MAX_IMAGES / prompts.size() + " for " + prompts.size() + " prompts, got " + perPrompt);
        }
        return perPrompt * prompts.size();
    }

    public int size() {
        return labels.length;
    }

    public int batches() {
        return (labels.length + BATCH - 1) / BATCH;
    }

    /** The images of partition p of n: whole batches, as evenly spread as they divide. */
    public Range range(int p, int partitions) {
        int b = batches();
        int first = (int) ((long) p * b / partitions);
        int last = (int) ((long) (p + 1) * b / partitions);
        return new Range(Math.min(size(), first * BATCH), Math.min(size(), last * BATCH));
    }

    /** The prompt of image i. */
    public String prompt(int i) {
        return prompts.get(i / (labels.length / prompts.size()));
    }

    /** Images [from, to). */
    public record Range(int from, int to) implements Serializable {
        public int count() {
            return to - from;
        }
    }
}
