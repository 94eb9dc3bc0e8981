package org.imagineflash.data;

/**
 * Grayscale images with class labels, kept as bytes (0..255) in memory.
 *
 * @param pixels N·H·W bytes, row-major
 * @param labels N class indices
 * @param height H
 * @param width W
 * @param numClasses number of classes
 */
public record LabeledImages(byte[] pixels, int[] labels, int height, int width, int numClasses) {
    public LabeledImages {
        if ((long) labels.length * height * width != pixels.length) {
            throw new IllegalArgumentException(labels.length + " labels do not match " + pixels.length + " pixels of "
                    + height + "×" + width + " images");
        }
    }

    public int size() {
        return labels.length;
    }

    /** Image i scaled to [−1, 1] into {@code out} at offset {@code off}. */
    public void copyScaled(int i, float[] out, int off) {
        int n = height * width;
        int base = i * n;
        for (int j = 0; j < n; j++) {
            out[off + j] = (pixels[base + j] & 0xff) / 127.5f - 1f;
        }
    }

    /** From an images IDX file (N, H, W) and a labels IDX file (N). */
    public static LabeledImages fromIdx(IdxFile images, IdxFile labels, int numClasses, String name) {
        if (images.dims().length != 3) {
            throw new IllegalArgumentException(name + ": images must have 3 dimensions (N, H, W), got " + images.dims().length);
        }
        if (labels.dims().length != 1) {
            throw new IllegalArgumentException(name + ": labels must have 1 dimension (N), got " + labels.dims().length);
        }
        if (images.count() != labels.count()) {
            throw new IllegalArgumentException(name + ": " + images.count() + " images but " + labels.count() + " labels");
        }
        int[] l = new int[labels.count()];
        for (int i = 0; i < l.length; i++) {
            l[i] = labels.u8(i);
            if (l[i] >= numClasses) {
                throw new IllegalArgumentException(name + ": label " + l[i] + " at index " + i + " is not below " + numClasses);
            }
        }
        return new LabeledImages(images.data(), l, images.dims()[1], images.dims()[2], numClasses);
    }
}
