package org.imagineflash.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.imagineflash.data.IdxFile;
import org.imagineflash.data.Prompts;
import org.imagineflash.eval.DomainClassifier;
import org.imagineflash.eval.FeatureStats;
import org.imagineflash.eval.FrechetDistance;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code eval}'s instruments, distributed: each shard's images go through the domain classifier on an executor, which
 * keeps only sums (count, Σf, Σffᵀ overall and per requested class, and the correct predictions); the sums are
 * combined with {@code treeAggregate}, and the driver takes the Fréchet distance against the classifier's reference
 * statistics (the test split), the adherence and the per-class breakdown, as {@code eval} does.
 */
public final class SparkEvaluation {
    private SparkEvaluation() {
    }

    /** The shards of a set of class images; a set of scenes, a missing or malformed set is a one-line error. */
    public static List<Shards.Shard> scorableShards(Path images) throws IOException {
        if (Shards.holdsScenes(images)) {
            throw new IllegalArgumentException(images + " holds scenes of a text-to-image model; they are scored with the scene instruments");
        }
        return Shards.readManifest(images);
    }

    public static Map<String, Object> run(JavaSparkContext sc, Path images, Path classifier) throws IOException {
        List<Shards.Shard> shards = scorableShards(images);
        DomainClassifier.Reference ref;
        int d;
        int classes;
        try (DomainClassifier dc = DomainClassifier.load(classifier)) {
            ref = dc.reference();
            if (ref == null) {
                throw new IllegalArgumentException("the classifier has no reference statistics (reference.bin); retrain it with train-classifier");
            }
            d = dc.config().featureDim();
            classes = dc.config().numClasses();
        }
        int total = shards.stream().mapToInt(Shards.Shard::count).sum();
        if (total <= d) {
            throw new IllegalArgumentException("the set must hold more images than the feature dimension " + d + " for a stable covariance, got " + total);
        }
        double[][] shifts = new double[classes + 1][];
        shifts[0] = ref.test().mean();
        for (int c = 0; c < classes; c++) {
            shifts[c + 1] = ref.testPerClass()[c].mean();
        }
        long t0 = System.nanoTime();
        Sums sums = sc.parallelize(shards, Math.max(1, shards.size()))
                .treeAggregate(new Sums(shifts), new ScoreShard(images.toAbsolutePath().toString(), classifier.toAbsolutePath().toString()),
                        Sums::merge);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("n", sums.count[0]);
        r.put("fd", FrechetDistance.between(sums.features[0].stats(), ref.test()));
        r.put("fdFloorTrainVsTest", FrechetDistance.between(ref.train(), ref.test()));
        r.put("adherence", sums.correct[0] / (double) sums.count[0]);
        List<Map<String, Object>> perClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            if (sums.count[c + 1] == 0) {
                continue;
            }
            Map<String, Object> pc = new LinkedHashMap<>();
            pc.put("class", c);
            pc.put("name", Prompts.name(c));
            pc.put("n", sums.count[c + 1]);
            pc.put("adherence", sums.correct[c + 1] / (double) sums.count[c + 1]);
            pc.put("fd", sums.count[c + 1] > d ? FrechetDistance.between(sums.features[c + 1].stats(), ref.testPerClass()[c]) : null);
            perClass.add(pc);
        }
        r.put("perClass", perClass);
        r.put("shards", shards.size());
        r.put("seconds", (System.nanoTime() - t0) / 1e9);
        return r;
    }

    /** Sums of a part of the set: index 0 all images, index c + 1 the images requested as class c. */
    static final class Sums implements Serializable {
        private static final long serialVersionUID = 1L;
        final FeatureStats.Sums[] features;
        final long[] count;
        final long[] correct;

        Sums(double[][] shifts) {
            features = new FeatureStats.Sums[shifts.length];
            for (int i = 0; i < shifts.length; i++) {
                features[i] = new FeatureStats.Sums(shifts[i]);
            }
            count = new long[shifts.length];
            correct = new long[shifts.length];
        }

        void add(float[] f, int label, boolean right) {
            for (int i : new int[] {0, label + 1}) {
                features[i].add(f);
                count[i]++;
                correct[i] += right ? 1 : 0;
            }
        }

        Sums merge(Sums o) {
            for (int i = 0; i < features.length; i++) {
                features[i].merge(o.features[i]);
                count[i] += o.count[i];
                correct[i] += o.correct[i];
            }
            return this;
        }
    }

    /** One shard's task: reads its images and labels, classifies them on the executor, adds them to the sums. */
    static final class ScoreShard implements org.apache.spark.api.java.function.Function2<Sums, Shards.Shard, Sums> {
        private static final long serialVersionUID = 1L;
        private final String images;
        private final String classifier;

        ScoreShard(String images, String classifier) {
            this.images = images;
            this.classifier = classifier;
        }

        @Override
        public Sums call(Sums acc, Shards.Shard s) throws Exception {
            Executor.configure();
            IdxFile im = IdxFile.read(Path.of(images).resolve(Shards.images(s.shard())));
            IdxFile lb = IdxFile.read(Path.of(images).resolve(Shards.labels(s.shard())));
            if (im.count() != s.count() || lb.count() != s.count()) {
                throw new IOException("shard " + s.shard() + " holds " + im.count() + " images and " + lb.count() + " labels, the manifest "
                        + s.count());
            }
            try (DomainClassifier dc = DomainClassifier.load(Path.of(classifier))) {
                DomainClassifier.Outputs out = dc.run(im.data(), im.count());
                for (int i = 0; i < im.count(); i++) {
                    int label = lb.u8(i);
                    if (label >= dc.config().numClasses()) {
                        throw new IOException("shard " + s.shard() + ": label " + label + " is not a class");
                    }
                    acc.add(out.features()[i], label, out.predicted()[i] == label);
                }
            }
            return acc;
        }
    }
}
