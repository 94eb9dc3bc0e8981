package org.imagineflash;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GeneratorPromptTest {
    @Test
    void classConditionalModelsTakeClassNamesAndRefuseSceneCaptionsClearly() {
        assertEquals(7, Generator.classOf("sneaker", false));
        assertEquals(7, Generator.classOf("a sneaker", false));
        assertEquals(8, Generator.classOf("the handbag", false));
        assertEquals(7, Generator.classOf("snea", true));
        String caption = assertThrows(IllegalArgumentException.class,
                () -> Generator.classOf("a red sneaker left of a blue bag", false)).getMessage();
        assertTrue(caption.contains("class-conditional") && caption.contains("colours or a relation"), caption);
        String unknown = assertThrows(IllegalArgumentException.class, () -> Generator.classOf("spaceship", false)).getMessage();
        assertTrue(unknown.startsWith("unknown prompt 'spaceship'"), unknown);
    }
}
