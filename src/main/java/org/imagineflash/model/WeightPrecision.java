package org.imagineflash.model;

/**
 * How a model's weights are stored on disk. Computation is always float32: half-precision weights are widened when
 * they are loaded, so a float16 file halves a model's size and changes its function only by the rounding of each
 * weight (about 2^-11 relative), which must be shown not to change evaluation before a model is shipped that way.
 */
public enum WeightPrecision {
    FLOAT32(4, 0x49465731), // "IFW1"
    FLOAT16(2, 0x49465748); // "IFWH"

    private final int bytes;
    private final int magic;

    WeightPrecision(int bytes, int magic) {
        this.bytes = bytes;
        this.magic = magic;
    }

    /** Bytes per stored value. */
    public int bytes() {
        return bytes;
    }

    /** The weights file's first four bytes. */
    int magic() {
        return magic;
    }

    /** The precision of a weights file that starts with {@code magic}; null if none does. */
    static WeightPrecision ofMagic(int magic) {
        for (WeightPrecision p : values()) {
            if (p.magic == magic) {
                return p;
            }
        }
        return null;
    }

    /** Parses float32 | float16 (the names {@link #toString} gives). */
    public static WeightPrecision parse(String s) {
        for (WeightPrecision p : values()) {
            if (p.toString().equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("weight precision must be float32 or float16, got '" + s + "'");
    }

    /** float32 | float16: the name on the command line and in provenance.json. */
    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
