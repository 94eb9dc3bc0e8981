package org.imagineflash.model;

import org.imagineflash.kernel.Conv2dBlock;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Conditional UNet (Ho et al. 2020; Dhariwal &amp; Nichol 2021): sinusoidal timestep embedding + learned
 * class embedding (with a null class for classifier-free guidance), residual blocks with GroupNorm + SiLU,
 * self-attention at chosen resolutions, skip connections by concatenation. A text-conditioned network
 * ({@link UNetConfig#text()}) replaces the class embedding by a projection of its {@link TextEncoder}'s pooled prompt
 * and adds {@link CrossAttention} to the prompt's tokens after every self-attention (latent diffusion's design).
 *
 * <p>Inputs: x (B, C, H, W), t (B) float timesteps, then labels (B) int class indices (numClasses = null class) or
 * prompt tokens (B, L) (all padding = ∅).
 * Output: the raw network output (B, C, H, W), interpreted by a {@link Parameterization}.
 */
public final class UNet extends AbstractBlock implements FeatureNetwork {
    private final UNetConfig config;
    private final Linear timeMlp1;
    private final Linear timeMlp2;
    private final Linear classEmbedding;
    private final TextEncoder textEncoder;
    private final Conv2dBlock convIn;
    private final List<Block> down = new ArrayList<>();
    private final List<Block> mid = new ArrayList<>();
    private final List<Block> up = new ArrayList<>();
    private final GroupNorm normOut;
    private final Conv2dBlock convOut;

    public UNet(UNetConfig c) {
        super((byte) 1);
        this.config = c;
        int emb = c.embDim();
        timeMlp1 = addChildBlock("time1", Linear.builder().setUnits(emb).build());
        timeMlp2 = addChildBlock("time2", Linear.builder().setUnits(emb).build());
        // a class's embedding, or the pooled prompt's projection; none for a text network whose only path to the prompt
        // is cross-attention
        classEmbedding = c.isTextConditioned() && !c.text().pooled() ? null
                : addChildBlock("class", Linear.builder().setUnits(emb).optBias(c.isTextConditioned()).build());
        textEncoder = c.isTextConditioned() ? addChildBlock("text", new TextEncoder(c.text())) : null;
        convIn = addChildBlock("in", ResBlock.conv3(c.baseChannels()));

        List<Integer> skipChannels = new ArrayList<>();
        skipChannels.add(c.baseChannels());
        int ch = c.baseChannels();
        int res = c.imageSize();
        int[] mults = c.channelMults();
        for (int level = 0; level < mults.length; level++) {
            int out = c.baseChannels() * mults[level];
            for (int r = 0; r < c.numResBlocks(); r++) {
                down.add(addChildBlock("d" + level + "r" + r, new ResBlock(ch, out, emb, c.groups())));
                ch = out;
                if (c.attentionAt(res)) {
                    down.add(addChildBlock("d" + level + "a" + r, new SelfAttention(ch, c.heads(), c.groups())));
                    if (c.isTextConditioned()) {
                        down.add(addChildBlock("d" + level + "x" + r, new CrossAttention(ch, c.heads(), c.groups())));
                    }
                }
                skipChannels.add(ch);
            }
            if (level < mults.length - 1) {
                down.add(addChildBlock("d" + level + "down", new Resample(ch, Resample.Kind.DOWN)));
                skipChannels.add(ch);
                res /= 2;
            }
        }
        mid.add(addChildBlock("m1", new ResBlock(ch, ch, emb, c.groups())));
        mid.add(addChildBlock("ma", new SelfAttention(ch, c.heads(), c.groups())));
        if (c.isTextConditioned()) {
            mid.add(addChildBlock("mx", new CrossAttention(ch, c.heads(), c.groups())));
        }
        mid.add(addChildBlock("m2", new ResBlock(ch, ch, emb, c.groups())));
        for (int level = mults.length - 1; level >= 0; level--) {
            int out = c.baseChannels() * mults[level];
            for (int r = 0; r <= c.numResBlocks(); r++) {
                int skip = skipChannels.remove(skipChannels.size() - 1);
                up.add(addChildBlock("u" + level + "r" + r, new ResBlock(ch + skip, out, emb, c.groups())));
                ch = out;
                if (c.attentionAt(res)) {
                    up.add(addChildBlock("u" + level + "a" + r, new SelfAttention(ch, c.heads(), c.groups())));
                    if (c.isTextConditioned()) {
                        up.add(addChildBlock("u" + level + "x" + r, new CrossAttention(ch, c.heads(), c.groups())));
                    }
                }
            }
            if (level > 0) {
                up.add(addChildBlock("u" + level + "up", new Resample(ch, Resample.Kind.UP)));
                res *= 2;
            }
        }
        normOut = addChildBlock("normOut", new GroupNorm(c.groups(), ch));
        convOut = addChildBlock("out", ResBlock.conv3(c.inChannels()));
    }

    public UNetConfig config() {
        return config;
    }

    /** The down path's blocks in order (residual, attention, downsample), for exporters that mirror the forward pass. */
    public List<Block> downBlocks() {
        return List.copyOf(down);
    }

    public List<Block> midBlocks() {
        return List.copyOf(mid);
    }

    public List<Block> upBlocks() {
        return List.copyOf(up);
    }

    /** The frequencies f_i = 10000^(−i/half), i < dim/2, of the timestep embedding. */
    public static float[] timestepFrequencies(int dim) {
        int half = dim / 2;
        float[] f = new float[half];
        for (int i = 0; i < half; i++) {
            f[i] = (float) Math.exp(-Math.log(10000) * i / half);
        }
        return f;
    }

    /** Sinusoidal embedding of t (Vaswani et al. 2017): [sin(t·f_i), cos(t·f_i)], f_i = 10000^(−i/half). (B) → (B, dim). */
    static NDArray timestepEmbedding(NDArray t, int dim) {
        int half = dim / 2;
        float[] f = timestepFrequencies(dim);
        NDArray args = t.reshape(-1, 1).mul(Tensors.floats(t.getManager(), f).reshape(1, half)); // (B, half)
        return args.sin().concat(args.cos(), 1);
    }

    /**
     * What the blocks are conditioned on: the residual blocks' vector (B, E), time embedding + class embedding (or a
     * projection of the pooled prompt), and for a text network the prompt's token sequence (B, L, W) that
     * cross-attention reads (null otherwise).
     */
    private record Conditioning(NDArray emb, NDArray context) {
    }

    /** The text encoder of a text-conditioned network (null otherwise). */
    public TextEncoder textEncoder() {
        return textEncoder;
    }

    private Conditioning conditioning(ParameterStore ps, NDArray t, NDArray condition, boolean training) {
        NDArray temb = timestepEmbedding(t.toType(DataType.FLOAT32, false), config.baseChannels());
        temb = timeMlp1.forward(ps, new NDList(temb), training).head();
        temb = timeMlp2.forward(ps, new NDList(ResBlock.silu(temb)), training).head();
        if (textEncoder != null) {
            boolean frozen = config.text().frozen();
            NDList text = textEncoder.forward(ps, new NDList(condition), training && !frozen); // (B, L, W), (B, W)
            NDArray context = frozen ? text.get(0).stopGradient() : text.get(0);
            NDArray pooled = frozen ? text.get(1).stopGradient() : text.get(1);
            NDArray emb = classEmbedding == null ? temb : temb.add(classEmbedding.forward(ps, new NDList(pooled), training).head());
            return new Conditioning(emb, context);
        }
        NDArray onehot = condition.toType(DataType.INT32, false).oneHot(config.numClasses() + 1); // (B, K+1)
        return new Conditioning(temb.add(classEmbedding.forward(ps, new NDList(onehot), training).head()), null); // (B, E)
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);                                  // (B, C, H, W)
        Conditioning emb = conditioning(ps, inputs.get(1), inputs.get(2), training);
        NDArray h = convIn.forward(ps, new NDList(x), training).head();
        Deque<NDArray> skips = new ArrayDeque<>();
        skips.push(h);
        for (Block b : down) {
            h = apply(b, ps, h, emb, training);
            if (takesSkip(b)) {
                skips.push(h);
            }
        }
        for (Block b : mid) {
            h = apply(b, ps, h, emb, training);
        }
        for (Block b : up) {
            if (b instanceof ResBlock) {
                h = NDArrays.concat(new NDList(h, skips.pop()), 1);
            }
            h = apply(b, ps, h, emb, training);
        }
        h = ResBlock.silu(normOut.forward(ps, new NDList(h), training).head());
        return new NDList(convOut.forward(ps, new NDList(h), training).head());
    }

    /** The encoder's activations: the last map of every resolution level of the down path, then the middle block's. */
    @Override
    public NDList features(ParameterStore ps, NDArray x, NDArray t, Condition c) {
        Conditioning emb = conditioning(ps, t, c.inputs().get(0), false);
        NDArray h = convIn.forward(ps, new NDList(x), false).head();
        NDList out = new NDList();
        for (Block b : down) {
            if (b instanceof Resample) {
                out.add(h);
            }
            h = apply(b, ps, h, emb, false);
        }
        for (Block b : mid) {
            h = apply(b, ps, h, emb, false);
        }
        out.add(h);
        return out;
    }

    /**
     * Whether the down path keeps a skip after block b: after each residual block (after its attention, if any) and
     * after each downsample.
     */
    public boolean takesSkip(Block b) {
        int i = down.indexOf(b);
        return i + 1 >= down.size() || !isAttention(down.get(i + 1));
    }

    private static boolean isAttention(Block b) {
        return b instanceof SelfAttention || b instanceof CrossAttention;
    }

    private static NDArray apply(Block b, ParameterStore ps, NDArray h, Conditioning c, boolean training) {
        NDList in = b instanceof ResBlock ? new NDList(h, c.emb()) : b instanceof CrossAttention ? new NDList(h, c.context()) : new NDList(h);
        return b.forward(ps, in, training).head();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        UNetConfig c = config;
        long b = 1;
        int emb = c.embDim();
        timeMlp1.initialize(manager, dataType, new Shape(b, c.baseChannels()));
        timeMlp2.initialize(manager, dataType, new Shape(b, emb));
        Shape context = null;
        if (textEncoder != null) {
            Shape tokens = new Shape(b, c.text().maxTokens());
            textEncoder.initialize(manager, dataType, tokens);
            if (c.text().frozen()) {
                textEncoder.freezeParameters(true);
            }
            context = textEncoder.getOutputShapes(new Shape[] {tokens})[0];
            if (classEmbedding != null) {
                classEmbedding.initialize(manager, dataType, new Shape(b, c.text().width()));
            }
        } else {
            classEmbedding.initialize(manager, dataType, new Shape(b, c.numClasses() + 1));
        }
        convIn.initialize(manager, dataType, new Shape(b, c.inChannels(), c.imageSize(), c.imageSize()));
        int ch = c.baseChannels();
        int res = c.imageSize();
        List<Integer> skipChannels = new ArrayList<>();
        skipChannels.add(ch);
        for (Block blk : down) {
            Shape in = new Shape(b, ch, res, res);
            Shape second = blk instanceof CrossAttention ? context : new Shape(b, emb);
            blk.initialize(manager, dataType, in, second);
            Shape out = blk.getOutputShapes(new Shape[] {in, second})[0];
            ch = (int) out.get(1);
            if (blk instanceof Resample) {
                res /= 2;
            }
            if (takesSkip(blk)) {
                skipChannels.add(ch);
            }
        }
        for (Block blk : mid) {
            blk.initialize(manager, dataType, new Shape(b, ch, res, res), blk instanceof CrossAttention ? context : new Shape(b, emb));
        }
        for (Block blk : up) {
            int inCh = blk instanceof ResBlock ? ch + skipChannels.remove(skipChannels.size() - 1) : ch;
            Shape in = new Shape(b, inCh, res, res);
            Shape second = blk instanceof CrossAttention ? context : new Shape(b, emb);
            blk.initialize(manager, dataType, in, second);
            ch = (int) blk.getOutputShapes(new Shape[] {in, second})[0].get(1);
            if (blk instanceof Resample) {
                res *= 2;
            }
        }
        normOut.initialize(manager, dataType, new Shape(b, ch, res, res));
        convOut.initialize(manager, dataType, new Shape(b, ch, res, res));
    }
}
