package org.imagineflash.eval;

import org.imagineflash.data.scenes.Caption;
import org.imagineflash.data.scenes.NamedColour;
import org.imagineflash.data.scenes.Relation;
import org.imagineflash.data.scenes.Scene;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CompBench analogue (Huang et al. 2023, T2I-CompBench): reads a generated scene and checks it against its
 * caption. For each 24×24 cell it decides whether a garment is there (enough lit pixels), reads its colour (the named
 * colour nearest to the chromaticity of its bright pixels) and its class (the cell classifier, trained on 24×24
 * Fashion-MNIST garments, on the cell's grey level: max channel / the colour's max channel). Then, with the
 * caption's garments matched to the detections:
 * <ul>
 *   <li>object: the fraction of requested garments found with the right class;</li>
 *   <li>colour binding: among prompts with a garment found, every found garment has its own colour;</li>
 *   <li>spatial: among spatial prompts whose two garments were found, the relation holds;</li>
 *   <li>count: as many garments as the caption names;</li>
 *   <li>complex: all of it at once.</li>
 * </ul>
 */
public final class SceneEvaluator {
    /** A pixel is lit when its largest channel reaches this (0..255). */
    static final int LIT = 32;
    /** A cell holds a garment when at least this many of its pixels are lit. */
    static final int MIN_LIT = 12;
    private final DomainClassifier cells;

    /** @param cells a classifier of 24×24 garment cells ({@code train-classifier --scene-cells}) */
    public SceneEvaluator(DomainClassifier cells) {
        if (cells.config().imageSize() != Scene.CELL) {
            throw new IllegalArgumentException("the scene evaluator needs a classifier of " + Scene.CELL + "×" + Scene.CELL
                    + " cells (train-classifier --scene-cells), got " + cells.config().imageSize() + "×" + cells.config().imageSize());
        }
        this.cells = cells;
    }

    /** A garment read from a cell. */
    public record Detection(int cell, int garment, NamedColour colour) {
    }

    /** The garments of each scene (RGB, C·48·48 bytes), cell by cell. */
    public List<List<Detection>> read(List<byte[]> scenes) {
        List<int[]> found = new ArrayList<>(); // (scene, cell)
        List<NamedColour> colours = new ArrayList<>();
        List<byte[]> greys = new ArrayList<>();
        for (int s = 0; s < scenes.size(); s++) {
            byte[] rgb = scenes.get(s);
            if (rgb.length != Scene.BYTES) {
                throw new IllegalArgumentException("a scene has " + Scene.BYTES + " bytes, got " + rgb.length);
            }
            for (int cell = 0; cell < 4; cell++) {
                NamedColour c = colour(rgb, cell);
                if (c != null) {
                    found.add(new int[] {s, cell});
                    colours.add(c);
                    greys.add(grey(rgb, cell, c));
                }
            }
        }
        int n = Scene.CELL * Scene.CELL;
        byte[] all = new byte[greys.size() * n];
        for (int i = 0; i < greys.size(); i++) {
            System.arraycopy(greys.get(i), 0, all, i * n, n);
        }
        int[] predicted = greys.isEmpty() ? new int[0] : cells.run(all, greys.size()).predicted();
        List<List<Detection>> out = new ArrayList<>();
        for (int s = 0; s < scenes.size(); s++) {
            out.add(new ArrayList<>());
        }
        for (int i = 0; i < found.size(); i++) {
            out.get(found.get(i)[0]).add(new Detection(found.get(i)[1], predicted[i], colours.get(i)));
        }
        return out;
    }

    /** The largest channel of each pixel of a cell (24×24, row-major). */
    static int[] maxChannels(byte[] rgb, int cell) {
        int plane = Scene.SIZE * Scene.SIZE;
        int oy = (cell / 2) * Scene.CELL;
        int ox = (cell % 2) * Scene.CELL;
        int[] m = new int[Scene.CELL * Scene.CELL];
        for (int y = 0; y < Scene.CELL; y++) {
            for (int x = 0; x < Scene.CELL; x++) {
                int o = (oy + y) * Scene.SIZE + ox + x;
                m[y * Scene.CELL + x] = Math.max(rgb[o] & 0xff, Math.max(rgb[plane + o] & 0xff, rgb[2 * plane + o] & 0xff));
            }
        }
        return m;
    }

