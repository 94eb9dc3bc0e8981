package org.imagineflash.export;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.util.Pair;
import org.imagineflash.export.onnx.Onnx;
import org.imagineflash.kernel.Conv2dBlock;
import org.imagineflash.latent.Autoencoder;
import org.imagineflash.model.DataRange;
import org.imagineflash.model.CrossAttention;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.GroupNorm;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.sampling.FewStepStudent;
import org.imagineflash.schedule.NoiseSchedule;
import org.imagineflash.model.ResBlock;
import org.imagineflash.model.Resample;
import org.imagineflash.model.SelfAttention;
import org.imagineflash.model.TextEncoder;
import org.imagineflash.model.UNet;
import org.imagineflash.model.UNetConfig;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.imagineflash.export.OnnxGraph.attr;

/**
 * A diffusion model's network as an ONNX graph, built from the project's own blocks: inputs {@code x} (B, C, H, W)
 * float, {@code t} (B) float timesteps and {@code class} (B) int64 labels (the null class is ∅); output {@code out},
 * the raw network output that the model's {@link org.imagineflash.model.Parameterization} interprets. The graph mirrors
 * {@link UNet}'s forward pass block by block: Conv, GroupNorm as Reshape + InstanceNormalization + the per-channel
 * affine (opset 17 has no GroupNormalization with per-channel scale), SiLU as x·Sigmoid(x), attention as MatMul and
 * Softmax, nearest ×2 upsampling as Resize, skips as Concat, linear layers as Gemm, the class embedding as a Gather
 * of the one-hot projection's rows. A text-to-image UNet takes the prompt as {@code context} (B, L, W) and, if it
 * uses it, {@code pooled} (B, W) instead of {@code class}: its text encoder ({@link #textEncoder}) and its autoencoder's
 * decoder ({@link #decoder}) are graphs of their own, run once per prompt and once per image.
 */
public final class OnnxExport {
    private final OnnxGraph g;
    private final UNetConfig config;
    /** The prompt's token sequence (B, L, W) that cross-attention reads; null for a class-conditional network. */
    private String context;

    private OnnxExport(OnnxGraph g, UNetConfig config) {
        this.g = g;
        this.config = config;
    }

    /** The network of {@code model} as an ONNX model, with {@code metadata} (e.g. the schedule and the student steps). */
    public static Onnx.ModelProto unet(DiffusionModel model, Map<String, String> metadata) {
        if (!(model.network() instanceof UNet unet)) {
            throw new IllegalArgumentException("only UNet networks export to ONNX");
        }
        UNetConfig c = unet.config();
        OnnxGraph g = new OnnxGraph("unet");
        OnnxExport e = new OnnxExport(g, c);
        long size = c.imageSize();
        String x = g.input("x", Onnx.TensorProto.DataType.FLOAT, null, (long) c.inChannels(), size, size);
        String t = g.input("t", Onnx.TensorProto.DataType.FLOAT, (Long) null);
        String out;
        if (c.isTextConditioned()) {
            long tokens = c.text().maxTokens();
            long width = c.text().width();
            String context = g.input("context", Onnx.TensorProto.DataType.FLOAT, null, tokens, width);
            // a network without the pooled prompt reads the prompt through cross-attention only, and has no such input
            String pooled = c.text().pooled() ? g.input("pooled", Onnx.TensorProto.DataType.FLOAT, null, width) : null;
            out = e.forward(unet, x, t, pooled == null ? null : e.linear((Linear) child(unet, "class"), pooled), context);
        } else {
            String labels = g.input("class", Onnx.TensorProto.DataType.INT64, (Long) null);
            out = e.forward(unet, x, t, e.classEmbedding(unet, labels), null);
        }
        g.output(out, "out", Onnx.TensorProto.DataType.FLOAT, null, (long) c.inChannels(), size, size);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        return g.model(org.imagineflash.model.Provenance.currentGitCommit(), meta);
    }

