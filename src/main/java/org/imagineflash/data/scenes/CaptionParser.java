package org.imagineflash.data.scenes;

import ai.djl.modality.nlp.DefaultVocabulary;
import ai.djl.modality.nlp.Vocabulary;
import ai.djl.modality.nlp.preprocess.SimpleTokenizer;
import org.imagineflash.data.Prompts;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads scene captions: "a red sneaker left of a blue bag", "an orange top and a white boot", "Red sneaker." Case and
 * articles are free, punctuation is ignored, every garment synonym of {@link Prompts} is accepted, and "to the left
 * of" reads as "left of". Tokenization is DJL's whitespace tokenizer over the lower-cased caption with every
 * non-letter turned into a blank ("t-shirt" → t shirt); the words form a DJL vocabulary whose indices (in
 * {@link #vocabulary()} order, 0 = padding) are what text encoders read.
 */
public final class CaptionParser {
    public static final String PAD = "<pad>";
    public static final String UNKNOWN = "<unk>";
    private static final List<String> ARTICLES = List.of("a", "an", "the");
    private static final SimpleTokenizer TOKENIZER = new SimpleTokenizer();
    /** Garment phrases as token lists, longest first (so "dress shirt" wins over "dress"). */
    private static final List<Map.Entry<List<String>, Integer>> GARMENTS;
    private static final Map<String, NamedColour> COLOURS = new HashMap<>();
    private static final List<String> WORDS;
    private static final DefaultVocabulary VOCABULARY;

    static {
        Map<List<String>, Integer> g = new HashMap<>();
        for (Map.Entry<String, Integer> e : Prompts.all().entrySet()) {
            g.put(tokens(e.getKey()), e.getValue());
        }
        for (int k = 0; k < Caption.NAMES.size(); k++) {
            for (String n : Caption.NAMES.get(k)) {
                Integer prev = g.put(tokens(n), k);
                if (prev != null && prev != k) {
                    throw new IllegalStateException("garment name '" + n + "' names two classes");
                }
            }
        }
        List<Map.Entry<List<String>, Integer>> list = new ArrayList<>(g.entrySet());
        list.sort(Comparator.<Map.Entry<List<String>, Integer>>comparingInt(e -> -e.getKey().size())
                .thenComparing(e -> String.join(" ", e.getKey())));
        GARMENTS = List.copyOf(list);
        TreeSet<String> words = new TreeSet<>(ARTICLES);
        for (NamedColour c : NamedColour.values()) {
            COLOURS.put(c.word(), c);
            words.add(c.word());
        }
        for (List<String> phrase : g.keySet()) {
            words.addAll(phrase);
        }
        for (Relation r : Relation.values()) {
            words.addAll(r.words());
        }
        words.add("to");
        List<String> all = new ArrayList<>(List.of(PAD, UNKNOWN));
        all.addAll(words);
        WORDS = List.copyOf(all);
        VOCABULARY = new DefaultVocabulary(WORDS);
    }

    private CaptionParser() {
    }

    /** The caption's tokens: lower case, non-letters as blanks, split on blanks. */
    public static List<String> tokens(String text) {
        String clean = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z]+", " ").trim();
        return clean.isEmpty() ? List.of() : TOKENIZER.tokenize(clean);
    }

    /** Every known word, in index order (0 = padding, 1 = unknown). */
    public static Vocabulary vocabulary() {
        return VOCABULARY;
    }

    public static List<String> words() {
        return WORDS;
    }

    /**
     * Token indices of a caption, padded with 0 (or cut) to {@code length}; unknown words are an error, as in
     * {@link #parse}.
     */
    public static long[] ids(String text, int length) {
        List<String> t = tokens(text);
        requireKnown(text, t);
        long[] ids = new long[length];
        for (int i = 0; i < Math.min(length, t.size()); i++) {
            ids[i] = VOCABULARY.getIndex(t.get(i));
        }
        return ids;
    }

    /** The caption's garments, colours and relation, or a one-line error that says what is wrong. */
    public static Caption parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the prompt is empty; try e.g. 'a red sneaker left of a blue bag'");
        }
        List<String> t = tokens(text);
        requireKnown(text, t);
        int[] pos = {0};
        Caption.Item first = item(text, t, pos);
        if (pos[0] == t.size()) {
            return Caption.of(first);
        }
        Relation r = relation(text, t, pos);
        if (pos[0] == t.size()) {
            throw new IllegalArgumentException("'" + text + "' ends after '" + r.phrase() + "': name a second garment");
        }
        Caption.Item second = item(text, t, pos);
        if (pos[0] != t.size()) {
            throw new IllegalArgumentException("'" + text + "': unexpected '" + String.join(" ", t.subList(pos[0], t.size()))
                    + "' after the second garment (a caption names at most two)");
        }
        if (first.equals(second)) {
            throw new IllegalArgumentException("'" + text + "' names the same garment twice; give them different colours or classes");
        }
        return Caption.of(first, r, second);
    }

    private static void requireKnown(String text, List<String> t) {
        for (String w : t) {
            if (!VOCABULARY.contains(w) || w.equals(PAD) || w.equals(UNKNOWN)) {
                throw new IllegalArgumentException("unknown word '" + w + "' in '" + text + "'; nearest known words: "
                        + String.join(", ", nearest(w, 3)));
            }
        }
    }

    private static Caption.Item item(String text, List<String> t, int[] pos) {
        if (pos[0] < t.size() && ARTICLES.contains(t.get(pos[0]))) {
            pos[0]++;
        }
        if (pos[0] == t.size()) {
            throw new IllegalArgumentException("'" + text + "' ends where a colour and a garment should follow");
        }
        NamedColour colour = COLOURS.get(t.get(pos[0]));
        if (colour == null) {
            throw new IllegalArgumentException("'" + text + "': expected a colour (" + String.join(", ", COLOURS.keySet().stream().sorted().toList())
                    + ") before '" + t.get(pos[0]) + "'");
        }
        pos[0]++;
        for (Map.Entry<List<String>, Integer> g : GARMENTS) {
            List<String> phrase = g.getKey();
            if (pos[0] + phrase.size() <= t.size() && t.subList(pos[0], pos[0] + phrase.size()).equals(phrase)) {
                pos[0] += phrase.size();
                return new Caption.Item(g.getValue(), colour);
            }
        }
        throw new IllegalArgumentException("'" + text + "': expected a garment after '" + colour.word() + "', got '"
                + (pos[0] < t.size() ? t.get(pos[0]) : "") + "'");
    }

    private static Relation relation(String text, List<String> t, int[] pos) {
        if (t.get(pos[0]).equals("to")) { // "to the left of"
            pos[0]++;
            if (pos[0] < t.size() && t.get(pos[0]).equals("the")) {
                pos[0]++;
            }
        }
        for (Relation r : Relation.values()) {
            List<String> w = r.words();
            if (pos[0] + w.size() <= t.size() && t.subList(pos[0], pos[0] + w.size()).equals(w)) {
                pos[0] += w.size();
                return r;
            }
        }
        throw new IllegalArgumentException("'" + text + "': expected left of, right of, above, below or and after the first garment, got '"
                + (pos[0] < t.size() ? t.get(pos[0]) : "") + "'");
    }

    /**
     * What to draw while a caption is being typed: the longest word prefix of {@code typed} that is a whole caption,
     * normalised ("A red sneaker left of a bl" → "a red sneaker"). The last word may be unfinished if it starts a known
     * word; any other unknown word is the error of {@link #parse}. No whole caption yet ("a red sne") is an error
     * saying so.
     */
    public static String longestCaption(String typed) {
        if (typed == null || typed.isBlank()) {
            throw new IllegalArgumentException("the prompt is empty; try e.g. 'a red sneaker left of a blue bag'");
        }
        List<String> t = tokens(typed);
        boolean lastUnfinished = !t.isEmpty() && Character.isLetter(typed.charAt(typed.length() - 1))
                && !VOCABULARY.contains(t.get(t.size() - 1)) && startsAWord(t.get(t.size() - 1));
        List<String> known = lastUnfinished ? t.subList(0, t.size() - 1) : t;
        requireKnown(typed, known);
        for (int n = known.size(); n > 0; n--) {
            String candidate = String.join(" ", known.subList(0, n));
            try {
                parse(candidate);
                return candidate;
            } catch (IllegalArgumentException notYet) {
                // a shorter prefix may be a whole caption
            }
        }
        throw new IllegalArgumentException("'" + typed + "' is not a whole caption yet: name a colour and a garment, e.g. 'a red sneaker'");
    }

    private static boolean startsAWord(String partial) {
        return WORDS.stream().skip(2).anyMatch(w -> w.startsWith(partial));
    }

    /**
     * Completions of a caption being typed: {@code typed} with its unfinished last word (or, after a blank, the next
     * word) completed by each word that the grammar allows there, at most {@code limit}.
     */
    public static List<String> complete(String typed, int limit) {
        String text = typed == null ? "" : typed.toLowerCase(Locale.ROOT).replaceAll("[^a-z]+", " ");
        boolean atWordStart = text.isEmpty() || text.endsWith(" ");
        List<String> t = tokens(text);
        String partial = atWordStart || t.isEmpty() ? "" : t.get(t.size() - 1);
        List<String> done = atWordStart || t.isEmpty() ? t : t.subList(0, t.size() - 1);
        String head = done.isEmpty() ? "" : String.join(" ", done) + " ";
        List<String> out = new ArrayList<>();
        for (String w : WORDS.subList(2, WORDS.size())) {
            if (out.size() >= limit) {
                break;
            }
            if (w.startsWith(partial)) {
                List<String> next = new ArrayList<>(done);
                next.add(w);
                if (viable(next)) {
                    out.add(head + w);
                }
            }
        }
        return out;
    }

    /** The grammar as slots of phrases: [article] colour garment [relation [article] colour garment]. */
    private static List<List<List<String>>> slots() {
        List<List<String>> articles = new ArrayList<>();
        articles.add(List.of());
        for (String a : ARTICLES) {
            articles.add(List.of(a));
        }
        List<List<String>> colours = COLOURS.keySet().stream().sorted().map(List::of).toList();
        List<List<String>> garments = GARMENTS.stream().map(Map.Entry::getKey).toList();
        List<List<String>> relations = new ArrayList<>();
        for (Relation r : Relation.values()) {
            relations.add(r.words());
            if (r.spatial()) {
                List<String> to = new ArrayList<>(List.of("to"));
                to.addAll(r.words());
                relations.add(to);
                List<String> toThe = new ArrayList<>(List.of("to", "the"));
                toThe.addAll(r.words());
                relations.add(toThe);
            }
        }
        return List.of(articles, colours, garments, relations, articles, colours, garments);
    }

    /** Whether the words begin some caption of the grammar. */
    static boolean viable(List<String> words) {
        return viable(words, 0, slots(), 0);
    }

    private static boolean viable(List<String> w, int pos, List<List<List<String>>> slots, int slot) {
        if (pos == w.size()) {
            return true;
        }
        if (slot == slots.size()) {
            return false;
        }
        for (List<String> phrase : slots.get(slot)) {
            int n = Math.min(phrase.size(), w.size() - pos);
            if (!w.subList(pos, pos + n).equals(phrase.subList(0, n))) {
                continue;
            }
            if (n < phrase.size() || viable(w, pos + n, slots, slot + 1)) {
                return true; // the words end inside this phrase, or the rest fits the following slots
            }
        }
        return false;
    }

    /** The known words closest to w in edit distance (ties in alphabetical order). */
    static List<String> nearest(String w, int n) {
        return WORDS.stream().skip(2).sorted(Comparator.comparingInt((String k) -> editDistance(w, k)).thenComparing(k -> k))
                .limit(n).toList();
    }

    /** Levenshtein distance (a few dozen short words: a library would add a dependency for ten lines). */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] tmp = prev;
            prev = cur;
            cur = tmp;
        }
        return prev[b.length()];
    }
}
