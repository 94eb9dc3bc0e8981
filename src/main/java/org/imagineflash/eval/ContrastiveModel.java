package org.imagineflash.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.IdEmbedding;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.data.scenes.Scene;
import org.imagineflash.kernel.Conv2dBlock;
import org.imagineflash.model.BlockWeights;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Tensors;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The CLIP analogue (Radford et al. 2021): an image encoder and a text encoder trained with the symmetric InfoNCE loss
 * on scene/caption pairs, for measuring only. Its cosine similarity between an image and its prompt is the CLIP
 * score; its image embeddings are the feature space of the scenes' Fréchet distance, against reference statistics of
 * real test-split scenes shipped with it.
 * <ul>
 *   <li>Images (3×48×48 in [−1, 1]): conv3×3(32) → conv3×3/2(32) → conv3×3/2(64) → conv3×3/2(128), ReLU after each
 *       (48 → 24 → 12 → 6), flatten (positions matter: "left of"), dense(256) + ReLU, dense(D).</li>
 *   <li>Text (token ids of {@link CaptionParser}, padded to L): DJL's token embedding plus a learned position
 *       embedding, DJL's transformer encoder blocks, the mean over non-padding tokens, dense(D).</li>
 * </ul>
 */
public final class ContrastiveModel implements AutoCloseable {
    public static final String CONFIG = "contrastive.json";
    public static final String REFERENCE = "reference.bin";
    private static final int REF_MAGIC = 0x49464352; // "IFCR"

    /**
     * @param embedding D, the shared embedding size
     * @param textWidth the transformer's width
     * @param textLayers transformer blocks
     * @param heads attention heads
     * @param maxTokens L, the padded caption length
     * @param vocabulary the token list the text encoder was trained on (index order)
     */
    public record Config(String kind, int embedding, int textWidth, int textLayers, int heads, int maxTokens, List<String> vocabulary) {
        public Config {
            if (!"contrastive".equals(kind)) {
                throw new IllegalArgumentException("not a contrastive model config (kind '" + kind + "')");
            }
            if (embedding < 2 || embedding > 4096 || textWidth < 2 || textWidth > 4096 || textLayers < 1 || textLayers > 24
                    || heads < 1 || textWidth % heads != 0 || maxTokens < 4 || maxTokens > 256 || vocabulary == null || vocabulary.size() < 3) {
                throw new IllegalArgumentException("invalid contrastive model config " + this);
            }
        }

        /** The instrument's architecture (models/contrastive-scenes). */
        public static Config standard() {
            return new Config("contrastive", 128, 64, 2, 4, 16, CaptionParser.words());
        }

        /** This architecture with another text transformer. */
        public Config withText(int width, int layers) {
            return new Config(kind, embedding, width, layers, heads, maxTokens, vocabulary);
        }
    }

    private final Config config;
    private final NDManager manager;
    private final Net net;
    private FeatureStats reference;

    private ContrastiveModel(Config config) {
        if (!config.vocabulary().equals(CaptionParser.words())) {
            throw new IllegalArgumentException("the contrastive model was trained on another vocabulary than this version's caption words");
        }
        this.config = config;
        this.manager = NDManager.newBaseManager();
        this.net = new Net(config);
        net.initialize(manager, DataType.FLOAT32, new Shape(1, Scene.CHANNELS, Scene.SIZE, Scene.SIZE), new Shape(1, config.maxTokens()));
    }

    public static ContrastiveModel create(Config config, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        return new ContrastiveModel(config);
    }

    public Config config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    public List<Parameter> parameters() {
        return BlockWeights.parameters(net);
    }

    /**
     * The text tower's parameters in {@link org.imagineflash.model.TextEncoder}'s order (positions, token embedding,
     * transformer blocks; not the output projection): a text-to-image teacher's frozen encoder starts from them. That
     * model must be its own, trained with another seed and width than the instrument that measures the teacher.
     */
    public List<Parameter> textEncoderParameters() {
        List<Parameter> list = new java.util.ArrayList<>();
        list.add(net.positions);
        list.addAll(BlockWeights.parameters(net.tokenEmbedding));
        for (TransformerEncoderBlock layer : net.layers) {
            list.addAll(BlockWeights.parameters(layer));
        }
        return list;
    }

    public FeatureStats reference() {
        return reference;
    }

    public void setReference(FeatureStats r) {
        this.reference = r;
    }