    /**
     * A distilled student's whole generation as one graph ({@link FewStepStudent} unrolled): inputs {@code noise}
     * (B, C, H, W), x_T, and {@code class} (B) int64 or, for a text-to-image student, {@code tokens} (B, L) int64;
     * output {@code image}, x̂_0 clipped to [−1, 1] (decoded by the autoencoder for a latent student) before rounding.
     * The text encoder runs once, the UNet once per student timestep with its weights held once, and between steps
     * the transition f_Θ(x_t) = α_next·clip(x̂_0) + σ_next·ε̂, with ε̂ = x_T at t = T under noise correction
     * ({@code noise_correction.png}); x̂_0 and ε̂ come from the network's output as {@link
     * Parameterization#toPrediction} reads it. Runs the student's trained step count.
     *
     * @param autoencoder the decoder of a latent student (null for a pixel-space one)
     */
    public static Onnx.ModelProto student(DiffusionModel model, Autoencoder autoencoder, Map<String, String> metadata) {
        ModelConfig mc = model.config();
        if (!supportsStudentGraph(mc) || !(model.network() instanceof UNet unet)) {
            throw new IllegalArgumentException("only a UNet student that steps deterministically through its timesteps exports as one graph "
                    + "(an LCM student re-noises with fresh noise at every step)");
        }
        if ((mc.autoencoder() != null) != (autoencoder != null)) {
            throw new IllegalArgumentException("a latent student exports with its autoencoder's decoder, a pixel-space one without");
        }
        UNetConfig c = unet.config();
        OnnxGraph g = new OnnxGraph("student");
        OnnxExport e = new OnnxExport(g, c);
        long size = c.imageSize();
        String xT = g.input("noise", Onnx.TensorProto.DataType.FLOAT, null, (long) c.inChannels(), size, size);
        String condition;
        String context = null;
        if (c.isTextConditioned()) {
            String[] encoded = e.encodeText(unet, g.input("tokens", Onnx.TensorProto.DataType.INT64, null, (long) c.text().maxTokens()));
            context = encoded[0];
            condition = c.text().pooled() ? e.linear((Linear) child(unet, "class"), encoded[1]) : null;
        } else {
            condition = e.classEmbedding(unet, g.input("class", Onnx.TensorProto.DataType.INT64, (Long) null));
        }
        NoiseSchedule schedule = model.schedule();
        StudentConfig sc = mc.student();
        int[] ts = sc.timesteps();
        String x = xT;
        String x0 = null;
        for (int i = 0; i < ts.length; i++) {
            String out = e.forward(unet, x, g.weight("t", new float[] {ts[i]}, 1), condition, context); // t broadcasts over the batch
            double[] as = schedule.alphaSigmaAt(ts[i]);
            String[] p = e.prediction(mc.parameterization(), out, x, as[0], as[1]);
            if (i == ts.length - 1) {
                x0 = e.clip(p[0], mc.dataRange());
                break;
            }
            String eps = sc.noiseCorrection() && i == 0 && ts[0] == schedule.numTrainTimesteps() - 1 ? xT : p[1];
            String clean = sc.clipsX0() ? e.clip(p[0], mc.dataRange()) : p[0];
            x = g.op("Add", new String[] {g.op("Mul", new String[] {clean, g.scalar("alpha", (float) schedule.alpha(ts[i + 1]))}),
                    g.op("Mul", new String[] {eps, g.scalar("sigma", (float) schedule.sigma(ts[i + 1]))})});
        }
        String image = autoencoder == null ? x0 : e.decode(autoencoder, x0);
        long channels = autoencoder == null ? c.inChannels() : autoencoder.config().imageChannels();
        long side = autoencoder == null ? size : autoencoder.config().imageSize();
        g.output(image, "image", Onnx.TensorProto.DataType.FLOAT, null, channels, side, side);
        return g.model(org.imagineflash.model.Provenance.currentGitCommit(), new LinkedHashMap<>(metadata));
    }

