// A diagnosis tool (tools/round-trip-probe/run.sh), not part of the application.
import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.eval.DomainClassifier;
import org.imagineflash.eval.SceneBenchmark;
import org.imagineflash.eval.SceneEvaluator;
import org.imagineflash.latent.Autoencoder;
import org.imagineflash.latent.AutoencoderTraining;
import java.nio.file.Path;
import java.util.*;

/** Which garments change class after the autoencoder's round trip: (real class → round-trip class) counts. */
public class FlipProbe {
    public static void main(String[] a) throws Exception {
        var test = FashionMnist.load(null, FashionMnist.Split.TEST);
        var j = SceneBenchmark.realScenes(PromptSuite.read(PromptSuite.DEFAULT), test, 5);
        String[] names = {"tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"};
        try (DomainClassifier cells = DomainClassifier.load(Path.of("models/classifier-cells"));
             Autoencoder ae = Autoencoder.load(Path.of(a[0]))) {
            SceneEvaluator ev = new SceneEvaluator(cells);
            var real = ev.read(j.images());
            var rec = ev.read(AutoencoderTraining.roundTrip(ae, j.images()));
            Map<String, Integer> flips = new TreeMap<>();
            int same = 0, total = 0, colourFlips = 0, cellLost = 0;
            for (int s = 0; s < real.size(); s++) {
                for (var d : real.get(s)) {
                    total++;
                    var m = rec.get(s).stream().filter(e -> e.cell() == d.cell()).findFirst();
                    if (m.isEmpty()) { cellLost++; continue; }
                    if (m.get().colour() != d.colour()) colourFlips++;
                    if (m.get().garment() == d.garment()) same++;
                    else flips.merge(names[d.garment()] + "→" + names[m.get().garment()], 1, Integer::sum);
                }
            }
            System.out.println("garments " + total + ", same class " + same + ", lost " + cellLost + ", colour changed " + colourFlips);
            flips.entrySet().stream().sorted((x, y) -> y.getValue() - x.getValue()).limit(15).forEach(e -> System.out.println("  " + e.getKey() + " " + e.getValue()));
        }
    }
}