    /** The colour of the cell's garment, or null when the cell is empty. */
    static NamedColour colour(byte[] rgb, int cell) {
        int[] m = maxChannels(rgb, cell);
        int lit = 0;
        int peak = 0;
        for (int v : m) {
            lit += v >= LIT ? 1 : 0;
            peak = Math.max(peak, v);
        }
        if (lit < MIN_LIT) {
            return null;
        }
        int plane = Scene.SIZE * Scene.SIZE;
        int oy = (cell / 2) * Scene.CELL;
        int ox = (cell % 2) * Scene.CELL;
        double r = 0;
        double g = 0;
        double b = 0;
        for (int i = 0; i < m.length; i++) {
            if (m[i] >= peak / 2) { // the bright pixels: their chromaticity is the colour's, least disturbed by rounding
                int o = (oy + i / Scene.CELL) * Scene.SIZE + ox + i % Scene.CELL;
                r += rgb[o] & 0xff;
                g += rgb[plane + o] & 0xff;
                b += rgb[2 * plane + o] & 0xff;
            }
        }
        return NamedColour.nearest(r, g, b);
    }

    /** The cell's grey level: max channel scaled by the colour's max channel, as the garment was before colouring. */
    static byte[] grey(byte[] rgb, int cell, NamedColour c) {
        int[] m = maxChannels(rgb, cell);
        byte[] out = new byte[m.length];
        for (int i = 0; i < m.length; i++) {
            out[i] = (byte) Math.min(255, Math.round(m[i] * 255f / c.maxChannel()));
        }
        return out;
    }

    /** How one scene reads against its caption. */
    public record Verdict(int requested, int found, boolean anyFound, boolean coloursBound, boolean spatialAsked,
                          boolean spatialHolds, boolean countRight, boolean complex) {
    }

    /**
     * Matches the caption's garments to detections (each detection used once) so that the most are found with their
     * class, then with their colour, then with the relation holding, and judges the scene.
     */
    public static Verdict judge(Caption caption, List<Detection> detections) {
        List<Caption.Item> items = caption.items();
        int n = detections.size();
        int[] best = null;
        int bestScore = -1;
        // an assignment: for each item a detection index or −1
        int options = n + 1;
        int total = (int) Math.pow(options, items.size());
        for (int code = 0; code < total; code++) {
            int[] a = new int[items.size()];
            int rest = code;
            boolean ok = true;
            for (int j = 0; j < a.length; j++) {
                a[j] = rest % options - 1;
                rest /= options;
                for (int k = 0; k < j; k++) {
                    ok &= a[j] < 0 || a[j] != a[k];
                }
            }
            if (!ok) {
                continue;
            }
            int classes = 0;
            int colours = 0;
            for (int j = 0; j < a.length; j++) {
                if (a[j] >= 0 && detections.get(a[j]).garment() == items.get(j).garment()) {
                    classes++;
                    colours += detections.get(a[j]).colour() == items.get(j).colour() ? 1 : 0;
                }
            }
            int relation = items.size() == 2 && a[0] >= 0 && a[1] >= 0
                    && caption.relation().holds(detections.get(a[0]).cell(), detections.get(a[1]).cell()) ? 1 : 0;
            int score = classes * 100 + colours * 10 + relation;
            if (score > bestScore) {
                bestScore = score;
                best = a;
            }
        }
        int found = 0;
        boolean bound = true;
        for (int j = 0; j < items.size(); j++) {
            if (best[j] >= 0 && detections.get(best[j]).garment() == items.get(j).garment()) {
                found++;
                bound &= detections.get(best[j]).colour() == items.get(j).colour();
            } else {
                best[j] = -1;
            }
        }
        boolean spatialAsked = caption.relation() != null && caption.relation().spatial() && found == 2;
        boolean holds = spatialAsked && caption.relation().holds(detections.get(best[0]).cell(), detections.get(best[1]).cell());
        boolean count = n == items.size();
        boolean relationOk = caption.relation() == null || caption.relation() == Relation.AND || holds;
        boolean complex = found == items.size() && bound && count && relationOk;
        return new Verdict(items.size(), found, found > 0, found > 0 && bound, spatialAsked, holds, count, complex);
    }