    /**
     * Whether a model exports as one generation graph ({@link #student}): a student that steps deterministically
     * through its own timesteps (not an LCM student, which re-noises with fresh noise at every step).
     */
    public static boolean supportsStudentGraph(ModelConfig c) {
        return c.isStudent() && c.student().sampler() != StudentConfig.Sampling.LCM;
    }

    /** (x̂_0, ε̂) from the network's output, the graph form of {@link Parameterization#toPrediction}, in its order of operations. */
    private String[] prediction(Parameterization p, String out, String x, double alpha, double sigma) {
        String a = g.scalar("alpha", (float) alpha);
        String s = g.scalar("sigma", (float) sigma);
        return switch (p) {
            case EPS -> new String[] {g.op("Div", new String[] {g.op("Sub", new String[] {x, g.op("Mul", new String[] {out, s})}), a}), out};
            case V -> new String[] {g.op("Sub", new String[] {g.op("Mul", new String[] {x, a}), g.op("Mul", new String[] {out, s})}),
                    g.op("Add", new String[] {g.op("Mul", new String[] {x, s}), g.op("Mul", new String[] {out, a})})};
            case X0 -> new String[] {out, g.op("Div", new String[] {g.op("Sub", new String[] {x, g.op("Mul", new String[] {out, a})}), s})};
        };
    }

    /** x clipped to the data range: [−1, 1] for images, unchanged for latents. */
    private String clip(String x, DataRange range) {
        if (!range.bounded()) {
            return x;
        }
        return g.op("Clip", new String[] {x, g.scalar("minus_one", -1f), g.scalar("one", 1f)});
    }

    /** The class embedding of labels: one-hot · Wᵀ is row {@code label} of Wᵀ. */
    private String classEmbedding(UNet unet, String labels) {
        NDArray w = param(child(unet, "class"), "weight"); // (E, K+1)
        String rows = g.weight("class_rows", w.transpose().toFloatArray(), w.getShape().get(1), w.getShape().get(0));
        return g.op("Gather", new String[] {rows, labels}, attr("axis", 0L));
    }

    /**
     * A text-to-image model's text encoder as its own ONNX graph: input {@code tokens} (B, L) int64 (the prompt's ids,
     * padded with 0 to L), outputs {@code context} (B, L, W), the sequence cross-attention reads, and {@code pooled}
     * (B, W), its mean over the real tokens (over all for the empty prompt) ({@link TextEncoder}). DJL's transformer
     * layer is y = BN₂(FF(BN₁(x + Att(x))) + x), with BatchNorm's running statistics at inference.
     */
    public static Onnx.ModelProto textEncoder(DiffusionModel model, Map<String, String> metadata) {
        if (!(model.network() instanceof UNet unet) || !unet.config().isTextConditioned()) {
            throw new IllegalArgumentException("only a text-to-image UNet has a text encoder");
        }
        UNetConfig c = unet.config();
        OnnxGraph g = new OnnxGraph("text_encoder");
        OnnxExport e = new OnnxExport(g, c);
        String tokens = g.input("tokens", Onnx.TensorProto.DataType.INT64, null, (long) c.text().maxTokens());
        String[] encoded = e.encodeText(unet, tokens);
        long length = c.text().maxTokens();
        long width = c.text().width();
        String h = encoded[0];
        String pooled = encoded[1];
        g.output(h, "context", Onnx.TensorProto.DataType.FLOAT, null, length, width);
        g.output(pooled, "pooled", Onnx.TensorProto.DataType.FLOAT, null, width);
        return g.model(org.imagineflash.model.Provenance.currentGitCommit(), new LinkedHashMap<>(metadata));
    }

