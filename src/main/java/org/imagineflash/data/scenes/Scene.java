package org.imagineflash.data.scenes;

import java.util.List;

/**
 * A rendered fashion scene: 48×48 RGB on black, a 2×2 grid of 24×24 cells (row-major 0 1 / 2 3), one garment per
 * occupied cell.
 *
 * @param caption what the text says (garments, colours, relation)
 * @param text the caption as written (synonyms may differ from the canonical text)
 * @param cells the cell of each caption item, in caption order
 * @param sources the Fashion-MNIST index of each item's garment image in its split
 * @param rgb 3·48·48 bytes, channel-major (C, H, W)
 */
public record Scene(Caption caption, String text, List<Integer> cells, List<Integer> sources, byte[] rgb) {
    public static final int SIZE = 48;
    public static final int CELL = 24;
    public static final int CHANNELS = 3;
    public static final int BYTES = CHANNELS * SIZE * SIZE;

    public Scene {
        cells = List.copyOf(cells);
        sources = List.copyOf(sources);
        if (cells.size() != caption.items().size() || sources.size() != cells.size()) {
            throw new IllegalArgumentException("one cell and one source per caption item");
        }
        if (rgb.length != BYTES) {
            throw new IllegalArgumentException("a scene has " + BYTES + " bytes, got " + rgb.length);
        }
    }
}