    /** CompBench-style scores of a set of scenes, for seen and held-out prompts. */
    public record Scores(double object, double colourBinding, double spatial, double count, double complex, int scenes) {
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("object", object);
            m.put("colourBinding", colourBinding);
            m.put("spatial", spatial);
            m.put("count", count);
            m.put("complex", complex);
            m.put("scenes", scenes);
            return m;
        }

        private static double ratio(long a, long b) {
            return b == 0 ? Double.NaN : (double) a / b;
        }
    }

    /**
     * The counts behind {@link Scores}: garments requested and found, scenes with any garment found and with their
     * colours bound, relational prompts asked and holding, right counts, all-correct scenes, scenes. Counts of parts
     * of a set add up to the counts of the set, so a set can be scored in pieces (on a cluster) and give the same scores.
     */
    public record Tally(long requested, long found, long any, long bound, long spatialAsked, long holds, long count, long complex,
                        long scenes) implements java.io.Serializable {
        public static final Tally ZERO = new Tally(0, 0, 0, 0, 0, 0, 0, 0, 0);

        static Tally of(Verdict v) {
            return new Tally(v.requested(), v.found(), v.anyFound() ? 1 : 0, v.coloursBound() ? 1 : 0, v.spatialAsked() ? 1 : 0,
                    v.spatialHolds() ? 1 : 0, v.countRight() ? 1 : 0, v.complex() ? 1 : 0, 1);
        }

        public Tally plus(Tally o) {
            return new Tally(requested + o.requested, found + o.found, any + o.any, bound + o.bound, spatialAsked + o.spatialAsked,
                    holds + o.holds, count + o.count, complex + o.complex, scenes + o.scenes);
        }

        public Scores scores() {
            return new Scores(Scores.ratio(found, requested), Scores.ratio(bound, any), Scores.ratio(holds, spatialAsked),
                    Scores.ratio(count, scenes), Scores.ratio(complex, scenes), Math.toIntExact(scenes));
        }
    }

    /** The tallies of all scenes, of those whose prompt uses only seen pairs and of those with a held-out pair. */
    public record Tallies(Tally all, Tally seen, Tally heldOut) implements java.io.Serializable {
        public static final Tallies ZERO = new Tallies(Tally.ZERO, Tally.ZERO, Tally.ZERO);

        public Tallies plus(Tallies o) {
            return new Tallies(all.plus(o.all), seen.plus(o.seen), heldOut.plus(o.heldOut));
        }

        public Report report() {
            return new Report(all.scores(), seen.scores(), heldOut.scores());
        }
    }

    /** Scores of all scenes, of those whose prompt uses only seen pairs, and of those with a held-out pair. */
    public record Report(Scores all, Scores seen, Scores heldOut) {
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("all", all.asMap());
            m.put("seen", seen.asMap());
            m.put("heldOut", heldOut.asMap());
            return m;
        }
    }

    /** Scores scenes (RGB bytes) against their captions. */
    public Report score(List<byte[]> scenes, List<Caption> captions) {
        return tally(scenes, captions).report();
    }

    /** The counts behind the scores of scenes (RGB bytes) against their captions. */
    public Tallies tally(List<byte[]> scenes, List<Caption> captions) {
        if (scenes.size() != captions.size()) {
            throw new IllegalArgumentException(scenes.size() + " scenes for " + captions.size() + " captions");
        }
        List<List<Detection>> read = read(scenes);
        Tally all = Tally.ZERO;
        Tally seen = Tally.ZERO;
        Tally held = Tally.ZERO;
        for (int i = 0; i < scenes.size(); i++) {
            Tally t = Tally.of(judge(captions.get(i), read.get(i)));
            all = all.plus(t);
            if (captions.get(i).heldOut()) {
                held = held.plus(t);
            } else {
                seen = seen.plus(t);
            }
        }
        return new Tallies(all, seen, held);
    }
}
