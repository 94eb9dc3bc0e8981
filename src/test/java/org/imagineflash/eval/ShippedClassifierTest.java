package org.imagineflash.eval;

import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.LabeledImages;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped instrument: its reference statistics load, and adherence of real test images is its accuracy. */
class ShippedClassifierTest {
    @Test
    void adherenceOfRealTestImagesEqualsTheClassifierAccuracy() throws Exception {
        try (DomainClassifier dc = DomainClassifier.load(Path.of("models/classifier-fmnist"))) {
            assertTrue(dc.config().testAccuracy() >= 0.91, "shipped classifier accuracy " + dc.config().testAccuracy());
            LabeledImages test = FashionMnist.load(null, FashionMnist.Split.TEST);
            int n = 1000;
            byte[] px = Arrays.copyOf(test.pixels(), n * 784);
            int[] labels = Arrays.copyOf(test.labels(), n);
            Map<String, Object> r = Evaluation.score(dc, px, labels);
            double acc = dc.run(px, n).accuracy(labels);
            assertEquals(acc, (Double) r.get("adherence"), 1e-12);
            assertTrue(acc > 0.88, "accuracy on the first 1000 test images " + acc);
            // real images are close to the real statistics: far below a shifted set
            byte[] dark = px.clone();
            for (int i = 0; i < dark.length; i++) {
                dark[i] = (byte) ((dark[i] & 0xff) / 3);
            }
            double fdReal = (Double) r.get("fd");
            double fdDark = (Double) Evaluation.score(dc, dark, labels).get("fd");
            assertTrue(fdReal * 3 < fdDark, fdReal + " vs " + fdDark);
        }
    }
}
