package org.imagineflash.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.imagineflash.data.scenes.Caption;
import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.eval.ContrastiveModel;
import org.imagineflash.eval.DomainClassifier;
import org.imagineflash.eval.FeatureStats;
import org.imagineflash.eval.FrechetDistance;
import org.imagineflash.eval.SceneEvaluator;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code eval --scene-suite}'s instruments over a generated set of scenes, distributed: each shard's PNGs are read on
 * an executor, which keeps only sums: the contrastive model's image features (count, Σf, Σffᵀ), the summed cosine of
 * each image with its caption, and the scene evaluator's counts ({@link SceneEvaluator.Tallies}). The sums are combined
 * with {@code treeAggregate}; the driver takes the Fréchet distance against the contrastive model's real-scene
 * statistics, the CLIP score and the CompBench-style table, as {@link org.imagineflash.eval.SceneBenchmark#score} does.
 */
public final class SparkSceneEvaluation {
    private SparkSceneEvaluation() {
    }

    public static Map<String, Object> run(JavaSparkContext sc, Path images, Path cellClassifier, Path contrastive) throws IOException {
        List<Shards.SceneShard> shards = Shards.readSceneShards(images);
        FeatureStats reference;
        int d;
        try (ContrastiveModel cm = ContrastiveModel.load(contrastive)) {
            reference = cm.reference();
            if (reference == null) {
                throw new IllegalArgumentException("the contrastive model has no reference statistics (reference.bin); retrain it with train-contrastive");
            }
            d = reference.dim();
        }
        DomainClassifier.load(cellClassifier).close();
        long t0 = System.nanoTime();
        Sums sums = sc.parallelize(shards, Math.max(1, shards.size()))
                .treeAggregate(new Sums(reference.mean()), new ScoreShard(images.toAbsolutePath().toString(),
                        cellClassifier.toAbsolutePath().toString(), contrastive.toAbsolutePath().toString()), Sums::merge);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("scenes", sums.features.count());
        r.put("fd", sums.features.count() > d ? FrechetDistance.between(sums.features.stats(), reference) : null);
        r.put("clipScore", sums.cosines / sums.features.count());
        r.put("compBench", sums.tallies.report().asMap());
        r.put("shards", shards.size());
        r.put("seconds", (System.nanoTime() - t0) / 1e9);
        return r;
    }

    /** A PNG scene as the RGB planes the instruments read (the inverse of {@code Generator.Scenes.image}). */
    static byte[] planes(BufferedImage img) {
        int w = img.getWidth();
        int plane = w * img.getHeight();
        byte[] px = new byte[3 * plane];
        for (int p = 0; p < plane; p++) {
            int rgb = img.getRGB(p % w, p / w);
            px[p] = (byte) (rgb >> 16);
            px[plane + p] = (byte) (rgb >> 8);
            px[2 * plane + p] = (byte) rgb;
        }
        return px;
    }

    /** Sums of a part of the set. */
    static final class Sums implements Serializable {
        private static final long serialVersionUID = 1L;
        final FeatureStats.Sums features;
        double cosines;
        SceneEvaluator.Tallies tallies = SceneEvaluator.Tallies.ZERO;

        Sums(double[] shift) {
            features = new FeatureStats.Sums(shift);
        }

        Sums merge(Sums o) {
            features.merge(o.features);
            cosines += o.cosines;
            tallies = tallies.plus(o.tallies);
            return this;
        }
    }

    /** One shard's task: reads its PNGs and captions, scores them on the executor, adds them to the sums. */
    static final class ScoreShard implements org.apache.spark.api.java.function.Function2<Sums, Shards.SceneShard, Sums> {
        private static final long serialVersionUID = 1L;
        private final String images;
        private final String cellClassifier;
        private final String contrastive;

        ScoreShard(String images, String cellClassifier, String contrastive) {
            this.images = images;
            this.cellClassifier = cellClassifier;
            this.contrastive = contrastive;
        }

        @Override
        public Sums call(Sums acc, Shards.SceneShard s) throws Exception {
            Executor.configure();
            List<byte[]> scenes = new ArrayList<>();
            List<Caption> captions = new ArrayList<>();
            for (int i = 0; i < s.files().size(); i++) {
                BufferedImage img = ImageIO.read(Path.of(images).resolve(s.files().get(i)).toFile());
                if (img == null) {
                    throw new IOException(s.files().get(i) + " is not a PNG");
                }
                scenes.add(planes(img));
                captions.add(CaptionParser.parse(s.prompts().get(i)));
            }
            try (DomainClassifier cells = DomainClassifier.load(Path.of(cellClassifier));
                 ContrastiveModel cm = ContrastiveModel.load(Path.of(contrastive))) {
                float[][] f = cm.imageFeatures(scenes);
                float[][] t = cm.textFeatures(captions.stream().map(Caption::text).toList());
                for (int i = 0; i < f.length; i++) {
                    acc.features.add(f[i]);
                    acc.cosines += ContrastiveModel.cosine(f[i], t[i]);
                }
                acc.tallies = acc.tallies.plus(new SceneEvaluator(cells).tally(scenes, captions));
            }
            return acc;
        }
    }
}