    /**
     * A latent model's decoder as its own ONNX graph: input {@code z} (B, c, h, w), the scaled latents a sampler ends
     * with; output {@code image} (B, 3, H, W) in [−1, 1] before rounding ({@link Autoencoder#decode}, which divides the
     * scaling factor out first).
     */
    public static Onnx.ModelProto decoder(Autoencoder autoencoder, Map<String, String> metadata) {
        Autoencoder.Config c = autoencoder.config();
        OnnxGraph g = new OnnxGraph("decoder");
        OnnxExport e = new OnnxExport(g, null);
        long side = c.imageSize() / 4;
        String z = g.input("z", Onnx.TensorProto.DataType.FLOAT, null, (long) c.latentChannels(), side, side);
        String h = e.decode(autoencoder, z);
        g.output(h, "image", Onnx.TensorProto.DataType.FLOAT, null, (long) c.imageChannels(), (long) c.imageSize(), (long) c.imageSize());
        return g.model(org.imagineflash.model.Provenance.currentGitCommit(), new LinkedHashMap<>(metadata));
    }

    /** The autoencoder's decoder on the scaled latents {@code z}: the image (B, 3, H, W) in [−1, 1] before rounding. */
    private String decode(Autoencoder autoencoder, String z) {
        String h = g.op("Mul", new String[] {z, g.scalar("inv_scaling_factor", (float) (1.0 / autoencoder.config().scalingFactor()))});
        for (Block b : autoencoder.decoderBlocks()) {
            Block body = Autoencoder.residualBody(b);
            h = body == null ? decoderUnit(b, h) : g.op("Add", new String[] {h, decoderUnit(body, h)});
        }
        return h;
    }

    /** One decoder unit of {@link Autoencoder#decoderBlocks()}: a convolution, or GroupNorm → SiLU → convolution or resampling. */
    private String decoderUnit(Block b, String h) {
        GroupNorm norm = Autoencoder.unitNorm(b);
        String in = norm == null ? h : silu(groupNorm(norm, h));
        Block inner = Autoencoder.unitInner(b);
        return inner instanceof Resample r ? resample(r, in) : conv((Conv2dBlock) inner, in);
    }

    /** The text encoder on {@code tokens} (B, L): its token sequence (B, L, W) and pooled prompt (B, W). */
    private String[] encodeText(UNet unet, String tokens) {
        UNetConfig c = config;
        TextEncoder text = (TextEncoder) child(unet, "text");
        long length = c.text().maxTokens();
        long width = c.text().width();
        NDArray table = param(child(text, "tokens"), "embedding");
        String h = g.op("Gather", new String[] {g.weight("token_embedding", table.toFloatArray(), table.getShape().getShape()), tokens}, attr("axis", 0L));
        NDArray positions = param(text, "positions");
        h = g.op("Add", new String[] {h, g.weight("positions", positions.toFloatArray(), 1, length, width)});
        for (int i = 0; i < c.text().layers(); i++) {
            h = transformerLayer((TransformerEncoderBlock) child(text, "layer" + i), h, c.text().heads(), width);
        }
        // the mean over real tokens: weights 1 for ids ≠ 0; all ones for a prompt with none
        String real = g.op("Cast", g.op("Not", g.op("Equal", new String[] {tokens, g.int64s("pad", 0)})), attr("to", (long) Onnx.TensorProto.DataType.FLOAT_VALUE));
        String none = g.op("Cast", g.op("Equal", new String[] {g.op("ReduceSum", new String[] {real, g.int64s("axis1", 1)}, attr("keepdims", 1L)), g.scalar("zero", 0f)}),
                attr("to", (long) Onnx.TensorProto.DataType.FLOAT_VALUE));
        String weights = g.op("Unsqueeze", new String[] {g.op("Add", new String[] {real, none}), g.int64s("axis2", 2)}); // (B, L, 1)
        String pooled = g.op("Div", new String[] {g.op("ReduceSum", new String[] {g.op("Mul", new String[] {h, weights}), g.int64s("axis1", 1)}, attr("keepdims", 0L)),
                g.op("ReduceSum", new String[] {weights, g.int64s("axis1", 1)}, attr("keepdims", 0L))});
        return new String[] {h, pooled};
    }

