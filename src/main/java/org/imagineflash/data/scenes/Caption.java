package org.imagineflash.data.scenes;

import org.imagineflash.data.Prompts;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * What a scene's caption asks for: one or two coloured garments and, with two, how they are placed.
 *
 * @param items the garments in caption order (1 or 2)
 * @param relation null for one garment; the placement of items[0] relative to items[1] for two
 */
public record Caption(List<Item> items, Relation relation) {
    /** A coloured garment: a Fashion-MNIST class (0..9) and a colour. */
    public record Item(int garment, NamedColour colour) {
        public Item {
            if (garment < 0 || garment >= GARMENTS) {
                throw new IllegalArgumentException("garment class must be in 0.." + (GARMENTS - 1) + ", got " + garment);
            }
            if (colour == null) {
                throw new IllegalArgumentException("a garment needs a colour");
            }
        }

        public boolean heldOut() {
            return HELD_OUT.contains(this);
        }

        /** "red sneaker" (canonical garment name). */
        public String words() {
            return colour.word() + " " + NAMES.get(garment).get(0);
        }
    }

    /** Garment classes (Fashion-MNIST's ten). */
    public static final int GARMENTS = 10;

    /**
     * Names used in generated captions, the canonical one first (the parser accepts these and every synonym of
     * {@link Prompts}).
     */
    static final List<List<String>> NAMES = List.of(
            List.of("t-shirt", "top", "tee"), List.of("trouser", "trousers", "pants"), List.of("pullover", "sweater"),
            List.of("dress"), List.of("coat", "jacket"), List.of("sandal"), List.of("shirt", "blouse"),
            List.of("sneaker", "trainer"), List.of("bag", "handbag"), List.of("ankle boot", "boot"));

    /** Colour–garment pairs that never appear in training captions: prompts with them measure generalisation. */
    public static final Set<Item> HELD_OUT = Set.of(
            new Item(1, NamedColour.PURPLE), new Item(3, NamedColour.YELLOW), new Item(8, NamedColour.CYAN),
            new Item(5, NamedColour.ORANGE), new Item(7, NamedColour.WHITE));

    public Caption {
        items = List.copyOf(items);
        if (items.size() == 1 && relation != null) {
            throw new IllegalArgumentException("a caption with one garment has no relation");
        }
        if (items.size() == 2 && relation == null) {
            throw new IllegalArgumentException("a caption with two garments needs a relation");
        }
        if (items.isEmpty() || items.size() > 2) {
            throw new IllegalArgumentException("a caption has one or two garments, got " + items.size());
        }
        if (items.size() == 2 && items.get(0).equals(items.get(1))) {
            throw new IllegalArgumentException("the two garments of a caption must differ in class or colour");
        }
    }

    public static Caption of(Item a) {
        return new Caption(List.of(a), null);
    }

    public static Caption of(Item a, Relation r, Item b) {
        return new Caption(List.of(a, b), r);
    }

    /** Whether any garment of the caption is a held-out pair. */
    public boolean heldOut() {
        return items.stream().anyMatch(Item::heldOut);
    }

    /**
     * A caption with the same words in another order, or one word changed, that this caption's scenes do not satisfy: the
     * two colours swapped ("a blue sneaker left of a red bag"), the spatial relation reversed ("… right of …"), or the
     * first garment's colour changed; a hard negative for contrastive training (NegCLIP, Yuksekgonul et al. 2023), which
     * in-batch negatives alone do not teach binding with. For a training caption (no held-out pair), never a held-out pair.
     */
    public Caption hardNegative(SplittableRandom r) {
        if (heldOut()) {
            throw new IllegalArgumentException("'" + text() + "' has a held-out pair: hard negatives are for training captions");
        }
        List<Caption> options = new java.util.ArrayList<>();
        if (items.size() == 2) {
            if (items.get(0).colour() != items.get(1).colour() && items.get(0).garment() != items.get(1).garment()) {
                options.add(coloursSwapped());
            }
            if (relation.spatial()) {
                options.add(relationReversed());
            }
        }
        options.removeIf(Caption::heldOut);
        if (!options.isEmpty()) {
            return options.get(r.nextInt(options.size()));
        }
        NamedColour[] colours = NamedColour.values();
        Item a = items.get(0);
        int start = r.nextInt(colours.length - 1);
        for (int j = 0; j < colours.length - 1; j++) { // every other colour once, from a random one
            Item changed = new Item(a.garment(), colours[(a.colour().ordinal() + 1 + (start + j) % (colours.length - 1)) % colours.length]);
            if (!changed.heldOut() && (items.size() == 1 || !changed.equals(items.get(1)))) {
                List<Item> it = new java.util.ArrayList<>(items);
                it.set(0, changed);
                return new Caption(it, relation);
            }
        }
        throw new IllegalStateException("no hard negative for " + text());
    }

    /** The two garments with each other's colour ("a blue sneaker left of a red bag"); one garment: itself. */
    public Caption coloursSwapped() {
        if (items.size() == 1) {
            return this;
        }
        Item a = items.get(0);
        Item b = items.get(1);
        return of(new Item(a.garment(), b.colour()), relation, new Item(b.garment(), a.colour()));
    }

    /** The same garments with the opposite relation ("… right of …"); one garment or "and": itself. */
    public Caption relationReversed() {
        return items.size() == 1 ? this : of(items.get(0), relation.reversed(), items.get(1));
    }

    /** The canonical text: "a red sneaker left of a blue bag". */
    public String text() {
        return text(null);
    }

    /** The text with each garment named by a random synonym drawn from r (canonical names when r is null). */
    public String text(SplittableRandom r) {
        StringBuilder sb = new StringBuilder(phrase(items.get(0), r));
        if (relation != null) {
            sb.append(' ').append(relation.phrase()).append(' ').append(phrase(items.get(1), r));
        }
        return sb.toString();
    }

    private static String phrase(Item it, SplittableRandom r) {
        List<String> names = NAMES.get(it.garment());
        String name = r == null ? names.get(0) : names.get(r.nextInt(names.size()));
        String colour = it.colour().word();
        return ("aeiou".indexOf(colour.charAt(0)) >= 0 ? "an " : "a ") + colour + " " + name;
    }
}
