// A diagnosis tool (tools/round-trip-probe/run.sh), not part of the application.
import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.eval.DomainClassifier;
import org.imagineflash.eval.SceneBenchmark;
import org.imagineflash.eval.SceneEvaluator;
import java.nio.file.Path;
import java.util.*;

/** Scene scores of real suite scenes with Gaussian pixel noise of a given RMS (grey levels). */
public class NoiseProbe {
    static byte[] blur(byte[] im, double w) {
        int S = 48;
        float[] f = new float[im.length];
        for (int i = 0; i < im.length; i++) f[i] = im[i] & 0xff;
        float[] h = new float[im.length];
        for (int c = 0; c < 3; c++) for (int y = 0; y < S; y++) for (int x = 0; x < S; x++) {
            int o = c * S * S + y * S;
            float l = f[o + Math.max(0, x - 1)], m = f[o + x], r = f[o + Math.min(S - 1, x + 1)];
            h[o + x] = (float) ((1 - 2 * w) * m + w * (l + r));
        }
        byte[] out = new byte[im.length];
        for (int c = 0; c < 3; c++) for (int y = 0; y < S; y++) for (int x = 0; x < S; x++) {
            int o = c * S * S;
            float u = h[o + Math.max(0, y - 1) * S + x], m = h[o + y * S + x], d = h[o + Math.min(S - 1, y + 1) * S + x];
            out[o + y * S + x] = (byte) Math.max(0, Math.min(255, Math.round((1 - 2 * w) * m + w * (u + d))));
        }
        return out;
    }

    public static void main(String[] a) throws Exception {
        var test = FashionMnist.load(null, FashionMnist.Split.TEST);
        var j = SceneBenchmark.realScenes(PromptSuite.read(PromptSuite.DEFAULT), test, 5);
        try (DomainClassifier cells = DomainClassifier.load(Path.of("models/classifier-cells"))) {
            SceneEvaluator ev = new SceneEvaluator(cells);
            for (String s : a) {
                if (s.startsWith("blur")) {
                    double w = Double.parseDouble(s.substring(4)); // centre weight 1-2w, neighbours w
                    List<byte[]> bl = new ArrayList<>();
                    for (byte[] im : j.images()) {
                        bl.add(blur(im, w));
                    }
                    List<byte[]> orig = j.images();
                    double se = 0; long n = 0;
                    for (int i = 0; i < orig.size(); i++) for (int k = 0; k < orig.get(i).length; k++) { double d = (orig.get(i)[k] & 0xff) - (bl.get(i)[k] & 0xff); se += d * d; n++; }
                    System.out.printf("blur %.2f (PSNR %.2f): %s%n", w, 10 * Math.log10(255.0 * 255 / (se / n)), ev.score(bl, j.captions()).all());
                    continue;
                }
                double rms = Double.parseDouble(s);
                Random r = new Random(1);
                List<byte[]> noisy = new ArrayList<>();
                for (byte[] im : j.images()) {
                    byte[] b = im.clone();
                    for (int i = 0; i < b.length; i++) {
                        b[i] = (byte) Math.max(0, Math.min(255, Math.round((b[i] & 0xff) + rms * r.nextGaussian())));
                    }
                    noisy.add(b);
                }
                System.out.println("rms " + rms + ": " + ev.score(noisy, j.captions()).all());
            }
        }
    }
}
