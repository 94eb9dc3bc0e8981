package org.imagineflash.data;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Lays out grayscale images as a PNG grid (optionally with row and column labels) and writes it atomically. */
public final class PngGrid {
    private PngGrid() {
    }

    /**
     * @param pixels N·H·W bytes
     * @param cols images per row
     * @param scale pixel magnification
     */
    public static BufferedImage grid(byte[] pixels, int n, int h, int w, int cols, int scale) {
        int rows = (n + cols - 1) / cols;
        int pad = 2;
        BufferedImage img = new BufferedImage(cols * (w * scale + pad) + pad, rows * (h * scale + pad) + pad, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.DARK_GRAY);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.dispose();
        for (int i = 0; i < n; i++) {
            int ox = pad + (i % cols) * (w * scale + pad);
            int oy = pad + (i / cols) * (h * scale + pad);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = pixels[i * h * w + y * w + x] & 0xff;
                    int rgb = (v << 16) | (v << 8) | v;
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            img.setRGB(ox + x * scale + dx, oy + y * scale + dy, rgb);
                        }
                    }
                }
            }
        }
        return img;
    }

    /** A grid with a label left of each row and a caption above each column group. */
    public static BufferedImage labeled(BufferedImage grid, List<String> rowLabels, List<String> columnCaptions, int captionWidth) {
        int left = 110;
        int top = columnCaptions.isEmpty() ? 0 : 22;
        BufferedImage out = new BufferedImage(grid.getWidth() + left, grid.getHeight() + top, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(grid, left, top, null);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int rowH = rowLabels.isEmpty() ? 0 : grid.getHeight() / rowLabels.size();
        for (int r = 0; r < rowLabels.size(); r++) {
            g.drawString(rowLabels.get(r), 4, top + r * rowH + rowH / 2 + 5);
        }
        for (int c = 0; c < columnCaptions.size(); c++) {
            g.drawString(columnCaptions.get(c), left + c * captionWidth + 4, 15);
        }
        g.dispose();
        return out;
    }

    /**
     * RGB images (each C·H·W bytes, channel-major) in a grid of {@code cols} columns, each with its caption wrapped
     * below it.
     */
    public static BufferedImage captioned(List<byte[]> chw, List<String> captions, int h, int w, int cols, int scale) {
        int tileW = Math.max(w * scale, 200);
        int textH = 30;
        int pad = 6;
        int rows = (chw.size() + cols - 1) / cols;
        BufferedImage out = new BufferedImage(cols * (tileW + pad) + pad, rows * (h * scale + textH + pad) + pad, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i < chw.size(); i++) {
            int ox = pad + (i % cols) * (tileW + pad) + (tileW - w * scale) / 2;
            int oy = pad + (i / cols) * (h * scale + textH + pad);
            byte[] px = chw.get(i);
            for (int y = 0; y < h * scale; y++) {
                for (int x = 0; x < w * scale; x++) {
                    int o = (y / scale) * w + x / scale;
                    int rgb = ((px[o] & 0xff) << 16) | ((px[h * w + o] & 0xff) << 8) | (px[2 * h * w + o] & 0xff);
                    out.setRGB(ox + x, oy + y, rgb);
                }
            }
            g.setColor(Color.BLACK);
            int tx = pad + (i % cols) * (tileW + pad);
            List<String> lines = wrap(captions.get(i), g.getFontMetrics(), tileW);
            for (int l = 0; l < Math.min(2, lines.size()); l++) {
                g.drawString(lines.get(l), tx, oy + h * scale + 12 + 13 * l);
            }
        }
        g.dispose();
        return out;
    }

    private static List<String> wrap(String text, java.awt.FontMetrics fm, int width) {
        List<String> lines = new java.util.ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            String next = line.length() == 0 ? word : line + " " + word;
            if (fm.stringWidth(next) > width && line.length() > 0) {
                lines.add(line.toString());
                line = new StringBuilder(word);
            } else {
                line = new StringBuilder(next);
            }
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }

    public static void write(BufferedImage img, Path file) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bos);
        IdxFile.writeAtomically(file, bos.toByteArray());
    }
}
