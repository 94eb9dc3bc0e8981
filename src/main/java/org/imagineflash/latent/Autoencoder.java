package org.imagineflash.latent;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.imagineflash.kernel.Conv2dBlock;
import org.imagineflash.model.BlockWeights;
import org.imagineflash.model.GroupNorm;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Resample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The latent space of the text-to-image task: a KL autoencoder (Kingma &amp; Welling 2014; the first stage of latent
 * diffusion, Rombach et al. 2022, as in Emu and Stable Diffusion) from 3×48×48 images in [−1, 1] to 4×12×12 latents
 * (downsampling factor 4).
 * With widths (f, m, w) at 48×48, 24×24 and 12×12, every bracket GroupNorm → SiLU → convolution 3×3:
 * <pre>
 *   encoder: conv(f) · [conv/2(f)] · [conv(m)] · [conv/2(m)] · [conv(w)] · [conv(w)] · [conv(2·z)] → (μ, log σ²)
 *   decoder: conv(w) · [conv(w)] · [conv(w)] · [conv(m)] · [up×2, conv(m)] · [conv(f)] · [up×2, conv(f)] · [conv(3)]
 * </pre>
 * The decoder narrows before it upsamples, so most of its depth runs at 12×12: it runs after every student's last
 * step and must stay cheap at batch 1. A decoder depth d &gt; 0 adds d residual units x + conv(SiLU(GN(x))) after each
 * upsampling (at 24×24 with m channels, at 48×48 with f), where the garments' small structure is drawn; their last
 * convolution starts at zero, so a deeper decoder fine-tuned from a shallower one starts as exactly that decoder.
 * Latents are stored scaled: z = scalingFactor·(μ + σ·ε), with the scaling factor chosen after training so that
 * latents of training scenes have unit variance (diffusers' {@code scaling_factor}); {@link #decode} divides it out.
 */
public final class Autoencoder implements AutoCloseable {
    public static final String CONFIG = "autoencoder.json";

    /**
     * @param widths channels at full, half and quarter resolution
     * @param latentChannels z
     * @param groups GroupNorm groups
     * @param scalingFactor 1/std of the latents of training scenes (1 before it is measured)
     * @param latentsOf null, or the SHA-256 of the weights whose encoder and scaling factor these weights keep (only
     *                  their decoder was fine-tuned): models trained on those latents decode with these
     * @param decoderDepth residual units after each of the decoder's upsamplings (0: none; absent in older configs)
     */
    public record Config(String kind, int imageSize, int imageChannels, int[] widths, int latentChannels, int groups, double scalingFactor,
                         String latentsOf, int decoderDepth) {
        /** The largest {@link #decoderDepth}: each unit costs decoding time after every student's last step. */
        public static final int MAX_DECODER_DEPTH = 4;

        public Config {
            if (!"autoencoder".equals(kind)) {
                throw new IllegalArgumentException("not an autoencoder config (kind '" + kind + "')");
            }
            if (imageSize < 8 || imageSize > 1024 || imageSize % 4 != 0 || imageChannels < 1 || imageChannels > 4
                    || widths == null || widths.length != 3 || java.util.Arrays.stream(widths).anyMatch(w -> w < 1 || w > 1024 || w % groups != 0)
                    || latentChannels < 1 || latentChannels > 64 || groups < 1 || !(scalingFactor > 0 && Double.isFinite(scalingFactor))
                    || (latentsOf != null && !latentsOf.matches("[0-9a-f]{64}"))) {
                throw new IllegalArgumentException("invalid autoencoder config " + this);
            }
            if (decoderDepth < 0 || decoderDepth > MAX_DECODER_DEPTH) {
                throw new IllegalArgumentException("the decoder depth must be in 0.." + MAX_DECODER_DEPTH + ", got " + decoderDepth);
            }
        }

        /** The shipped architecture for 48×48 RGB scenes: 12×12×4 latents. */
        public static Config scenes() {
            return scenes(new int[] {32, 48, 96}, 8);
        }

        /** A 48×48 RGB scene autoencoder to 12×12×4 latents with these stage widths and group-norm groups. */
        public static Config scenes(int[] widths, int groups) {
            return new Config("autoencoder", 48, 3, widths, 4, groups, 1.0, null, 0);
        }

        public int latentSize() {
            return imageSize / 4;
        }

        public Config withScalingFactor(double s) {
            return new Config(kind, imageSize, imageChannels, widths, latentChannels, groups, s, latentsOf, decoderDepth);
        }

        /** This config, its decoder fine-tuned from the autoencoder whose weights have this SHA-256. */
        public Config withLatentsOf(String sha256) {
            return new Config(kind, imageSize, imageChannels, widths, latentChannels, groups, scalingFactor, sha256, decoderDepth);
        }

        /** This config with {@code d} residual units after each decoder upsampling (the encoder and latents unchanged). */
        public Config withDecoderDepth(int d) {
            return new Config(kind, imageSize, imageChannels, widths, latentChannels, groups, scalingFactor, latentsOf, d);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && kind.equals(c.kind) && imageSize == c.imageSize && imageChannels == c.imageChannels
                    && java.util.Arrays.equals(widths, c.widths) && latentChannels == c.latentChannels && groups == c.groups
                    && scalingFactor == c.scalingFactor && java.util.Objects.equals(latentsOf, c.latentsOf) && decoderDepth == c.decoderDepth;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(kind, imageSize, imageChannels, java.util.Arrays.hashCode(widths), latentChannels, groups, scalingFactor,
                    latentsOf, decoderDepth);
        }

        @Override
        public String toString() {
            return "Config[" + imageChannels + "×" + imageSize + "², widths " + java.util.Arrays.toString(widths) + ", latent "
                    + latentChannels + ", groups " + groups + ", scale " + scalingFactor
                    + (decoderDepth == 0 ? "" : ", decoder depth " + decoderDepth) + (latentsOf == null ? "" : ", latents of " + latentsOf.substring(0, 12)) + "]";
        }
    }

    private Config config;
    private final NDManager manager;
    private final Net net;

    private Autoencoder(Config config) {
        this.config = config;
        this.manager = NDManager.newBaseManager();
        this.net = new Net(config);
        net.initialize(manager, DataType.FLOAT32, new Shape(1, config.imageChannels(), config.imageSize(), config.imageSize()));
        net.zeroResiduals();
    }

    public static Autoencoder create(Config config, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        return new Autoencoder(config);
    }

    /** The decoder's blocks in order (for exporting it): convolutions, and GroupNorm → SiLU → convolution or ×2 upsampling units. */
    public java.util.List<Block> decoderBlocks() {
        return net.decoder.blocks;
    }

    /** The unit of {@link #decoderBlocks()} at GroupNorm → SiLU → {@code inner}: its norm (null for a plain block). */
    public static GroupNorm unitNorm(Block b) {
        return b instanceof NormActConv n ? n.norm : null;
    }

    /** The GroupNorm → SiLU → convolution unit a residual decoder unit adds to its input, or null for any other unit. */
    public static Block residualBody(Block b) {
        return b instanceof Residual r ? r.body : null;
    }

    /** The convolution or resampling block of a decoder unit (the block itself for a plain convolution). */
    public static Block unitInner(Block b) {
        return b instanceof NormActConv n ? n.conv : b;
    }

    public Config config() {
        return config;
    }

    /**
     * A copy of this autoencoder whose decoder has {@code depth} residual units after each upsampling: the encoder, the
     * scaling factor and every existing unit keep their weights, and the added units start as the identity, so the copy
     * decodes exactly as this one until its decoder is fine-tuned.
     */
    public Autoencoder withDecoderDepth(int depth) {
        if (depth < config.decoderDepth()) {
            throw new IllegalArgumentException("a decoder fine-tune can add residual units, not remove them (this decoder has "
                    + config.decoderDepth() + " after each upsampling, asked for " + depth + ")");
        }
        Autoencoder deeper = new Autoencoder(config.withDecoderDepth(depth));
        BlockWeights.copy(BlockWeights.parameters(net.encoder), BlockWeights.parameters(deeper.net.encoder), "encoder");
        List<Block> from = net.decoder.blocks;
        List<Block> to = deeper.net.decoder.blocks;
        int j = 0;
        for (Block b : from) {
            while (to.get(j) instanceof Residual && !(b instanceof Residual)) {
                j++; // a new unit: stays the identity
            }
            BlockWeights.copy(BlockWeights.parameters(b), BlockWeights.parameters(to.get(j)), "decoder unit " + j);
            j++;
        }
        return deeper;
    }

    public void setScalingFactor(double s) {
        config = config.withScalingFactor(s);
    }

    /** Records that this decoder was fine-tuned on the latents of the weights with this SHA-256 (see {@link Config}). */
    public void setLatentsOf(String weightsSha256) {
        config = config.withLatentsOf(weightsSha256);
    }

    public NDManager manager() {
        return manager;
    }

    public List<Parameter> parameters() {
        return BlockWeights.parameters(net);
    }

    /** The decoder's parameters (what a decoder fine-tune trains). */
    public List<Parameter> decoderParameters() {
        return BlockWeights.parameters(net.decoder);
    }

    /** Freezes the encoder (no gradients), so that the latents it makes, and models trained on them, stay valid. */
    public void freezeEncoder() {
        net.encoder.freezeParameters(true);
    }

    /**
     * Whether this autoencoder (loaded from {@code dir}) makes the latents of the weights with this SHA-256: they are
     * its own weights, or those its decoder was fine-tuned from.
     */
    public boolean makesLatentsOf(String weightsSha256, Path dir) throws IOException {
        return weightsSha256.equals(ModelStore.sha256(dir.resolve(ModelStore.WEIGHTS))) || weightsSha256.equals(config.latentsOf());
    }

    /**
     * The SHA-256 that names the latents this autoencoder (loaded from {@code dir}) makes: the weights its decoder was
     * fine-tuned from, or its own (what a decoder fine-tune of it records as {@link Config#latentsOf}).
     */
    public String latents(Path dir) throws IOException {
        return config.latentsOf() != null ? config.latentsOf() : ModelStore.sha256(dir.resolve(ModelStore.WEIGHTS));
    }

    /** (μ, log σ²) of the posterior, unscaled, each (B, z, H/4, W/4). */
    public NDList posterior(ParameterStore ps, NDArray x, boolean training) {
        NDArray h = net.encoder.forward(ps, new NDList(x), training).head();
        long z = config.latentChannels();
        return new NDList(h.get(":, 0:" + z), h.get(":, " + z + ":").clip(-30, 20));
    }

    /** Scaled latents of the posterior means (deterministic encoding). */
    public NDArray encode(ParameterStore ps, NDArray x) {
        return posterior(ps, x, false).get(0).mul((float) config.scalingFactor());
    }

    /** Images in [−1, 1] (not clipped) from unscaled latents. */
    public NDArray decodeUnscaled(ParameterStore ps, NDArray z, boolean training) {
        return net.decoder.forward(ps, new NDList(z), training).head();
    }

    /** Images in [−1, 1] (not clipped) from scaled latents. */
    public NDArray decode(ParameterStore ps, NDArray zScaled) {
        return decodeUnscaled(ps, zScaled.div((float) config.scalingFactor()), false);
    }

    public void save(Path dir, Map<String, Object> provenance) throws IOException {
        ModelStore.writeDirAtomically(dir, tmp -> {
            ModelStore.JSON.writeValue(tmp.resolve(CONFIG).toFile(), config);
            writeWeights(tmp.resolve(ModelStore.WEIGHTS));
            ModelStore.JSON.writeValue(tmp.resolve(ModelStore.PROVENANCE).toFile(), provenance);
        });
    }

    public void writeWeights(Path file) throws IOException {
        BlockWeights.write(net, file);
    }

    public void readWeights(Path file) throws IOException {
        BlockWeights.read(net, file);
    }

    public static Autoencoder load(Path dir) throws IOException {
        Config c = ModelStore.readJsonConfig(dir, CONFIG, Config.class, "an autoencoder", "train-autoencoder");
        Autoencoder a = new Autoencoder(c);
        try {
            a.readWeights(dir.resolve(ModelStore.WEIGHTS));
        } catch (IOException | RuntimeException e) {
            a.close();
            throw e instanceof IOException io ? io : new IOException(dir + ": " + e.getMessage());
        }
        return a;
    }

    /**
     * The autoencoder whose latents a latent diffusion model ({@code modelDir}, config {@code config}) denoises: the one its
     * config names, refused when its weights changed since the model was trained (their checksum) or its latents
     * have another shape.
     */
    public static Autoencoder forModel(ModelConfig config, Path modelDir) throws IOException {
        if (config.autoencoder() == null) {
            throw new IllegalArgumentException(modelDir + " is a pixel-space model; it has no autoencoder");
        }
        Path dir = Path.of(config.autoencoder());
        Autoencoder ae;
        try {
            ae = load(dir);
        } catch (IOException | RuntimeException e) {
            throw new IOException(modelDir + " denoises the latents of " + dir + ", which does not load: " + e.getMessage());
        }
        String sha = config.autoencoderSha256();
        if (sha != null && !ae.makesLatentsOf(sha, dir)) {
            ae.close();
            throw new IOException(modelDir + " was trained on the latents of another " + dir
                    + " (its weights' checksum differs); retrain it on this autoencoder or restore that one");
        }
        if (ae.config().latentChannels() != config.unet().inChannels() || ae.config().latentSize() != config.unet().imageSize()) {
            ae.close();
            throw new IOException(modelDir + ": its latents are " + config.unet().inChannels() + "×" + config.unet().imageSize()
                    + "², but " + dir + " makes " + ae.config().latentChannels() + "×" + ae.config().latentSize() + "²");
        }
        return ae;
    }

    @Override
    public void close() {
        manager.close();
    }

    /** GroupNorm → SiLU → a convolution-like block (the pre-activation unit of both halves). */
    static final class NormActConv extends AbstractBlock {
        private final GroupNorm norm;
        private final Block conv;

        NormActConv(int groups, int inChannels, Block conv) {
            super((byte) 1);
            norm = addChildBlock("norm", new GroupNorm(groups, inChannels));
            this.conv = addChildBlock("conv", conv);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray h = norm.forward(ps, inputs, training).head();
            return conv.forward(ps, new NDList(h.mul(Activation.sigmoid(h))), training);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return conv.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            norm.initialize(manager, dataType, inputShapes);
            conv.initialize(manager, dataType, inputShapes);
        }
    }

    /** x + (GroupNorm → SiLU → convolution 3×3)(x), channels kept: the decoder's extra depth (see the class comment). */
    static final class Residual extends AbstractBlock {
        private final NormActConv body;

        Residual(int groups, int channels) {
            super((byte) 1);
            body = addChildBlock("body", new NormActConv(groups, channels, new Conv2dBlock(channels, 3, 1)));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            return new NDList(inputs.head().add(body.forward(ps, inputs, training).head()));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            body.initialize(manager, dataType, inputShapes);
        }
    }

    /** Blocks applied in order, each shape following from the last. */
    static final class Chain extends AbstractBlock {
        private final List<Block> blocks = new ArrayList<>();

        Chain() {
            super((byte) 1);
        }

        Chain add(Block b) {
            blocks.add(addChildBlock("b" + blocks.size(), b));
            return this;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDList h = inputs;
            for (Block b : blocks) {
                h = b.forward(ps, h, training);
            }
            return h;
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape[] s = inputShapes;
            for (Block b : blocks) {
                s = b.getOutputShapes(s);
            }
            return s;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape[] s = inputShapes;
            for (Block b : blocks) {
                b.initialize(manager, dataType, s);
                s = b.getOutputShapes(s);
            }
        }
    }

    static final class Net extends AbstractBlock {
        final Chain encoder;
        final Chain decoder;
        private final Config config;

        Net(Config c) {
            super((byte) 1);
            this.config = c;
            int f = c.widths()[0];
            int m = c.widths()[1];
            int w = c.widths()[2];
            int g = c.groups();
            encoder = addChildBlock("encoder", new Chain()
                    .add(new Conv2dBlock(f, 3, 1))
                    .add(new NormActConv(g, f, new Resample(f, Resample.Kind.DOWN)))
                    .add(new NormActConv(g, f, new Conv2dBlock(m, 3, 1)))
                    .add(new NormActConv(g, m, new Resample(m, Resample.Kind.DOWN)))
                    .add(new NormActConv(g, m, new Conv2dBlock(w, 3, 1)))
                    .add(new NormActConv(g, w, new Conv2dBlock(w, 3, 1)))
                    .add(new NormActConv(g, w, new Conv2dBlock(2 * c.latentChannels(), 3, 1))));
            Chain d = new Chain()
                    .add(new Conv2dBlock(w, 3, 1))
                    .add(new NormActConv(g, w, new Conv2dBlock(w, 3, 1)))
                    .add(new NormActConv(g, w, new Conv2dBlock(w, 3, 1)))
                    .add(new NormActConv(g, w, new Conv2dBlock(m, 3, 1)))
                    .add(new NormActConv(g, m, new Resample(m, Resample.Kind.UP)));
            for (int i = 0; i < c.decoderDepth(); i++) {
                d.add(new Residual(g, m));
            }
            d.add(new NormActConv(g, m, new Conv2dBlock(f, 3, 1)))
                    .add(new NormActConv(g, f, new Resample(f, Resample.Kind.UP)));
            for (int i = 0; i < c.decoderDepth(); i++) {
                d.add(new Residual(g, f));
            }
            decoder = addChildBlock("decoder", d.add(new NormActConv(g, f, new Conv2dBlock(c.imageChannels(), 3, 1))));
        }

        /** Zeroes the last convolution of every residual unit, so that each starts as the identity. */
        void zeroResiduals() {
            for (Block b : decoder.blocks) {
                if (b instanceof Residual r) {
                    for (Parameter p : BlockWeights.parameters(r.body.conv)) {
                        p.getArray().muli(0);
                    }
                }
            }
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray h = encoder.forward(ps, inputs, training).head();
            return decoder.forward(ps, new NDList(h.get(":, 0:" + config.latentChannels())), training);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            encoder.initialize(manager, dataType, inputShapes);
            Shape x = inputShapes[0];
            decoder.initialize(manager, dataType, new Shape(x.get(0), config.latentChannels(), x.get(2) / 4, x.get(3) / 4));
        }
    }
}