    /** One DJL transformer encoder layer on (B, L, W). */
    private String transformerLayer(TransformerEncoderBlock layer, String x, long heads, long width) {
        Block attention = child(layer, "selfAttention");
        long d = width / heads;
        String[] qkv = new String[3];
        String[] names = {"queryProjection", "keyProjection", "valueProjection"};
        for (int i = 0; i < 3; i++) {
            Block p = child(attention, names[i]);
            String y = tokenLinear(param(p, "weight"), param(p, "bias"), x);
            qkv[i] = g.op("Transpose", g.op("Reshape", new String[] {y, g.int64s("shape_blhd", 0, 0, heads, d)}), attr("perm", 0, 2, 1, 3)); // (B, h, L, d)
        }
        String scores = g.op("Mul", new String[] {g.op("MatMul", new String[] {qkv[0], g.op("Transpose", qkv[1], attr("perm", 0, 1, 3, 2))}),
                g.scalar("scale", (float) (1.0 / Math.sqrt(d)))});
        String heads3 = g.op("MatMul", new String[] {g.op("Softmax", scores, attr("axis", 3L)), qkv[2]}); // (B, h, L, d)
        String joined = g.op("Reshape", new String[] {g.op("Transpose", heads3, attr("perm", 0, 2, 1, 3)), g.int64s("shape_blw", 0, 0, width)});
        Block result = child(attention, "resultProjection");
        String att = tokenLinear(param(result, "weight"), param(result, "bias"), joined);
        String normed = batchNorm(child(layer, "attentionNorm"), g.op("Add", new String[] {att, x}));
        List<Block> ff = new ArrayList<>();
        for (Pair<String, Block> p : child(layer, "outputBlock").getChildren()) {
            if (p.getValue() instanceof Linear) {
                ff.add(p.getValue());
            }
        }
        String hidden = gelu(tokenLinear(param(ff.get(0), "weight"), param(ff.get(0), "bias"), normed));
        String out = tokenLinear(param(ff.get(1), "weight"), param(ff.get(1), "bias"), hidden);
        return batchNorm(child(layer, "outputNorm"), g.op("Add", new String[] {out, x}));
    }

    /** BatchNorm over the last axis at inference: (x − running mean)/√(running var + ε)·γ + β, folded into x·s + b. */
    private String batchNorm(Block bn, String x) {
        float[] gamma = param(bn, "gamma").toFloatArray();
        float[] beta = param(bn, "beta").toFloatArray();
        float[] mean = param(bn, "runningMean").toFloatArray();
        float[] var = param(bn, "runningVar").toFloatArray();
        float eps = batchNormEpsilon(bn);
        float[] scale = new float[gamma.length];
        float[] shift = new float[gamma.length];
        for (int i = 0; i < gamma.length; i++) {
            scale[i] = (float) (gamma[i] / Math.sqrt(var[i] + eps));
            shift[i] = beta[i] - mean[i] * scale[i];
        }
        return g.op("Add", new String[] {g.op("Mul", new String[] {x, g.weight("bn_scale", scale, gamma.length)}), g.weight("bn_shift", shift, gamma.length)});
    }

    private static float batchNormEpsilon(Block bn) {
        try {
            java.lang.reflect.Field f = ai.djl.nn.norm.BatchNorm.class.getDeclaredField("epsilon");
            f.setAccessible(true);
            return f.getFloat(bn);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read BatchNorm's epsilon", e);
        }
    }

    /** GELU(x) = x·Φ(x) = ½x(1 + erf(x/√2)), the exact form PyTorch's gelu computes (opset 17 has no Gelu). */
    private String gelu(String x) {
        String erf = g.op("Erf", g.op("Mul", new String[] {x, g.scalar("inv_sqrt2", (float) (1 / Math.sqrt(2)))}));
        return g.op("Mul", new String[] {g.op("Mul", new String[] {x, g.scalar("half", 0.5f)}), g.op("Add", new String[] {erf, g.scalar("one", 1f)})});
    }

