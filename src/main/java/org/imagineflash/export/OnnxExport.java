package org.imagineflash.export;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import org.imagineflash.export.onnx.Onnx;
import org.imagineflash.kernel.Conv2dBlock;
import org.imagineflash.model.CrossAttention;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.GroupNorm;
import org.imagineflash.model.ResBlock;
import org.imagineflash.model.Resample;
import org.imagineflash.model.SelfAttention;
import org.imagineflash.model.UNet;
import org.imagineflash.model.UNetConfig;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.imagineflash.export.OnnxGraph.attr;

/**
 * A diffusion model's network as an ONNX graph, built from the project's own blocks: inputs {@code x} (B, C, H, W)
 * float, {@code t} (B) float timesteps and {@code class} (B) int64 labels (the null class is ∅); output {@code out},
 * the raw network output that the model's {@link org.imagineflash.model.Parameterization} interprets. The graph mirrors
 * {@link UNet}'s forward pass block by block: Conv, GroupNorm as Reshape + InstanceNormalization + the per-channel
 * affine (opset 17 has no GroupNormalization with per-channel scale), SiLU as x·Sigmoid(x), attention as MatMul and
 * Softmax, nearest ×2 upsampling as Resize, skips as Concat, linear layers as Gemm, the class embedding as a Gather
 * of the one-hot projection's rows.
 */
public final class OnnxExport {
    private final OnnxGraph g;
    private final UNetConfig config;

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
        if (c.isTextConditioned()) {
            throw new IllegalArgumentException("a text-to-image model exports as separate graphs (text encoder, UNet, decoder); "
                    + "this export covers class-conditional models");
        }
        OnnxGraph g = new OnnxGraph("unet");
        OnnxExport e = new OnnxExport(g, c);
        long size = c.imageSize();
        String x = g.input("x", Onnx.TensorProto.DataType.FLOAT, null, (long) c.inChannels(), size, size);
        String t = g.input("t", Onnx.TensorProto.DataType.FLOAT, (Long) null);
        String labels = g.input("class", Onnx.TensorProto.DataType.INT64, (Long) null);
        String out = e.forward(unet, x, t, labels);
        g.output(out, "out", Onnx.TensorProto.DataType.FLOAT, null, (long) c.inChannels(), size, size);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        return g.model(org.imagineflash.model.Provenance.currentGitCommit(), meta);
    }

    private String forward(UNet unet, String x, String t, String labels) {
        // time embedding: [sin(t·f), cos(t·f)] → Linear → SiLU → Linear, plus the class embedding
        float[] f = UNet.timestepFrequencies(config.baseChannels());
        String args = g.op("Mul", new String[] {g.op("Unsqueeze", new String[] {t, g.int64s("axis1", 1)}), g.weight("freqs", f, 1, f.length)});
        String temb = g.op("Concat", new String[] {g.op("Sin", args), g.op("Cos", args)}, attr("axis", 1L));
        temb = linear((Linear) child(unet, "time1"), temb);
        temb = linear((Linear) child(unet, "time2"), silu(temb));
        Linear classEmbedding = (Linear) child(unet, "class");
        NDArray w = param(classEmbedding, "weight"); // (E, K+1): one-hot · Wᵀ = row `label` of Wᵀ
        String rows = g.weight("class_rows", w.transpose().toFloatArray(), w.getShape().get(1), w.getShape().get(0));
        String emb = g.op("Add", new String[] {temb, g.op("Gather", new String[] {rows, labels}, attr("axis", 0L))});

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
            String in = r.kind() == Resample.Kind.UP
                    ? g.op("Resize", new String[] {h, "", g.weight("scales", new float[] {1, 1, 2, 2}, 4)},
                    attr("mode", "nearest"), attr("coordinate_transformation_mode", "asymmetric"), attr("nearest_mode", "floor"))
                    : h;
            return conv((Conv2dBlock) child(r, "conv"), in);
        }
        if (b instanceof CrossAttention) {
            throw new IllegalArgumentException("cross-attention belongs to text-to-image models");
        }
        throw new IllegalArgumentException("no ONNX form for block " + b.getClass().getSimpleName());
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
