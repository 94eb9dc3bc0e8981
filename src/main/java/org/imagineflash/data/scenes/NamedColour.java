package org.imagineflash.data.scenes;

import java.util.Locale;

/** The eight colours of fashion scenes; a garment's pixel is its grey level times its colour. */
public enum NamedColour {
    RED(230, 40, 40), ORANGE(240, 140, 30), YELLOW(235, 220, 50), GREEN(50, 190, 70),
    CYAN(40, 200, 210), BLUE(50, 90, 230), PURPLE(150, 60, 200), WHITE(235, 235, 235);

    private final int r;
    private final int g;
    private final int b;

    NamedColour(int r, int g, int b) {
        this.r = r;
        this.g = g;
        this.b = b;
    }

    /** The colour's channel c (0 red, 1 green, 2 blue), 0..255. */
    public int channel(int c) {
        return c == 0 ? r : c == 1 ? g : b;
    }

    /** The largest channel: a garment pixel of grey g has max channel g·max/255. */
    public int maxChannel() {
        return Math.max(r, Math.max(g, b));
    }

    /** The word in captions. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The named colour nearest to a chromaticity (a pixel's channels divided by its largest), so that the grey level
     * of the garment does not matter.
     */
    public static NamedColour nearest(double red, double green, double blue) {
        double m = Math.max(red, Math.max(green, blue));
        if (m <= 0) {
            return WHITE;
        }
        NamedColour best = WHITE;
        double bestD = Double.MAX_VALUE;
        for (NamedColour c : values()) {
            double cm = c.maxChannel();
            double dr = red / m - c.r / cm;
            double dg = green / m - c.g / cm;
            double db = blue / m - c.b / cm;
            double d = dr * dr + dg * dg + db * db;
            if (d < bestD) {
                bestD = d;
                best = c;
            }
        }
        return best;
    }
}
