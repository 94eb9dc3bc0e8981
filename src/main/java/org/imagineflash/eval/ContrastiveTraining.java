package org.imagineflash.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.data.scenes.Caption;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.data.scenes.Scene;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.model.Tensors;
import org.imagineflash.train.AdamW;
import org.imagineflash.train.LrSchedule;
import org.imagineflash.train.TrainingLoop;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Training and calibration of the {@link ContrastiveModel}: the symmetric InfoNCE loss over a batch of training-split
 * scenes and their captions (synonyms included), cosine similarities divided by a fixed temperature τ = 0.07 (CLIP's
 * initial value), AdamW with a cosine learning rate. Then the reference statistics of real test-split scenes and the
 * measurements it is judged by.
 */
public final class ContrastiveTraining {
    static final double TEMPERATURE = 0.07;
    /** Real test-split scenes per suite prompt in the Fréchet-distance reference statistics. */
    public static final int REFERENCE_PER_PROMPT = 10;

    private ContrastiveTraining() {
    }

    /**
     * @param hardNegatives whether each caption's {@link Caption#hardNegative} joins the batch's captions as an extra
     *                      negative for the image→text loss (NegCLIP): with in-batch negatives only, a caption and its
     *                      colour-swapped twin almost never meet, and the text encoder learns a bag of words
     */
    public static TrainingLoop.Outcome train(ContrastiveModel m, SceneGenerator scenes, long steps, int batch, double lr, long seed,
                                             boolean hardNegatives, PrintStream progress) throws IOException {
        AdamW adam = AdamW.standard(m.parameters(), 1e-4f);
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.COSINE, lr, Math.min(200, steps / 10), steps);
        TrainingLoop.Step step = (s, r, sub) -> {
            List<byte[]> images = new ArrayList<>();
            List<String> captions = new ArrayList<>();
            List<String> negatives = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                Scene sc = scenes.scene(s * batch + i);
                images.add(sc.rgb());
                captions.add(sc.text());
                if (hardNegatives) {
                    negatives.add(sc.caption().hardNegative(r).text(r));
                }
            }
            captions.addAll(negatives);
            int texts = captions.size();
            int[] idx = new int[batch];
            for (int i = 0; i < batch; i++) {
                idx[i] = i;
            }
            NDArray target = Tensors.ints(sub, idx).oneHot(texts).toType(ai.djl.ndarray.types.DataType.FLOAT32, false); // (B, T)
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                ParameterStore ps = new ParameterStore(sub, false);
                // constants as tensors of the step's manager (see Tensors: autograd must not read a freed scalar)
                NDArray c = Tensors.floats(sub, new float[] {(float) (1 / TEMPERATURE), 0.5f, 1e-12f});
                NDArray im = normalised(m.encodeImages(ps, ContrastiveModel.images(sub, images), true), c.get("2:3"));
                NDArray tx = normalised(m.encodeText(ps, m.tokens(sub, captions), true), c.get("2:3"));
                NDArray logits = im.matMul(tx.transpose()).mul(c.get("0:1"));
                NDArray li = logits.logSoftmax(1).mul(target).sum(new int[] {1}).mean().neg();
                // text→image over the scenes' own captions only: a hard negative has no image of its own
                NDArray lt = logits.get(":, :" + batch).logSoftmax(0).mul(target.get(":, :" + batch)).sum(new int[] {0}).mean().neg();
                NDArray l = li.add(lt).mul(c.get("1:2"));
                gc.backward(l);
                return new float[] {l.getFloat()};
            }
        };
        return new TrainingLoop("train-contrastive", steps, seed, 41, schedule, adam).progress(progress).run(m.manager(), step);
    }

    /** Rows scaled to unit length; {@code eps} (a tensor) keeps the zero row finite. */
    static NDArray normalised(NDArray x, NDArray eps) {
        return x.div(x.square().sum(new int[] {1}, true).add(eps).sqrt());
    }

    /**
     * Reference statistics of the image embeddings of real test-split scenes of the suite's prompts, rendered with
     * other seeds than the ones evaluated ({@value #REFERENCE_PER_PROMPT} per prompt from seed + 100): generated
     * scenes of a suite are compared with real scenes of the same prompts, and real ones score the floor.
     */
    public static FeatureStats reference(ContrastiveModel m, PromptSuite suite, LabeledImages testSplit) {
        SceneGenerator gen = new SceneGenerator(testSplit, true, 1);
        List<byte[]> images = new ArrayList<>();
        for (PromptSuite.Entry e : suite.entries()) {
            for (int k = 0; k < REFERENCE_PER_PROMPT; k++) {
                images.add(gen.scene(e.caption(), e.seed() + 100 + k).rgb());
            }
        }
        return FeatureStats.of(m.imageFeatures(images));
    }

    /**
     * Top-1 caption retrieval: for each scene, its caption among {@code candidates − 1} other distinct captions drawn
     * from {@code pool}; the fraction of scenes whose own caption scores highest.
     */
    public static double retrievalTop1(ContrastiveModel m, List<byte[]> scenes, List<String> captions, List<String> pool,
                                       int candidates, long seed) {
        return retrievalTop1(m, m.imageFeatures(scenes), captions, pool, candidates, seed);
    }

    /** {@link #retrievalTop1} over image embeddings already computed. */
    static double retrievalTop1(ContrastiveModel m, float[][] im, List<String> captions, List<String> pool, int candidates, long seed) {
        List<String> distinct = new ArrayList<>(new java.util.LinkedHashSet<>(pool));
        if (distinct.size() < candidates) {
            throw new IllegalArgumentException("the pool holds " + distinct.size() + " distinct captions, fewer than " + candidates);
        }
        Map<String, float[]> text = new LinkedHashMap<>();
        float[][] tf = m.textFeatures(distinct);
        for (int i = 0; i < distinct.size(); i++) {
            text.put(distinct.get(i), tf[i]);
        }
        for (String c : captions) {
            text.computeIfAbsent(c, k -> m.textFeatures(List.of(k))[0]);
        }
        SplittableRandom r = new SplittableRandom(seed);
        int hits = 0;
        for (int i = 0; i < im.length; i++) {
            double own = ContrastiveModel.cosine(im[i], text.get(captions.get(i)));
            Set<String> others = new HashSet<>();
            boolean best = true;
            while (others.size() < candidates - 1) {
                String c = distinct.get(r.nextInt(distinct.size()));
                if (!c.equals(captions.get(i)) && others.add(c) && ContrastiveModel.cosine(im[i], text.get(c)) >= own) {
                    best = false;
                }
            }
            hits += best ? 1 : 0;
        }
        return (double) hits / im.length;
    }

    /**
     * Whether the model binds words to their place in the caption: over the two-garment scenes, the fraction whose own
     * caption scores above the caption with the colours swapped ({@code bindingColourSwap}, scenes with two colours) and
     * above the caption with the relation reversed ({@code bindingRelationReversed}, spatial scenes). 0.5 is a bag of words.
     *
     * @param im the scenes' image embeddings
     * @param own the embeddings of their captions
     */
    static Map<String, Object> binding(ContrastiveModel m, List<Caption> captions, float[][] im, float[][] own) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("bindingColourSwap", preferred(m, captions, im, own,
                c -> c.items().size() == 2 && c.items().get(0).colour() != c.items().get(1).colour(), Caption::coloursSwapped));
        out.put("bindingRelationReversed", preferred(m, captions, im, own,
                c -> c.items().size() == 2 && c.relation().spatial(), Caption::relationReversed));
        return out;
    }

    /** Over the scenes whose caption passes {@code which}: the fraction that score higher with it than with {@code other} of it. */
    private static double preferred(ContrastiveModel m, List<Caption> captions, float[][] im, float[][] own,
                                    java.util.function.Predicate<Caption> which, java.util.function.UnaryOperator<Caption> other) {
        List<Integer> picked = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) {
            if (which.test(captions.get(i))) {
                picked.add(i);
            }
        }
        if (picked.isEmpty()) {
            return Double.NaN;
        }
        float[][] b = m.textFeatures(picked.stream().map(i -> other.apply(captions.get(i)).text()).toList());
        int wins = 0;
        for (int k = 0; k < picked.size(); k++) {
            int i = picked.get(k);
            wins += ContrastiveModel.cosine(im[i], own[i]) > ContrastiveModel.cosine(im[i], b[k]) ? 1 : 0;
        }
        return (double) wins / picked.size();
    }

    /** The measurements of a trained model on the suite's real test-split scenes: retrieval, CLIP score, FD. */
    public static Map<String, Object> measure(ContrastiveModel m, PromptSuite suite, LabeledImages testSplit, int perPrompt) {
        SceneBenchmark.Judged real = SceneBenchmark.realScenes(suite, testSplit, perPrompt);
        List<String> captions = real.captions().stream().map(c -> c.text()).toList();
        List<String> pool = suite.entries().stream().map(PromptSuite.Entry::prompt).toList();
        float[][] im = m.imageFeatures(real.images()); // once, for every measurement below
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("retrievalTop1Of100", retrievalTop1(m, im, captions, pool, 100, 0));
        float[][] own = m.textFeatures(captions);
        out.put("clipScore", ContrastiveModel.meanCosine(im, own));
        SceneBenchmark.Judged shuffled = SceneBenchmark.shuffled(real, 0);
        out.put("clipScoreShuffled", ContrastiveModel.meanCosine(im, m.textFeatures(shuffled.captions().stream().map(c -> c.text()).toList())));
        out.putAll(binding(m, real.captions(), im, own));
        if (m.reference() != null) {
            out.put("fdRealSuiteVsReference", FrechetDistance.between(FeatureStats.of(im), m.reference()));
        }
        return out;
    }
}
