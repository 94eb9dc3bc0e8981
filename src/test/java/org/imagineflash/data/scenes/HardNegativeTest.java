package org.imagineflash.data.scenes;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hard negatives for contrastive training: captions the scene does not satisfy, never a held-out pair. */
class HardNegativeTest {
    @Test
    void everyCaptionHasAHardNegativeThatItsScenesDoNotSatisfy() {
        SplittableRandom r = new SplittableRandom(5);
        NamedColour[] colours = NamedColour.values();
        Relation[] relations = Relation.values();
        int swaps = 0;
        int reversals = 0;
        int recolours = 0;
        for (int i = 0; i < 3000; i++) {
            Caption.Item a = new Caption.Item(r.nextInt(10), colours[r.nextInt(colours.length)]);
            Caption.Item b = new Caption.Item(r.nextInt(10), colours[r.nextInt(colours.length)]);
            Caption c = i % 3 == 0 || a.equals(b) ? Caption.of(a) : Caption.of(a, relations[r.nextInt(relations.length)], b);
            if (c.heldOut()) {
                Caption held = c;
                assertThrows(IllegalArgumentException.class, () -> held.hardNegative(r));
                continue;
            }
            Caption n = c.hardNegative(r);
            assertNotEquals(c.text(), n.text(), c.text());
            assertFalse(n.heldOut(), n.text());
            assertEquals(c.items().size(), n.items().size());
            if (n.relation() != c.relation()) {
                assertEquals(c.relation().reversed(), n.relation());
                assertEquals(c.items(), n.items());
                reversals++;
            } else if (c.items().size() == 2 && n.items().get(0).colour() == c.items().get(1).colour()
                    && n.items().get(1).colour() == c.items().get(0).colour()) {
                // the same words in another order: the colours swapped between the garments
                assertEquals(sorted(c.text()), sorted(n.text()));
                swaps++;
            } else {
                assertEquals(c.items().get(0).garment(), n.items().get(0).garment());
                assertNotEquals(c.items().get(0).colour(), n.items().get(0).colour());
                recolours++;
            }
        }
        assertTrue(swaps > 500 && reversals > 500 && recolours > 500, swaps + " swaps, " + reversals + " reversals, " + recolours + " recolours");
    }

    @Test
    void reversingARelationTwiceGivesItBack() {
        for (Relation r : Relation.values()) {
            assertEquals(r, r.reversed().reversed());
            assertEquals(r.spatial(), r.reversed().spatial());
        }
        assertEquals(Relation.RIGHT_OF, Relation.LEFT_OF.reversed());
        assertEquals(Relation.BELOW, Relation.ABOVE.reversed());
    }

    private static List<String> sorted(String text) {
        return java.util.Arrays.stream(text.split(" ")).sorted().toList();
    }
}
