package org.imagineflash.model;

/**
 * IEEE 754 binary16 ("half") encoding of float32 values, for weights stored at half size. Java 17 has no
 * {@code Float.floatToFloat16} (it arrived in Java 20), so the rounding is done here: round to nearest, ties to even,
 * with subnormals; values beyond the largest half (65504) are refused rather than turned into infinities.
 */
public final class Float16 {
    /** The largest finite half. */
    public static final float MAX = 65504f;

    private Float16() {
    }

    /** The half nearest to {@code f} (ties to even), as its 16 bits. */
    public static short encode(float f) {
        if (!Float.isFinite(f) || Math.abs(f) > MAX) {
            throw new IllegalArgumentException(f + " is outside float16's finite range (±" + MAX + ")");
        }
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        int e = exp - 127 + 15; // the half's biased exponent
        if (e >= 1) { // normal half: drop 13 mantissa bits with rounding
            int h = (e << 10) | (mant >>> 13);
            int rest = mant & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) {
                h++; // may carry into the exponent, which is the correct rounding (up to 65504 at most, checked above)
            }
            return (short) (sign | h);
        }
        if (e < -10) { // below half the smallest subnormal (2^-25): rounds to zero
            return (short) sign;
        }
        // subnormal half: value = m · 2^-24 with m = (1.mant) · 2^(exp-127+24)
        int full = mant | 0x800000;
        int shift = 14 - e; // 24-bit significand → m
        int m = full >>> shift;
        int rest = full & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (m & 1) == 1)) {
            m++;
        }
        return (short) (sign | m);
    }

    /** The float32 value of a half's 16 bits (exact). */
    public static float decode(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
