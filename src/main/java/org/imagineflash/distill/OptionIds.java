package org.imagineflash.distill;

/** Parsing of enum-valued distillation options written as the constants' lowercase {@code toString} ids. */
public final class OptionIds {
    private OptionIds() {
    }

    /** The constant of {@code type} whose id is {@code s} (trimmed, any case); otherwise a one-line error naming {@code flag}. */
    public static <E extends Enum<E>> E parse(Class<E> type, String s, String flag) {
        for (E e : type.getEnumConstants()) {
            if (e.toString().equals(s == null ? null : s.trim().toLowerCase(java.util.Locale.ROOT))) {
                return e;
            }
        }
        throw new IllegalArgumentException(flag + " must be one of " + java.util.Arrays.toString(type.getEnumConstants())
                .replaceAll("[\\[\\]]", "").replace(", ", " | ") + ", got " + s);
    }
}
