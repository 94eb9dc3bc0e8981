package org.imagineflash.data.scenes;

import org.imagineflash.data.LabeledImages;
import org.imagineflash.data.Prompts;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class ScenesTest {
    /** Ten 28×28 classes, image i of class k: a bright square whose size and place depend on i and k. */
    public static LabeledImages garments(int perClass) {
        int n = 10 * perClass;
        byte[] px = new byte[n * 784];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
            int s = 4 + (i % 7);
            int o = 2 + labels[i];
            for (int y = o; y < o + s; y++) {
                for (int x = o; x < o + s; x++) {
                    px[i * 784 + y * 28 + x] = (byte) (100 + 10 * labels[i]);
                }
            }
        }
        return new LabeledImages(px, labels, 28, 28, 10);
    }

    @Test
    void sameSeedSameScenesAndCaptionsParseBack() {
        LabeledImages g = garments(20);
        SceneGenerator a = new SceneGenerator(g, true, 7);
        SceneGenerator b = new SceneGenerator(g, true, 7);
        SceneGenerator c = new SceneGenerator(g, true, 8);
        int differ = 0;
        for (int i = 0; i < 200; i++) {
            Scene sa = a.scene(i);
            Scene sb = b.scene(i);
            assertArrayEquals(sa.rgb(), sb.rgb());
            assertEquals(sa.text(), sb.text());
            assertEquals(sa.caption(), CaptionParser.parse(sa.text()), sa.text());
            differ += sa.text().equals(c.scene(i).text()) ? 0 : 1;
            for (int j = 0; j < sa.cells().size(); j++) {
                assertEquals(sa.caption().items().get(j).garment(), g.labels()[sa.sources().get(j)]);
            }
            if (sa.caption().relation() != null) {
                assertTrue(sa.caption().relation().holds(sa.cells().get(0), sa.cells().get(1)), sa.text() + " " + sa.cells());
            }
        }
        assertTrue(differ > 150, "another seed gives other scenes: " + differ);
    }

    @Test
    void everyFormAppearsAndTrainingScenesNeverShowHeldOutPairs() {
        SceneGenerator train = new SceneGenerator(garments(5), false, 0);
        SceneGenerator reference = new SceneGenerator(garments(5), true, 0);
        int[] forms = new int[Relation.values().length + 1];
        int heldOutInReference = 0;
        for (int i = 0; i < 4000; i++) {
            Caption c = train.scene(i).caption();
            assertFalse(c.heldOut(), c.text());
            forms[c.relation() == null ? forms.length - 1 : c.relation().ordinal()]++;
            heldOutInReference += reference.scene(i).caption().heldOut() ? 1 : 0;
        }
        for (int f : forms) {
            assertTrue(f > 200, java.util.Arrays.toString(forms));
        }
        assertTrue(heldOutInReference > 100, "reference scenes use held-out pairs: " + heldOutInReference);
        Caption held = Caption.of(new Caption.Item(1, NamedColour.PURPLE));
        assertThrows(IllegalArgumentException.class, () -> train.scene(held, 0));
    }

    @Test
    void pixelsAreTheGarmentsGreyTimesItsColourInItsCell() {
        LabeledImages g = garments(3);
        Caption c = Caption.of(new Caption.Item(3, NamedColour.CYAN), Relation.ABOVE, new Caption.Item(9, NamedColour.RED));
        Scene s = new SceneGenerator(g, true, 1).scene(c, 0);
        assertEquals(s.cells().get(0) % 2, s.cells().get(1) % 2);
        assertEquals(0, s.cells().get(0) / 2);
        float[] grey = SceneGenerator.resized(g, s.sources().get(1));
        int cell = s.cells().get(1);
        int oy = (cell / 2) * 24;
        int ox = (cell % 2) * 24;
        for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 24; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    int want = Math.round(grey[y * 24 + x] * NamedColour.RED.channel(ch) / 255f);
                    assertEquals(want, s.rgb()[ch * 2304 + (oy + y) * 48 + ox + x] & 0xff);
                }
            }
        }
        int lit = 0;
        for (int cellIndex = 0; cellIndex < 4; cellIndex++) {
            if (!s.cells().contains(cellIndex)) {
                for (int y = 0; y < 24; y++) {
                    for (int x = 0; x < 24; x++) {
                        lit += s.rgb()[((cellIndex / 2) * 24 + y) * 48 + (cellIndex % 2) * 24 + x] != 0 ? 1 : 0;
                    }
                }
            }
        }
        assertEquals(0, lit, "empty cells stay black");
    }

    @Test
    void areaResizeKeepsTheMeanAndAConstant() {
        byte[] px = new byte[28 * 28];
        java.util.Arrays.fill(px, (byte) 200);
        for (float v : SceneGenerator.areaResize(px, 0, 28, 28, 24)) {
            assertEquals(200, v, 1e-3);
        }
        java.util.Random r = new java.util.Random(3);
        r.nextBytes(px);
        double in = 0;
        for (byte b : px) {
            in += b & 0xff;
        }
        double out = 0;
        for (float v : SceneGenerator.areaResize(px, 0, 28, 28, 24)) {
            out += v;
        }
        assertEquals(in / 784, out / 576, 1e-3);
    }

    @Test
    void everyGrammarFormAndSynonymParses() {
        Caption.Item redSneaker = new Caption.Item(7, NamedColour.RED);
        Caption.Item blueBag = new Caption.Item(8, NamedColour.BLUE);
        assertEquals(Caption.of(redSneaker), CaptionParser.parse("a red sneaker"));
        assertEquals(Caption.of(redSneaker), CaptionParser.parse("Red   Trainer."));
        assertEquals(Caption.of(redSneaker, Relation.LEFT_OF, blueBag), CaptionParser.parse("a red sneaker left of a blue bag"));
        assertEquals(Caption.of(redSneaker, Relation.LEFT_OF, blueBag), CaptionParser.parse("The red sneaker, to the left of the blue handbag!"));
        assertEquals(Caption.of(redSneaker, Relation.RIGHT_OF, blueBag), CaptionParser.parse("a red sneaker right of a blue bag"));
        assertEquals(Caption.of(redSneaker, Relation.ABOVE, blueBag), CaptionParser.parse("a red sneaker above a blue bag"));
        assertEquals(Caption.of(redSneaker, Relation.BELOW, blueBag), CaptionParser.parse("A RED SNEAKER BELOW A BLUE BAG"));
        assertEquals(Caption.of(redSneaker, Relation.AND, blueBag), CaptionParser.parse("a red sneaker and a blue bag"));
        assertEquals(6, CaptionParser.parse("a white dress shirt").items().get(0).garment());
        assertEquals(3, CaptionParser.parse("a white dress").items().get(0).garment());
        assertEquals(0, CaptionParser.parse("an orange t-shirt").items().get(0).garment());
        assertEquals(9, CaptionParser.parse("a green ankle-boot").items().get(0).garment());
        for (Map.Entry<String, Integer> e : Prompts.all().entrySet()) {
            assertEquals(e.getValue(), CaptionParser.parse("a cyan " + e.getKey()).items().get(0).garment(), e.getKey());
        }
        for (int k = 0; k < Caption.GARMENTS; k++) {
            for (String name : Caption.NAMES.get(k)) {
                assertEquals(k, CaptionParser.parse("a purple " + name + " and a red coat").items().get(0).garment(), name);
            }
        }
    }

    @Test
    void unknownWordsAndBadGrammarGiveOneLineErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaptionParser.parse("a red sneeker"));
        assertTrue(e.getMessage().contains("unknown word 'sneeker'") && e.getMessage().contains("sneaker"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CaptionParser.parse("a magenta bag")).getMessage().contains("'magenta'"));
        for (String bad : List.of("", "   ", "red", "a sneaker", "a red sneaker left", "a red sneaker left of",
                "a red sneaker above a blue bag and a green coat", "a red bag and a red bag", "red of sneaker")) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> CaptionParser.parse(bad), bad);
            assertFalse(x.getMessage().contains("\n"), x.getMessage());
        }
    }

    @Test
    void tokenIdsComeFromTheVocabularyInItsOrder() {
        assertEquals(0, CaptionParser.vocabulary().getIndex(CaptionParser.PAD));
        assertEquals(1, CaptionParser.vocabulary().getIndex(CaptionParser.UNKNOWN));
        long[] ids = CaptionParser.ids("A red sneaker.", 6);
        assertEquals(List.of("a", "red", "sneaker", CaptionParser.PAD, CaptionParser.PAD, CaptionParser.PAD),
                java.util.Arrays.stream(ids).mapToObj(i -> CaptionParser.vocabulary().getToken(i)).toList());
        assertNotEquals(ids[1], ids[2]);
        assertEquals(CaptionParser.words().size(), CaptionParser.vocabulary().size());
    }

    @Test
    void theShippedPromptSuiteIsTheStandardOneAndCoversTheTask() throws Exception {
        PromptSuite shipped = PromptSuite.read(PromptSuite.DEFAULT);
        assertEquals(PromptSuite.standard(), shipped);
        assertEquals(400, shipped.entries().size());
        java.util.Set<Caption.Item> items = new java.util.HashSet<>();
        java.util.Set<Relation> relations = java.util.EnumSet.noneOf(Relation.class);
        int heldOutRelational = 0;
        for (PromptSuite.Entry e : shipped.entries()) {
            items.addAll(e.caption().items());
            if (e.caption().relation() != null) {
                relations.add(e.caption().relation());
                heldOutRelational += e.caption().heldOut() ? 1 : 0;
            }
        }
        assertEquals(80, items.size(), "every colour-garment pair");
        assertEquals(java.util.EnumSet.allOf(Relation.class), relations);
        assertTrue(heldOutRelational >= 40, "held-out pairs in two-garment prompts: " + heldOutRelational);
    }

    @Test
    void malformedSuiteFilesNameTheLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path f = dir.resolve("s.txt");
        java.nio.file.Files.writeString(f, "# ok\n0\ta red bag\nseven\ta red bag\n");
        String m = assertThrows(IllegalArgumentException.class, () -> PromptSuite.read(f)).getMessage();
        assertTrue(m.contains("line 3"), m);
        java.nio.file.Files.writeString(f, "0\ta red bagg\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PromptSuite.read(f)).getMessage().contains("unknown word 'bagg'"));
        assertThrows(IllegalArgumentException.class, () -> PromptSuite.read(dir.resolve("missing.txt")));
    }
}
