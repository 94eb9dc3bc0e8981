package org.imagineflash.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromptsTest {
    @Test
    void classNamesAndSynonymsResolve() {
        assertEquals(7, Prompts.classOf("sneaker"));
        assertEquals(7, Prompts.classOf("  Sneakers "));
        assertEquals(0, Prompts.classOf("T-shirt/top"));
        assertEquals(1, Prompts.classOf("pants"));
        assertEquals(9, Prompts.classOf("ankle boot"));
        assertEquals(8, Prompts.classOf("handbag"));
    }

    @Test
    void unknownPromptListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Prompts.classOf("giraffe"));
        assertTrue(e.getMessage().contains("ankle boot") && e.getMessage().contains("giraffe"));
    }

    @Test
    void completionFindsPrefixes() {
        assertTrue(Prompts.complete("snea").contains("sneaker"));
        assertTrue(Prompts.complete("an").contains("ankle boot"));
    }
}