    /**
     * The UNet's output for x at t, its blocks conditioned on the time embedding plus {@code conditionEmbedding} (a
     * class's row or the projected pooled prompt) and, for a text network, on {@code context} through cross-attention.
     */
    private String forward(UNet unet, String x, String t, String conditionEmbedding, String context) {
        // time embedding: [sin(t·f), cos(t·f)] → Linear → SiLU → Linear, plus the condition's embedding
        float[] f = UNet.timestepFrequencies(config.baseChannels());
        String args = g.op("Mul", new String[] {g.op("Unsqueeze", new String[] {t, g.int64s("axis1", 1)}), g.weight("freqs", f, 1, f.length)});
        String temb = g.op("Concat", new String[] {g.op("Sin", args), g.op("Cos", args)}, attr("axis", 1L));
        temb = linear((Linear) child(unet, "time1"), temb);
        temb = linear((Linear) child(unet, "time2"), silu(temb));
        String emb = conditionEmbedding == null ? temb : g.op("Add", new String[] {temb, conditionEmbedding});
        this.context = context;

        String h = conv((Conv2dBlock) child(unet, "in"), x);
        Deque<String> skips = new ArrayDeque<>();
        skips.push(h);
        long res = config.imageSize(); // the side of the maps at the current block (attention needs H·W)
        for (Block b : unet.downBlocks()) {
            h = block(b, h, emb, res);
            if (b instanceof Resample) {
                res = (res + 1) / 2;
            }
            if (unet.takesSkip(b)) {
                skips.push(h);
            }
        }
        for (Block b : unet.midBlocks()) {
            h = block(b, h, emb, res);
        }
        for (Block b : unet.upBlocks()) {
            if (b instanceof ResBlock) {
                h = g.op("Concat", new String[] {h, skips.pop()}, attr("axis", 1L));
            }
            h = block(b, h, emb, res);
            if (b instanceof Resample) {
                res *= 2;
            }
        }
        h = silu(groupNorm((GroupNorm) child(unet, "normOut"), h));
        return conv((Conv2dBlock) child(unet, "out"), h);
    }

    private String block(Block b, String h, String emb, long res) {
        if (b instanceof ResBlock r) {
            return resBlock(r, h, emb);
        }
        if (b instanceof SelfAttention a) {
            return selfAttention(a, h, res * res);
        }
        if (b instanceof Resample r) {
            return resample(r, h);
        }
        if (b instanceof CrossAttention a) {
            return crossAttention(a, h, res * res);
        }
        throw new IllegalArgumentException("no ONNX form for block " + b.getClass().getSimpleName());
    }

    /** ×2 nearest upsampling then a convolution, or a stride-2 convolution ({@link Resample}). */
    private String resample(Resample r, String h) {
        String in = r.kind() == Resample.Kind.UP
                ? g.op("Resize", new String[] {h, "", g.weight("scales", new float[] {1, 1, 2, 2}, 4)},
                attr("mode", "nearest"), attr("coordinate_transformation_mode", "asymmetric"), attr("nearest_mode", "floor"))
                : h;
        return conv((Conv2dBlock) child(r, "conv"), in);
    }

    /** h = Conv(SiLU(GN(x))) + Linear(SiLU(emb)); h = Conv(SiLU(GN(h))); skip(x) + h ({@link ResBlock}). */
    private String resBlock(ResBlock r, String x, String emb) {
        String h = conv((Conv2dBlock) child(r, "conv1"), silu(groupNorm((GroupNorm) child(r, "norm1"), x)));
        Linear proj = (Linear) child(r, "emb");
        long channels = param(proj, "weight").getShape().get(0);
        String e = g.op("Reshape", new String[] {linear(proj, silu(emb)), g.int64s("shape_c11", -1, channels, 1, 1)});
        h = g.op("Add", new String[] {h, e});
        h = conv((Conv2dBlock) child(r, "conv2"), silu(groupNorm((GroupNorm) child(r, "norm2"), h)));
        Block skip = childOrNull(r, "skip");
        String s = skip == null ? x : conv((Conv2dBlock) skip, x);
        return g.op("Add", new String[] {s, h});
    }

