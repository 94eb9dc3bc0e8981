package org.imagineflash.eval;

import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.scenes.Caption;
import org.imagineflash.data.scenes.PromptSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContrastiveModelTest {
    @Test
    void theShippedModelRanksTheTrueCaptionFirstFarAboveChance() throws Exception {
        PromptSuite suite = PromptSuite.read(PromptSuite.DEFAULT);
        PromptSuite part = new PromptSuite(suite.entries().stream().filter(e -> e.seed() % 3000 == 0).toList());
        SceneBenchmark.Judged real = SceneBenchmark.realScenes(part, FashionMnist.load(null, FashionMnist.Split.TEST), 1);
        List<String> captions = real.captions().stream().map(Caption::text).toList();
        try (ContrastiveModel m = ContrastiveModel.load(Path.of("models/contrastive-scenes"))) {
            List<String> pool = suite.entries().stream().map(PromptSuite.Entry::prompt).toList();
            double top1 = ContrastiveTraining.retrievalTop1(m, real.images(), captions, pool, 20, 0);
            assertTrue(top1 >= 0.8, "top-1 of 20 (chance 0.05): " + top1);
            double own = m.score(real.images(), captions);
            double shuffled = m.score(real.images(), SceneBenchmark.shuffled(real, 1).captions().stream().map(Caption::text).toList());
            assertTrue(own > 0.7 && shuffled < 0.3, "CLIP score " + own + " vs shuffled captions " + shuffled);
            assertTrue(m.reference() != null && m.reference().dim() == m.config().embedding());
        }
    }

    @Test
    void refusesAMissingOrCorruptModel(@TempDir Path dir) throws Exception {
        assertThrows(java.io.IOException.class, () -> ContrastiveModel.load(dir.resolve("none")));
        Files.writeString(dir.resolve(ContrastiveModel.CONFIG), "{\"kind\":\"contrastive\",\"embedding\":-1}");
        assertThrows(java.io.IOException.class, () -> ContrastiveModel.load(dir));
    }
}
