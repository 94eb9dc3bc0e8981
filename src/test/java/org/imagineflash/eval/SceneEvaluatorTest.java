package org.imagineflash.eval;

import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.scenes.Caption;
import org.imagineflash.data.scenes.NamedColour;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.data.scenes.Relation;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SceneEvaluatorTest {
    static final Caption.Item RED_SNEAKER = new Caption.Item(7, NamedColour.RED);
    static final Caption.Item BLUE_BAG = new Caption.Item(8, NamedColour.BLUE);

    static SceneEvaluator.Detection d(int cell, int garment, NamedColour c) {
        return new SceneEvaluator.Detection(cell, garment, c);
    }

    @Test
    void judgesEachScoreFromTheDetections() {
        Caption left = Caption.of(RED_SNEAKER, Relation.LEFT_OF, BLUE_BAG);
        SceneEvaluator.Verdict perfect = SceneEvaluator.judge(left, List.of(d(2, 7, NamedColour.RED), d(3, 8, NamedColour.BLUE)));
        assertTrue(perfect.complex() && perfect.spatialHolds() && perfect.coloursBound() && perfect.countRight());
        assertEquals(2, perfect.found());
        // swapped places: found and bound, relation broken
        SceneEvaluator.Verdict swapped = SceneEvaluator.judge(left, List.of(d(3, 7, NamedColour.RED), d(2, 8, NamedColour.BLUE)));
        assertTrue(swapped.spatialAsked() && !swapped.spatialHolds() && swapped.coloursBound() && !swapped.complex());
        // colours swapped between the garments: the binding fails
        SceneEvaluator.Verdict leaked = SceneEvaluator.judge(left, List.of(d(0, 7, NamedColour.BLUE), d(1, 8, NamedColour.RED)));
        assertFalse(leaked.coloursBound());
        assertEquals(2, leaked.found());
        // one garment missing, an extra one present: object 1/2, count wrong, spatial not asked
        SceneEvaluator.Verdict missing = SceneEvaluator.judge(left, List.of(d(0, 7, NamedColour.RED), d(1, 3, NamedColour.BLUE),
                d(2, 3, NamedColour.GREEN)));
        assertEquals(1, missing.found());
        assertFalse(missing.spatialAsked() || missing.countRight() || missing.complex());
        // two garments of one class: the matching gives each its own colour
        Caption twoBags = Caption.of(new Caption.Item(8, NamedColour.RED), Relation.ABOVE, BLUE_BAG);
        assertTrue(SceneEvaluator.judge(twoBags, List.of(d(2, 8, NamedColour.BLUE), d(0, 8, NamedColour.RED))).complex());
        // "and" needs no particular cells; nothing found binds nothing
        assertTrue(SceneEvaluator.judge(Caption.of(RED_SNEAKER, Relation.AND, BLUE_BAG),
                List.of(d(3, 8, NamedColour.BLUE), d(0, 7, NamedColour.RED))).complex());
        SceneEvaluator.Verdict none = SceneEvaluator.judge(Caption.of(RED_SNEAKER), List.of());
        assertFalse(none.anyFound() || none.coloursBound() || none.complex());
    }

    @Test
    void realScenesScoreAtTheCeilingAndShuffledCaptionsNearChance() throws Exception {
        PromptSuite suite = PromptSuite.read(PromptSuite.DEFAULT);
        PromptSuite part = new PromptSuite(suite.entries().subList(0, 400).stream()
                .filter(e -> e.caption().relation() != null || e.caption().items().get(0).garment() % 3 == 0).toList());
        SceneBenchmark.Judged real = SceneBenchmark.realScenes(part, FashionMnist.load(null, FashionMnist.Split.TEST), 1);
        try (DomainClassifier cells = DomainClassifier.load(Path.of("models/classifier-cells"))) {
            SceneEvaluator ev = new SceneEvaluator(cells);
            SceneEvaluator.Scores s = ev.score(real.images(), real.captions()).all();
            assertTrue(s.object() >= 0.85, "object " + s.object());
            assertTrue(s.colourBinding() >= 0.98 && s.spatial() >= 0.98 && s.count() >= 0.98, s.toString());
            assertTrue(s.complex() >= 0.75, "complex " + s.complex());
            SceneEvaluator.Scores chance = ev.score(real.images(), SceneBenchmark.shuffled(real, 0).captions()).all();
            assertTrue(chance.complex() <= 0.05 && chance.colourBinding() <= 0.3, chance.toString());
        }
    }

    @Test
    void refusesAClassifierOfAnotherSize() throws Exception {
        try (DomainClassifier full = DomainClassifier.load(Path.of("models/classifier-fmnist"))) {
            assertThrows(IllegalArgumentException.class, () -> new SceneEvaluator(full));
        }
    }
}