    /** x + Proj(softmax(QᵀK/√d) V) over the H·W positions, per head ({@link SelfAttention}). */
    private String selfAttention(SelfAttention a, String x, long positions) {
        Conv2dBlock qkvConv = (Conv2dBlock) child(a, "qkv");
        long channels = param(qkvConv, "weight").getShape().get(0) / 3;
        long heads = a.heads();
        long d = channels / heads;
        String qkv = conv(qkvConv, groupNorm((GroupNorm) child(a, "norm"), x));
        String r = g.op("Reshape", new String[] {qkv, g.int64s("shape_qkv", 0, 3, heads, d, -1)}); // (B, 3, h, d, N)
        String[] parts = new String[3]; // q, k, v as (B·h, d, N)
        for (int i = 0; i < 3; i++) {
            String part = g.op("Gather", new String[] {r, g.int64s("index", i)}, attr("axis", 1L)); // (B, 1, h, d, N)
            parts[i] = g.op("Reshape", new String[] {part, g.int64s("shape_heads", -1, d, positions)});
        }
        String scale = g.scalar("scale", (float) (1.0 / Math.sqrt(d)));
        String logits = g.op("Mul", new String[] {g.op("MatMul", new String[] {g.op("Transpose", parts[0], attr("perm", 0, 2, 1)), parts[1]}), scale});
        String attn = g.op("Softmax", logits, attr("axis", -1L)); // (B·h, N, N)
        String o = g.op("MatMul", new String[] {parts[2], g.op("Transpose", attn, attr("perm", 0, 2, 1))}); // (B·h, d, N)
        o = g.op("Reshape", new String[] {o, g.op("Shape", x)}); // (B, C, H, W)
        return g.op("Add", new String[] {x, conv((Conv2dBlock) child(a, "proj"), o)});
    }

    /**
     * x + Proj(softmax(Q Kᵀ/√d) V), Q from GN(x) at the H·W positions, K and V from the prompt's tokens, per head
     * ({@link CrossAttention}). The block's joint K|V projection is exported as two Gemm-like MatMuls, one per half.
     */
    private String crossAttention(CrossAttention a, String x, long positions) {
        Conv2dBlock qConv = (Conv2dBlock) child(a, "q");
        long channels = param(qConv, "weight").getShape().get(0);
        long heads = a.heads();
        long d = channels / heads;
        String q = g.op("Reshape", new String[] {conv(qConv, groupNorm((GroupNorm) child(a, "norm"), x)), g.int64s("shape_heads", -1, d, positions)});
        q = g.op("Transpose", q, attr("perm", 0, 2, 1)); // (B·h, N, d)
        Linear kv = (Linear) child(a, "kv");
        NDArray w = param(kv, "weight"); // (2C, W)
        NDArray bias = param(kv, "bias");
        String k = tokenLinear(w.get("0:" + channels), bias.get("0:" + channels), context); // (B, L, C)
        String v = tokenLinear(w.get(channels + ":"), bias.get(channels + ":"), context);
        k = g.op("Reshape", new String[] {g.op("Transpose", g.op("Reshape", new String[] {k, g.int64s("shape_blhd", 0, 0, heads, d)}),
                attr("perm", 0, 2, 3, 1)), g.int64s("shape_bh_d_l", -1, d, config.text().maxTokens())}); // (B·h, d, L)
        v = g.op("Reshape", new String[] {g.op("Transpose", g.op("Reshape", new String[] {v, g.int64s("shape_blhd", 0, 0, heads, d)}),
                attr("perm", 0, 2, 1, 3)), g.int64s("shape_bh_l_d", -1, config.text().maxTokens(), d)}); // (B·h, L, d)
        String logits = g.op("Mul", new String[] {g.op("MatMul", new String[] {q, k}), g.scalar("scale", (float) (1.0 / Math.sqrt(d)))});
        String o = g.op("MatMul", new String[] {g.op("Softmax", logits, attr("axis", -1L)), v}); // (B·h, N, d)
        o = g.op("Reshape", new String[] {g.op("Transpose", o, attr("perm", 0, 2, 1)), g.op("Shape", x)}); // (B, C, H, W)
        return g.op("Add", new String[] {x, conv((Conv2dBlock) child(a, "proj"), o)});
    }

