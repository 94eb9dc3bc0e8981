package org.imagineflash.data.scenes;

import org.imagineflash.data.LabeledImages;
import org.imagineflash.random.Seeds;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic captioned fashion scenes: scene i of (split, seed) depends on nothing else. A quarter of the scenes
 * hold one garment, half two garments in a spatial relation, a quarter two garments joined by "and". Training scenes
 * ({@code heldOut = false}) never use a held-out colour–garment pair ({@link Caption#HELD_OUT}); reference scenes
 * use every pair.
 */
public final class SceneGenerator {
    private static final long PURPOSE = 0x5CE7E5L;
    private final LabeledImages garments;
    private final boolean allowHeldOut;
    private final long seed;
    private final int[][] byClass;

    /**
     * @param garments Fashion-MNIST images of one split (28×28, ten classes)
     * @param allowHeldOut whether captions may use held-out pairs (false for training scenes)
     */
    public SceneGenerator(LabeledImages garments, boolean allowHeldOut, long seed) {
        if (garments.numClasses() != Caption.GARMENTS) {
            throw new IllegalArgumentException("scenes are made of the ten Fashion-MNIST classes, got " + garments.numClasses());
        }
        this.garments = garments;
        this.allowHeldOut = allowHeldOut;
        this.seed = seed;
        int[] count = new int[Caption.GARMENTS];
        for (int l : garments.labels()) {
            count[l]++;
        }
        byClass = new int[Caption.GARMENTS][];
        for (int k = 0; k < byClass.length; k++) {
            if (count[k] == 0) {
                throw new IllegalArgumentException("the garment images hold no " + Caption.NAMES.get(k).get(0));
            }
            byClass[k] = new int[count[k]];
            count[k] = 0;
        }
        for (int i = 0; i < garments.size(); i++) {
            int l = garments.labels()[i];
            byClass[l][count[l]++] = i;
        }
    }

    /** Scene i: a random caption, drawn with synonyms, and its rendering. */
    public Scene scene(long i) {
        SplittableRandom r = Seeds.stream(seed, i, PURPOSE);
        Caption c = randomCaption(r);
        return render(c, c.text(r), r);
    }

    /** The caption of scene i, without rendering it. */
    public String caption(long i) {
        SplittableRandom r = Seeds.stream(seed, i, PURPOSE);
        return randomCaption(r).text(r);
    }

    /** Scene i for a given caption (the prompt suite's real references): random cells and garment images. */
    public Scene scene(Caption c, long i) {
        if (!allowHeldOut && c.heldOut()) {
            throw new IllegalArgumentException("'" + c.text() + "' uses a held-out pair, which training scenes never show");
        }
        return render(c, c.text(), Seeds.stream(seed, i, PURPOSE + 1));
    }

    private Caption randomCaption(SplittableRandom r) {
        while (true) {
            double u = r.nextDouble();
            Caption.Item a = item(r);
            Caption c;
            if (u < 0.25) {
                c = Caption.of(a);
            } else {
                Caption.Item b = item(r);
                if (a.equals(b)) {
                    continue;
                }
                Relation rel = u < 0.75 ? Relation.values()[r.nextInt(4)] : Relation.AND;
                c = Caption.of(a, rel, b);
            }
            if (allowHeldOut || !c.heldOut()) {
                return c;
            }
        }
    }

    private static Caption.Item item(SplittableRandom r) {
        return new Caption.Item(r.nextInt(Caption.GARMENTS), NamedColour.values()[r.nextInt(NamedColour.values().length)]);
    }

    /** Cells for the caption's items: random, and adjacent in one row or column for a spatial relation. */
    static int[] cells(Caption c, SplittableRandom r) {
        if (c.relation() == null) {
            return new int[] {r.nextInt(4)};
        }
        while (true) {
            int a = r.nextInt(4);
            int b = r.nextInt(4);
            if (c.relation().holds(a, b)) {
                return new int[] {a, b};
            }
        }
    }

    private Scene render(Caption c, String text, SplittableRandom r) {
        int[] cells = cells(c, r);
        byte[] rgb = new byte[Scene.BYTES];
        List<Integer> cellList = new ArrayList<>();
        List<Integer> sources = new ArrayList<>();
        for (int j = 0; j < cells.length; j++) {
            Caption.Item it = c.items().get(j);
            int[] pool = byClass[it.garment()];
            int src = pool[r.nextInt(pool.length)];
            paint(rgb, cells[j], resized(garments, src), it.colour());
            cellList.add(cells[j]);
            sources.add(src);
        }
        return new Scene(c, text, cellList, sources, rgb);
    }

    /** Writes a 24×24 grey garment into a cell, each channel grey·colour/255 (rounded). */
    static void paint(byte[] rgb, int cell, float[] grey, NamedColour colour) {
        int oy = (cell / 2) * Scene.CELL;
        int ox = (cell % 2) * Scene.CELL;
        for (int ch = 0; ch < Scene.CHANNELS; ch++) {
            int base = ch * Scene.SIZE * Scene.SIZE;
            for (int y = 0; y < Scene.CELL; y++) {
                for (int x = 0; x < Scene.CELL; x++) {
                    int v = Math.round(grey[y * Scene.CELL + x] * colour.channel(ch) / 255f);
                    rgb[base + (oy + y) * Scene.SIZE + ox + x] = (byte) v;
                }
            }
        }
    }

    /** Every image resized to a 24×24 garment cell (rounded grey levels): the data of the scene evaluator's cell classifier. */
    public static LabeledImages cells(LabeledImages images) {
        int n = Scene.CELL * Scene.CELL;
        byte[] px = new byte[images.size() * n];
        for (int i = 0; i < images.size(); i++) {
            float[] g = resized(images, i);
            for (int j = 0; j < n; j++) {
                px[i * n + j] = (byte) Math.round(g[j]);
            }
        }
        return new LabeledImages(px, images.labels().clone(), Scene.CELL, Scene.CELL, images.numClasses());
    }

    /** Image src of the split resized to 24×24 (grey levels 0..255). */
    public static float[] resized(LabeledImages images, int src) {
        return areaResize(images.pixels(), src * images.height() * images.width(), images.height(), images.width(), Scene.CELL);
    }

    /**
     * Area (box-filter) resampling of an h×w grey image to n×n: each output pixel averages the input it covers, with
     * fractional weights at the edges (the antialiased downscale of OpenCV's INTER_AREA). Java's own image scaling
     * depends on the rendering pipeline; this is exact and the same on every JVM.
     */
    static float[] areaResize(byte[] px, int off, int h, int w, int n) {
        float[] out = new float[n * n];
        double sy = (double) h / n;
        double sx = (double) w / n;
        for (int oy = 0; oy < n; oy++) {
            double y0 = oy * sy;
            double y1 = y0 + sy;
            for (int ox = 0; ox < n; ox++) {
                double x0 = ox * sx;
                double x1 = x0 + sx;
                double sum = 0;
                for (int y = (int) Math.floor(y0); y < Math.ceil(y1) && y < h; y++) {
                    double wy = Math.min(y1, y + 1) - Math.max(y0, y);
                    for (int x = (int) Math.floor(x0); x < Math.ceil(x1) && x < w; x++) {
                        double wx = Math.min(x1, x + 1) - Math.max(x0, x);
                        sum += wy * wx * (px[off + y * w + x] & 0xff);
                    }
                }
                out[oy * n + ox] = (float) (sum / (sy * sx));
            }
        }
        return out;
    }
}