    /** Scenes (C·H·W bytes each) as a (B, 3, 48, 48) tensor in [−1, 1]. */
    public static NDArray images(NDManager m, List<byte[]> scenes) {
        return Tensors.pixels(m, scenes, Scene.CHANNELS, Scene.SIZE, Scene.SIZE);
    }

    /** Captions as (B, L) token ids; an unknown word is an error that names it. */
    public NDArray tokens(NDManager m, List<String> captions) {
        long[] ids = new long[captions.size() * config.maxTokens()];
        for (int i = 0; i < captions.size(); i++) {
            System.arraycopy(CaptionParser.ids(captions.get(i), config.maxTokens()), 0, ids, i * config.maxTokens(), config.maxTokens());
        }
        return m.create(ids, new Shape(captions.size(), config.maxTokens()));
    }

    /** Image embeddings (B, D), not normalised (the Fréchet distance's features). */
    public NDArray encodeImages(ParameterStore ps, NDArray x, boolean training) {
        return net.image(ps, x, training);
    }

    /** Text embeddings (B, D), not normalised. */
    public NDArray encodeText(ParameterStore ps, NDArray tokens, boolean training) {
        return net.text(ps, tokens, training);
    }

    /** Image embeddings of scenes, in batches (no gradient). */
    public float[][] imageFeatures(List<byte[]> scenes) {
        return inBatches(scenes, (ps, part) -> encodeImages(ps, images(ps.getManager(), part), false));
    }

    /** Text embeddings of captions (no gradient). */
    public float[][] textFeatures(List<String> captions) {
        return inBatches(captions, (ps, part) -> encodeText(ps, tokens(ps.getManager(), part), false));
    }

    /** Rows of (B, D) embeddings computed by {@code encode} over batches of 256 items, each in its own scope. */
    private <T> float[][] inBatches(List<T> items, java.util.function.BiFunction<ParameterStore, List<T>, NDArray> encode) {
        float[][] out = new float[items.size()][];
        int d = config.embedding();
        for (int s = 0; s < items.size(); s += 256) {
            try (NDManager sub = manager.newSubManager()) {
                List<T> part = items.subList(s, Math.min(items.size(), s + 256));
                float[] f = encode.apply(new ParameterStore(sub, false), part).toFloatArray();
                for (int i = 0; i < part.size(); i++) {
                    out[s + i] = java.util.Arrays.copyOfRange(f, i * d, (i + 1) * d);
                }
            }
        }
        return out;
    }

