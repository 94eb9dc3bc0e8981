package org.imagineflash.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.model.BlockWeights;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Tensors;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A trained {@link Classifier} with its reference statistics: the shipped evaluation instrument
 * ({@code models/classifier-fmnist}). Directory layout: {@code classifier.json} (architecture and test accuracy),
 * {@code weights.params}, {@code reference.bin} (test-split and train-split feature statistics and the features of a
 * fixed real subset for precision/recall), {@code provenance.json}.
 */
public final class DomainClassifier implements AutoCloseable {
    public static final String CONFIG = "classifier.json";
    public static final String REFERENCE = "reference.bin";
    private static final int REF_MAGIC = 0x49465246; // "IFRF"

    /** Architecture and measured accuracy. */
    public record Config(String kind, int imageSize, int featureDim, int numClasses, double testAccuracy) {
        public Config {
            if (!"classifier".equals(kind)) {
                throw new IllegalArgumentException("not a classifier config (kind '" + kind + "')");
            }
        }
    }

    /** Reference statistics: test split (FD reference), train split (for the floor), real subset features. */
    public record Reference(FeatureStats test, FeatureStats train, float[][] realSubset, int[] realSubsetLabels,
                            FeatureStats[] testPerClass) {
    }

    private final NDManager manager;
    private final Classifier net;
    private Config config;
    private Reference reference;

    public DomainClassifier(Config config) {
        this.config = config;
        this.manager = NDManager.newBaseManager();
        this.net = new Classifier(config.featureDim(), config.numClasses());
        net.initialize(manager, DataType.FLOAT32, new Shape(1, 1, config.imageSize(), config.imageSize()));
    }

    public static DomainClassifier create(Config config, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        return new DomainClassifier(config);
    }

    public Classifier net() {
        return net;
    }

    public NDManager manager() {
        return manager;
    }

    public Config config() {
        return config;
    }

    public Reference reference() {
        return reference;
    }

    /** Records the measured test accuracy in the config that {@link #save} writes. */
    public void setTestAccuracy(double accuracy) {
        config = new Config(config.kind(), config.imageSize(), config.featureDim(), config.numClasses(), accuracy);
    }

    public void setReference(Reference r) {
        this.reference = r;
    }

    /** Logits and features of images given as uint8 pixels (N·H·W), in batches. */
    public Outputs run(byte[] pixels, int count) {
        int hw = config.imageSize() * config.imageSize();
        if ((long) count * hw != pixels.length) {
            throw new IllegalArgumentException("expected " + count + " images of " + config.imageSize() + "×" + config.imageSize()
                    + " (" + (long) count * hw + " bytes), got " + pixels.length + " bytes");
        }
        float[][] feats = new float[count][];
        int[] pred = new int[count];
        float[][] probs = new float[count][];
        int bs = 256;
        for (int s = 0; s < count; s += bs) {
            int n = Math.min(bs, count - s);
            float[] x = new float[n * hw];
            for (int i = 0; i < n * hw; i++) {
                x[i] = (pixels[s * hw + i] & 0xff) / 127.5f - 1f;
            }
            try (NDManager sub = manager.newSubManager()) {
                NDList out = net.forward(new ParameterStore(sub, false),
                        new NDList(Tensors.floats(sub, x, new Shape(n, 1, config.imageSize(), config.imageSize()))), false);
                float[] f = out.get(1).toFloatArray();
                float[] p = out.get(0).softmax(1).toFloatArray();
                int k = config.numClasses();
                int d = config.featureDim();
                for (int i = 0; i < n; i++) {
                    feats[s + i] = java.util.Arrays.copyOfRange(f, i * d, (i + 1) * d);
                    probs[s + i] = java.util.Arrays.copyOfRange(p, i * k, (i + 1) * k);
                    int best = 0;
                    for (int c = 1; c < k; c++) {
                        if (probs[s + i][c] > probs[s + i][best]) {
                            best = c;
                        }
                    }
                    pred[s + i] = best;
                }
            }
        }
        return new Outputs(feats, pred, probs);
    }

