package org.imagineflash.eval;

import org.imagineflash.data.LabeledImages;
import org.imagineflash.data.scenes.Caption;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.data.scenes.Scene;
import org.imagineflash.data.scenes.SceneGenerator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The text-to-image benchmark over a prompt suite: the scenes to judge (generated, or real ones rendered from
 * Fashion-MNIST's test split, which give the task's ceiling), their captions, and the CompBench-analogue scores.
 */
public final class SceneBenchmark {
    private SceneBenchmark() {
    }

    /** Scenes paired with the captions they are judged against. */
    public record Judged(List<byte[]> images, List<Caption> captions) {
    }

    /** Real scenes for every prompt of the suite: image k of a prompt rendered with seed + k from the test split. */
    public static Judged realScenes(PromptSuite suite, LabeledImages testSplit, int perPrompt) {
        SceneGenerator gen = new SceneGenerator(testSplit, true, 0);
        List<byte[]> images = new ArrayList<>();
        List<Caption> captions = new ArrayList<>();
        for (PromptSuite.Entry e : suite.entries()) {
            for (int k = 0; k < perPrompt; k++) {
                Scene s = gen.scene(e.caption(), e.seed() + k);
                images.add(s.rgb());
                captions.add(e.caption());
            }
        }
        return new Judged(images, captions);
    }

    /**
     * Scenes a text-to-image model generates for every prompt of the suite: image k of a prompt from seed + k, in
     * batches of at most 64 (each image depends only on its prompt and seed).
     */
    public static Judged generated(org.imagineflash.Generator g, PromptSuite suite, int perPrompt, org.imagineflash.Generator.Options o) {
        List<String> prompts = new ArrayList<>();
        List<Caption> captions = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        for (PromptSuite.Entry e : suite.entries()) {
            for (int k = 0; k < perPrompt; k++) {
                prompts.add(e.prompt());
                captions.add(e.caption());
                seeds.add(e.seed() + k);
            }
        }
        List<byte[]> images = new ArrayList<>();
        for (int s = 0; s < prompts.size(); s += 64) {
            int end = Math.min(prompts.size(), s + 64);
            long[] sd = seeds.subList(s, end).stream().mapToLong(Long::longValue).toArray();
            images.addAll(g.generateScenes(prompts.subList(s, end), sd, o).images());
        }
        return new Judged(images, captions);
    }

    /**
     * The same scenes with their captions permuted (a fixed random derangement): what chance looks like to the
     * evaluator.
     */
    public static Judged shuffled(Judged j, long seed) {
        int n = j.captions().size();
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) { // Sattolo's algorithm: a single cycle, so no caption stays with its scene
            int k = r.nextInt(i);
            int t = p[i];
            p[i] = p[k];
            p[k] = t;
        }
        List<Caption> c = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            c.add(j.captions().get(p[i]));
        }
        return new Judged(j.images(), c);
    }

    /**
     * The scores of judged scenes: with a contrastive model, the Fréchet distance of its image features against its
     * real-scene reference statistics and the CLIP score; then the CompBench-analogue table.
     */
    public static Map<String, Object> score(SceneEvaluator evaluator, ContrastiveModel contrastive, Judged j) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (contrastive != null) {
            float[][] images = contrastive.imageFeatures(j.images()); // once, for both scores
            if (contrastive.reference() != null) {
                m.put("fd", FrechetDistance.between(FeatureStats.of(images), contrastive.reference()));
            }
            m.put("clipScore", ContrastiveModel.meanCosine(images, contrastive.textFeatures(j.captions().stream().map(Caption::text).toList())));
        }
        m.put("compBench", evaluator.score(j.images(), j.captions()).asMap());
        return m;
    }

    /** The same captions with other images (e.g. an autoencoder's reconstructions). */
    public static Judged withImages(Judged j, List<byte[]> images) {
        if (images.size() != j.images().size()) {
            throw new IllegalArgumentException(images.size() + " images for " + j.images().size() + " scenes");
        }
        return new Judged(images, j.captions());
    }
}
