package org.imagineflash.data.scenes;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading a caption while it is typed: the longest whole caption so far, and the grammar's next words. */
class CaptionTypingTest {
    @Test
    void theLongestWholeCaptionOfWhatIsTyped() {
        assertEquals("a red sneaker", CaptionParser.longestCaption("A red sneaker"));
        assertEquals("a red sneaker", CaptionParser.longestCaption("a red sneaker left of a bl"));
        assertEquals("a red sneaker", CaptionParser.longestCaption("a red sneaker to the left of a blue"));
        assertEquals("a red sneaker left of a blue bag", CaptionParser.longestCaption("a red sneaker left of a blue bag."));
        assertEquals("red ankle boot", CaptionParser.longestCaption("red ankle boot"));
        IllegalArgumentException notYet = assertThrows(IllegalArgumentException.class, () -> CaptionParser.longestCaption("a red sne"));
        assertTrue(notYet.getMessage().contains("not a whole caption yet"), notYet.getMessage());
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class, () -> CaptionParser.longestCaption("a rde sneaker"));
        assertTrue(typo.getMessage().contains("unknown word 'rde'") && typo.getMessage().contains("red"), typo.getMessage());
        // an unfinished last word that starts no known word is a typo too
        assertThrows(IllegalArgumentException.class, () -> CaptionParser.longestCaption("a red sneaker xq"));
    }

    @Test
    void completionsAreTheWordsTheGrammarAllowsNext() {
        assertEquals(List.of("a red sneaker", "a red sneakers"), CaptionParser.complete("a red snea", 12));
        List<String> colours = CaptionParser.complete("a ", 20);
        assertEquals(8, colours.size(), colours.toString());
        assertTrue(colours.contains("a purple"));
        List<String> afterGarment = CaptionParser.complete("a red sneaker ", 20);
        assertEquals(List.of("a red sneaker above", "a red sneaker and", "a red sneaker below", "a red sneaker left",
                "a red sneaker right", "a red sneaker to"), afterGarment);
        assertEquals(List.of("a red ankle boot"), CaptionParser.complete("a red ankle b", 12));
        assertTrue(CaptionParser.complete("a red sneaker left of a blue bag ", 12).isEmpty(), "a caption names at most two garments");
        assertFalse(CaptionParser.complete("", 50).isEmpty());
        assertTrue(CaptionParser.complete("a red", 12).contains("a red"), "a finished word is its own completion");
    }
}
