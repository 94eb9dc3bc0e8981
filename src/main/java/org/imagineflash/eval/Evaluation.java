package org.imagineflash.eval;

import org.imagineflash.Generator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's measurements at our scale, for generated (or any) images with requested classes:
 * FD on classifier features against the shipped test-split statistics (FID's analogue), improved precision/recall
 * (k = 3) against a fixed real subset, prompt adherence = classifier accuracy w.r.t. the requested class (CLIP
 * score's analogue), per-class adherence and FD (CompBench-like breakdown), and the floor FD(train, test).
 */
public final class Evaluation {
    public static final int K = 3;

    private Evaluation() {
    }

    /** Scores images (uint8 N·H·W) that were requested as {@code labels}. */
    public static Map<String, Object> score(DomainClassifier dc, byte[] pixels, int[] labels) {
        DomainClassifier.Reference ref = dc.reference();
        if (ref == null) {
            throw new IllegalArgumentException("the classifier has no reference statistics (reference.bin); retrain it with train-classifier");
        }
        int d = dc.config().featureDim();
        if (labels.length <= d) {
            throw new IllegalArgumentException("--n must be above the feature dimension " + d + " for a stable covariance, got " + labels.length);
        }
        for (int l : labels) {
            if (l < 0 || l >= dc.config().numClasses()) {
                throw new IllegalArgumentException("label " + l + " is outside 0.." + (dc.config().numClasses() - 1));
            }
        }
        DomainClassifier.Outputs out = dc.run(pixels, labels.length);
        Map<String, Object> r = new LinkedHashMap<>();
        FeatureStats gen = FeatureStats.of(out.features());
        r.put("n", labels.length);
        r.put("fd", FrechetDistance.between(gen, ref.test()));
        r.put("fdFloorTrainVsTest", FrechetDistance.between(ref.train(), ref.test()));
        int m = Math.min(labels.length, ref.realSubset().length);
        float[][] realSub = Arrays.copyOf(ref.realSubset(), m);
        float[][] genSub = new float[m][];
        for (int i = 0; i < m; i++) {
            genSub[i] = out.features()[(int) ((long) i * labels.length / m)];
        }
        PrecisionRecall.Result pr = PrecisionRecall.compute(realSub, genSub, K);
        r.put("precision", pr.precision());
        r.put("recall", pr.recall());
        r.put("adherence", out.accuracy(labels));
        List<Map<String, Object>> perClass = new ArrayList<>();
        for (int c = 0; c < dc.config().numClasses(); c++) {
            int cc = c;
            int[] idx = java.util.stream.IntStream.range(0, labels.length).filter(i -> labels[i] == cc).toArray();
            if (idx.length == 0) {
                continue;
            }
            Map<String, Object> pc = new LinkedHashMap<>();
            pc.put("class", c);
            pc.put("name", org.imagineflash.data.Prompts.name(c));
            pc.put("n", idx.length);
            long ok = Arrays.stream(idx).filter(i -> out.predicted()[i] == cc).count();
            pc.put("adherence", ok / (double) idx.length);
            if (idx.length > d) {
                float[][] f = Arrays.stream(idx).mapToObj(i -> out.features()[i]).toArray(float[][]::new);
                pc.put("fd", FrechetDistance.between(FeatureStats.of(f), ref.testPerClass()[c]));
            } else {
                pc.put("fd", null);
            }
            perClass.add(pc);
        }
        r.put("perClass", perClass);
        return r;
    }

    /** Balanced labels 0,1,…,K−1,0,1,… for n images. */
    public static int[] balancedLabels(int n, int classes) {
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            l[i] = i % classes;
        }
        return l;
    }

    /** Median latency per image at batch 1 and throughput at batch 64 (after one warm-up each). */
    public static Map<String, Object> speed(Generator g, Generator.Options o, int runs) {
        Map<String, Object> r = new LinkedHashMap<>();
        int[] one = {0};
        g.generate(one, 0, o);
        double[] lat = new double[runs];
        for (int i = 0; i < runs; i++) {
            lat[i] = g.generate(new int[] {i % 10}, 100 + i, o).millis();
        }
        int[] batch = balancedLabels(64, g.config().unet().numClasses());
        g.generate(batch, 0, o);
        double[] thr = new double[Math.max(1, runs / 2)];
        for (int i = 0; i < thr.length; i++) {
            thr[i] = 64 / (g.generate(batch, 1000 + 64L * i, o).millis() / 1000);
        }
        r.put("msPerImageBatch1", median(lat));
        r.put("imagesPerSecondBatch64", median(thr));
        return r;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