    /** y = x·Wᵀ + b over the last axis of a (B, L, W) sequence. */
    private String tokenLinear(NDArray w, NDArray b, String x) {
        NDArray wt = w.transpose();
        String y = g.op("MatMul", new String[] {x, g.weight("linear_wt", wt.toFloatArray(), wt.getShape().getShape())});
        return b == null ? y : g.op("Add", new String[] {y, g.weight("linear_b", b.toFloatArray(), b.getShape().get(0))});
    }

    /** GN(x): statistics per (sample, group) by InstanceNormalization on the (B, G, C/G·H·W) view, then γ, β per channel. */
    private String groupNorm(GroupNorm n, String x) {
        NDArray gamma = param(n, "gamma");
        long channels = gamma.getShape().get(0);
        int groups = n.groups();
        float[] ones = new float[groups];
        java.util.Arrays.fill(ones, 1f);
        String grouped = g.op("Reshape", new String[] {x, g.int64s("shape_groups", 0, groups, -1)});
        String normed = g.op("InstanceNormalization", new String[] {grouped, g.weight("ones", ones, groups), g.weight("zeros", new float[groups], groups)},
                attr("epsilon", GroupNorm.epsilon()));
        String back = g.op("Reshape", new String[] {normed, g.op("Shape", x)});
        String scaled = g.op("Mul", new String[] {back, g.weight("gamma", gamma.toFloatArray(), 1, channels, 1, 1)});
        return g.op("Add", new String[] {scaled, g.weight("beta", param(n, "beta").toFloatArray(), 1, channels, 1, 1)});
    }

    private String conv(Conv2dBlock c, String x) {
        NDArray w = param(c, "weight");
        long[] s = w.getShape().getShape();
        int p = c.kernel() / 2;
        return g.op("Conv", new String[] {x, g.weight("conv_w", w.toFloatArray(), s), g.weight("conv_b", param(c, "bias").toFloatArray(), s[0])},
                attr("kernel_shape", c.kernel(), c.kernel()), attr("strides", c.stride(), c.stride()), attr("pads", p, p, p, p));
    }

    /** y = x·Wᵀ + b (DJL's Linear stores W as (out, in)). */
    private String linear(Linear l, String x) {
        NDArray w = param(l, "weight");
        String wn = g.weight("linear_w", w.toFloatArray(), w.getShape().getShape());
        NDArray b = paramOrNull(l, "bias");
        return b == null ? g.op("Gemm", new String[] {x, wn}, attr("transB", 1L))
                : g.op("Gemm", new String[] {x, wn, g.weight("linear_b", b.toFloatArray(), b.getShape().get(0))}, attr("transB", 1L));
    }

    private String silu(String x) {
        return g.op("Mul", new String[] {x, g.op("Sigmoid", x)});
    }

    /** A child block by the name it was added under (DJL prefixes child names with their position). */
    static Block child(Block b, String name) {
        Block c = childOrNull(b, name);
        if (c == null) {
            throw new IllegalStateException(b.getClass().getSimpleName() + " has no child block '" + name + "'");
        }
        return c;
    }

    static Block childOrNull(Block b, String name) {
        for (Pair<String, Block> p : b.getChildren()) {
            if (p.getKey().replaceFirst("^\\d+", "").equals(name)) {
                return p.getValue();
            }
        }
        return null;
    }

    static NDArray param(Block b, String name) {
        NDArray a = paramOrNull(b, name);
        if (a == null) {
            throw new IllegalStateException(b.getClass().getSimpleName() + " has no parameter '" + name + "'");
        }
        return a;
    }

    static NDArray paramOrNull(Block b, String name) {
        for (Pair<String, Parameter> p : b.getDirectParameters()) {
            if (p.getKey().equals(name)) {
                return p.getValue().getArray();
            }
        }
        return null;
    }
}