    /** Per-image features, predicted class and class probabilities. */
    public record Outputs(float[][] features, int[] predicted, float[][] probabilities) {
        public double accuracy(int[] labels) {
            int ok = 0;
            for (int i = 0; i < labels.length; i++) {
                if (predicted[i] == labels[i]) {
                    ok++;
                }
            }
            return ok / (double) labels.length;
        }
    }

    public Outputs run(LabeledImages images) {
        return run(images.pixels(), images.size());
    }

    public void save(Path dir, Map<String, Object> provenance) throws IOException {
        ModelStore.writeDirAtomically(dir, tmp -> {
            ModelStore.JSON.writeValue(tmp.resolve(CONFIG).toFile(), config);
            BlockWeights.write(net, tmp.resolve("weights.params"));
            if (reference != null) {
                writeReference(reference, tmp.resolve(REFERENCE));
            }
            ModelStore.JSON.writeValue(tmp.resolve(ModelStore.PROVENANCE).toFile(), provenance);
        });
    }

    public static DomainClassifier load(Path dir) throws IOException {
        Config c = ModelStore.readJsonConfig(dir, CONFIG, Config.class, "a classifier", "train-classifier");
        DomainClassifier dc = new DomainClassifier(c);
        try {
            BlockWeights.read(dc.net, dir.resolve("weights.params"));
            Path ref = dir.resolve(REFERENCE);
            if (Files.isRegularFile(ref)) {
                dc.reference = readReference(ref);
            }
        } catch (IOException e) {
            dc.close();
            throw e;
        }
        return dc;
    }

    static void writeStats(DataOutputStream out, FeatureStats s) throws IOException {
        out.writeInt(s.count());
        out.writeInt(s.dim());
        for (double v : s.mean()) {
            out.writeDouble(v);
        }
        for (double[] row : s.cov()) {
            for (double v : row) {
                out.writeDouble(v);
            }
        }
    }

    static FeatureStats readStats(DataInputStream in) throws IOException {
        int n = in.readInt();
        int d = in.readInt();
        if (d < 1 || d > 4096) {
            throw new IOException("corrupt reference statistics (dimension " + d + ")");
        }
        double[] mu = new double[d];
        for (int i = 0; i < d; i++) {
            mu[i] = in.readDouble();
        }
        double[][] c = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                c[i][j] = in.readDouble();
            }
        }
        return new FeatureStats(n, mu, c);
    }

    static void writeReference(Reference r, Path file) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(REF_MAGIC);
            writeStats(out, r.test());
            writeStats(out, r.train());
            out.writeInt(r.testPerClass().length);
            for (FeatureStats s : r.testPerClass()) {
                writeStats(out, s);
            }
            out.writeInt(r.realSubset().length);
            out.writeInt(r.realSubset()[0].length);
            for (int i = 0; i < r.realSubset().length; i++) {
                out.writeByte(r.realSubsetLabels()[i]);
                for (float v : r.realSubset()[i]) {
                    out.writeFloat(v);
                }
            }
        }
    }

    static Reference readReference(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != REF_MAGIC) {
                throw new IOException(file + ": not a reference statistics file (bad magic)");
            }
            FeatureStats test = readStats(in);
            FeatureStats train = readStats(in);
            int k = in.readInt();
            if (k < 0 || k > 1000) {
                throw new IOException(file + ": corrupt per-class statistics");
            }
            FeatureStats[] per = new FeatureStats[k];
            for (int i = 0; i < k; i++) {
                per[i] = readStats(in);
            }
            int n = in.readInt();
            int d = in.readInt();
            if (n < 0 || n > 100_000 || d != test.dim()) {
                throw new IOException(file + ": corrupt real subset");
            }
            float[][] sub = new float[n][d];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = in.readByte();
                for (int j = 0; j < d; j++) {
                    sub[i][j] = in.readFloat();
                }
            }
            return new Reference(test, train, sub, labels, per);
        } catch (EOFException e) {
            throw new IOException(file + ": truncated reference statistics");
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
