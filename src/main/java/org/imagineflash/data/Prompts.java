package org.imagineflash.data;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prompts are Fashion-MNIST class names, with common synonyms. Matching ignores case, surrounding blanks and
 * a plural "s".
 */
public final class Prompts {
    /** Canonical class names in label order 0..9. */
    public static final List<String> CLASS_NAMES = List.of(
            "t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot");

    private static final Map<String, Integer> SYNONYMS = new LinkedHashMap<>();

    static {
        for (int i = 0; i < CLASS_NAMES.size(); i++) {
            SYNONYMS.put(CLASS_NAMES.get(i), i);
        }
        put(0, "t-shirt", "tshirt", "t shirt", "tee", "top", "tee shirt");
        put(1, "trousers", "pants", "jeans", "slacks");
        put(2, "sweater", "jumper", "sweatshirt");
        put(3, "gown", "frock");
        put(4, "jacket", "overcoat", "parka");
        put(5, "sandals", "flip-flop", "flip flop");
        put(6, "blouse", "button-down", "dress shirt");
        put(7, "trainer", "sneakers", "running shoe", "shoe", "tennis shoe");
        put(8, "handbag", "purse", "backpack", "tote");
        put(9, "boot", "ankle-boot", "boots");
    }

    private Prompts() {
    }

    private static void put(int k, String... names) {
        for (String n : names) {
            SYNONYMS.put(n, k);
        }
    }

    /** The class index of a prompt, or an exception that lists the known prompts. */
    public static int classOf(String prompt) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt is required; known prompts: " + String.join(", ", CLASS_NAMES));
        }
        String p = prompt.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").replaceFirst("^(a|an|the) (?=.)", "");
        Integer k = SYNONYMS.get(p);
        if (k == null && p.endsWith("s")) {
            k = SYNONYMS.get(p.substring(0, p.length() - 1));
        }
        if (k == null) {
            throw new IllegalArgumentException("unknown prompt '" + prompt + "'; known prompts: " + String.join(", ", CLASS_NAMES));
        }
        return k;
    }

    /**
     * The class of a complete prompt, or of a prefix whose completions all name one class ("snea" → sneaker), for
     * generating while the user types; otherwise the same error as {@link #classOf}.
     */
    public static int classOfPartial(String prompt) {
        try {
            return classOf(prompt);
        } catch (IllegalArgumentException e) {
            if (prompt == null || prompt.isBlank()) {
                throw e;
            }
            List<Integer> ks = complete(prompt.trim().replaceAll("\\s+", " ")).stream().map(SYNONYMS::get).distinct().toList();
            if (ks.size() == 1) {
                return ks.get(0);
            }
            throw e;
        }
    }

    /** Class names and synonyms that start with the typed prefix (for completion), canonical names first. */
    public static List<String> complete(String prefix) {
        String p = prefix == null ? "" : prefix.trim().toLowerCase(Locale.ROOT);
        return SYNONYMS.keySet().stream().filter(s -> s.startsWith(p)).toList();
    }

    /** All names (canonical and synonyms) with their class. */
    public static Map<String, Integer> all() {
        return Map.copyOf(SYNONYMS);
    }

    public static String name(int k) {
        if (k < 0 || k >= CLASS_NAMES.size()) {
            throw new IllegalArgumentException("class must be in 0.." + (CLASS_NAMES.size() - 1) + ", got " + k);
        }
        return CLASS_NAMES.get(k);
    }
}