    /** cos(a, b). */
    public static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb + 1e-20);
    }

    /** The CLIP score analogue: the mean cosine similarity of each scene with its caption. */
    public double score(List<byte[]> scenes, List<String> captions) {
        return meanCosine(imageFeatures(scenes), textFeatures(captions));
    }

    /** The mean cos(a_i, b_i) of paired embeddings (the CLIP score of features computed once). */
    public static double meanCosine(float[][] a, float[][] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += cosine(a[i], b[i]);
        }
        return sum / a.length;
    }

    public void save(Path dir, Map<String, Object> provenance) throws IOException {
        ModelStore.writeDirAtomically(dir, tmp -> {
            ModelStore.JSON.writeValue(tmp.resolve(CONFIG).toFile(), config);
            BlockWeights.write(net, tmp.resolve(ModelStore.WEIGHTS));
            if (reference != null) {
                try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp.resolve(REFERENCE))))) {
                    out.writeInt(REF_MAGIC);
                    DomainClassifier.writeStats(out, reference);
                }
            }
            ModelStore.JSON.writeValue(tmp.resolve(ModelStore.PROVENANCE).toFile(), provenance);
        });
    }

    public static ContrastiveModel load(Path dir) throws IOException {
        Config c = ModelStore.readJsonConfig(dir, CONFIG, Config.class, "a contrastive model", "train-contrastive");
        ContrastiveModel m = new ContrastiveModel(c);
        try {
            BlockWeights.read(m.net, dir.resolve(ModelStore.WEIGHTS));
            Path ref = dir.resolve(REFERENCE);
            if (Files.isRegularFile(ref)) {
                try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(ref)))) {
                    if (in.readInt() != REF_MAGIC) {
                        throw new IOException(ref + ": not a contrastive reference file (bad magic)");
                    }
                    m.reference = DomainClassifier.readStats(in);
                }
            }
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e instanceof IOException io ? io : new IOException(dir + ": " + e.getMessage());
        }
        return m;
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Both encoders as one block (one weights file). */
    static final class Net extends AbstractBlock {
        private final Config config;
        private final Conv2dBlock c1 = new Conv2dBlock(32, 3, 1);
        private final Conv2dBlock c2 = new Conv2dBlock(32, 3, 2);
        private final Conv2dBlock c3 = new Conv2dBlock(64, 3, 2);
        private final Conv2dBlock c4 = new Conv2dBlock(128, 3, 2);
        private final Linear fc;
        private final Linear imageOut;
        private final IdEmbedding tokenEmbedding;
        private final Parameter positions;
        private final List<TransformerEncoderBlock> layers = new java.util.ArrayList<>();
        private final Linear textOut;

        Net(Config config) {
            super((byte) 1);
            this.config = config;
            addChildBlock("c1", c1);
            addChildBlock("c2", c2);
            addChildBlock("c3", c3);
            addChildBlock("c4", c4);
            fc = addChildBlock("fc", Linear.builder().setUnits(256).build());
            imageOut = addChildBlock("imageOut", Linear.builder().setUnits(config.embedding()).build());
            tokenEmbedding = addChildBlock("tokens", new IdEmbedding.Builder().setDictionarySize(config.vocabulary().size())
                    .setEmbeddingSize(config.textWidth()).build());
            positions = addParameter(Parameter.builder().setName("positions").setType(Parameter.Type.WEIGHT)
                    .optShape(new Shape(config.maxTokens(), config.textWidth())).build());
            for (int i = 0; i < config.textLayers(); i++) {
                layers.add(addChildBlock("layer" + i, new TransformerEncoderBlock(config.textWidth(), config.heads(), 2 * config.textWidth(),
                        0f, Activation::gelu)));
            }
            textOut = addChildBlock("textOut", Linear.builder().setUnits(config.embedding()).build());
        }

        NDArray image(ParameterStore ps, NDArray x, boolean training) {
            NDArray h = Activation.relu(c1.forward(ps, new NDList(x), training).head());
            h = Activation.relu(c2.forward(ps, new NDList(h), training).head());
            h = Activation.relu(c3.forward(ps, new NDList(h), training).head());
            h = Activation.relu(c4.forward(ps, new NDList(h), training).head());
            NDArray f = Activation.relu(fc.forward(ps, new NDList(h.reshape(h.getShape().get(0), -1)), training).head());
            return imageOut.forward(ps, new NDList(f), training).head();
        }

        NDArray text(ParameterStore ps, NDArray tokens, boolean training) {
            NDArray e = org.imagineflash.model.TokenEmbedding.lookup(ps, tokenEmbedding, tokens, training); // (B, L, W)
            NDArray pos = ps.getValue(positions, tokens.getDevice(), training);
            NDArray h = e.add(pos.expandDims(0));
            for (TransformerEncoderBlock layer : layers) {
                h = layer.forward(ps, new NDList(h), training).head();
            }
            NDArray mask = tokens.neq(0).toType(DataType.FLOAT32, false).expandDims(2); // (B, L, 1), 0 at padding
            NDArray pooled = h.mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1}).maximum(1f));
            return textOut.forward(ps, new NDList(pooled), training).head();
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            return new NDList(image(ps, inputs.get(0), training), text(ps, inputs.get(1), training));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {new Shape(inputShapes[0].get(0), config.embedding()), new Shape(inputShapes[1].get(0), config.embedding())};
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape x = inputShapes[0];
            long b = x.get(0);
            c1.initialize(manager, dataType, x);
            c2.initialize(manager, dataType, new Shape(b, 32, 48, 48));
            c3.initialize(manager, dataType, new Shape(b, 32, 24, 24));
            c4.initialize(manager, dataType, new Shape(b, 64, 12, 12));
            fc.initialize(manager, dataType, new Shape(b, 128 * 6 * 6));
            imageOut.initialize(manager, dataType, new Shape(b, 256));
            Shape t = inputShapes[1];
            tokenEmbedding.initialize(manager, dataType, t);
            for (TransformerEncoderBlock layer : layers) {
                layer.initialize(manager, dataType, new Shape(t.get(0), t.get(1), config.textWidth()));
            }
            textOut.initialize(manager, dataType, new Shape(t.get(0), config.textWidth()));
        }
    }
}
