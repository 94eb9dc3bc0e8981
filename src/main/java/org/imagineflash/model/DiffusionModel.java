package org.imagineflash.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import org.imagineflash.schedule.NoiseSchedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * A UNet together with its noise schedule and parameterization: turns the raw network into {@link Denoiser}s.
 * Owns the NDManager of its parameters; close it when done.
 */
public final class DiffusionModel implements AutoCloseable {
    private final ModelConfig config;
    private final NDManager manager;
    private final Block unet;
    private final Function<UNetConfig, Block> networkFactory;
    private final NoiseSchedule schedule;

    private DiffusionModel(ModelConfig config, NDManager manager, Block unet, Function<UNetConfig, Block> factory) {
        this.config = config;
        this.manager = manager;
        this.unet = unet;
        this.networkFactory = factory;
        this.schedule = new NoiseSchedule(config.schedule());
    }

    /** A freshly initialised model; the engine's RNG is seeded with {@code seed} so the weights are reproducible. */
    public static DiffusionModel create(ModelConfig config, long seed) {
        return create(config, seed, UNet::new);
    }

    /**
     * A model whose network is built by {@code factory} (any block mapping (x, t, condition inputs…) to an output of x's shape);
     * the UNet is the default. Tests use a small MLP on low-dimensional data.
     */
    public static DiffusionModel create(ModelConfig config, long seed, Function<UNetConfig, Block> factory) {
        NDManager m = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed((int) seed);
        Block net = factory.apply(config.unet());
        UNetConfig u = config.unet();
        Shape condition = u.isTextConditioned() ? new Shape(1, u.text().maxTokens()) : new Shape(1);
        net.initialize(m, DataType.FLOAT32, new Shape(1, u.inChannels(), u.imageSize(), u.imageSize()), new Shape(1), condition);
        return new DiffusionModel(config, m, net, factory);
    }

    /** A copy with the same weights (and a new config, e.g. a student's). */
    public DiffusionModel copy(ModelConfig newConfig) {
        if (!newConfig.unet().equals(config.unet())) {
            throw new IllegalArgumentException("architecture mismatch: " + newConfig.unet() + " vs " + config.unet());
        }
        DiffusionModel c = create(newConfig, 0, networkFactory);
        c.copyWeightsFrom(this);
        return c;
    }

    /** Copies all parameter values from a model of the same architecture. */
    public void copyWeightsFrom(DiffusionModel other) {
        List<Parameter> src = other.parameters();
        List<Parameter> dst = parameters();
        for (int i = 0; i < dst.size(); i++) {
            // via the Java heap: NDArray.copyTo would make dst share src's memory (torch set_ on src's buffer)
            dst.get(i).getArray().set(java.nio.FloatBuffer.wrap(src.get(i).getArray().toFloatArray()));
        }
    }

    public ModelConfig config() {
        return config;
    }

    /** The network (a {@link UNet} unless created with another factory). */
    public Block network() {
        return unet;
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    public Parameterization parameterization() {
        return config.parameterization();
    }

    public NDManager manager() {
        return manager;
    }

    /** Parameters in a fixed order (the block's own order). */
    public List<Parameter> parameters() {
        List<Parameter> list = new ArrayList<>();
        for (Pair<String, Parameter> p : unet.getParameters()) {
            list.add(p.getValue());
        }
        return list;
    }

    public long parameterCount() {
        return parameters().stream().mapToLong(p -> p.getArray().size()).sum();
    }

    /**
     * The raw network output F(x_t, t, c).
     *
     * @param x (B, C, H, W)
     * @param t (B) timesteps (float)
     * @param c the batch's condition
     */
    public NDArray forward(NDArray x, NDArray t, Condition c, boolean training) {
        NDList in = new NDList(x, t);
        in.addAll(c.inputs());
        return unet.forward(new ParameterStore(x.getManager(), false), in, training).head();
    }

    /** Class-label conditioning for this model: {@code labels} with its null class as ∅. */
    public ClassLabels classLabels(NDManager m, int[] labels) {
        return ClassLabels.of(m, labels, config.unet().nullClass());
    }

    /** Prompt conditioning for this text-to-image model: B prompts of its L token ids each, row-major. */
    public TextTokens textTokens(NDManager m, long[] ids, int batch) {
        TextEncoderConfig text = config.unet().text();
        if (text == null) {
            throw new IllegalArgumentException("this model is class-conditional; it takes no prompt tokens");
        }
        return TextTokens.of(m, ids, batch, text.maxTokens(), text.vocabulary().size());
    }

    /** ∅ for a batch of B: the null class, or the empty prompt. */
    public Condition nullCondition(NDManager m, int batch) {
        return config.unet().isTextConditioned() ? textTokens(m, new long[batch * config.unet().text().maxTokens()], batch)
                : classLabels(m, new int[batch]).unconditional();
    }

    /**
     * A denoiser conditioned on {@code c}; with {@code cfg} ≠ 1, classifier-free guidance
     * (Ho &amp; Salimans 2022) is applied around it.
     */
    public Denoiser denoiser(Condition c, double cfg) {
        return denoiser(c, cfg, this::inference);
    }

    /** The same, with the network run by {@code network} (e.g. an exported graph on another engine). */
    public Denoiser denoiser(Condition c, double cfg, Network network) {
        if (cfg == 1.0) {
            return (x, t) -> predict(x, t, c, network);
        }
        return ClassifierFreeGuidance.batched(this, c, cfg, network);
    }

    /** The model's own block at inference. */
    private NDArray inference(NDArray x, NDArray t, Condition c) {
        return forward(x, t, c, false);
    }

    /** (x̂_0, ε̂) for condition c at a (possibly fractional) timestep t shared by the batch. */
    public Prediction predict(NDArray x, double t, Condition c) {
        return predict(x, t, c, this::inference);
    }

    /** (x̂_0, ε̂) with the network run by {@code network}. */
    public Prediction predict(NDArray x, double t, Condition c, Network network) {
        NDManager parent = x.getManager();
        // the network's activations live in a per-call scope; only x̂_0 and ε̂ survive (bounded memory over many steps)
        try (NDManager scope = parent.newSubManager()) {
            NDArray xs = x.duplicate();
            xs.attach(scope);
            NDArray tt = scope.full(new Shape(x.getShape().get(0)), (float) t);
            double[] as = schedule.alphaSigmaAt(t);
            Prediction p = parameterization().toPrediction(network.forward(xs, tt, c), xs, as[0], as[1]);
            p.x0().attach(parent);
            p.eps().attach(parent);
            return p;
        }
    }

    /**
     * (x̂_0, ε̂) at inference with one integer timestep per sample, classifier-free guided with scale {@code cfg}
     * (1: none). Both branches run in one batched forward pass, as {@link ClassifierFreeGuidance#batched}.
     */
    public Prediction predict(NDArray x, int[] t, Condition c, double cfg) {
        NDManager parent = x.getManager();
        try (NDManager scope = parent.newSubManager()) {
            NoiseLevels levels = new NoiseLevels(schedule);
            boolean guided = cfg != 1.0;
            int[] tt = t;
            NDArray xs = x;
            Condition cs = c;
            if (guided) {
                tt = IntStream.concat(Arrays.stream(t), Arrays.stream(t)).toArray();
                xs = NDArrays.concat(new NDList(x, x));
                cs = c.concat(c.unconditional());
            }
            xs = xs.duplicate();
            xs.attach(scope);
            NDArray alpha = levels.alphas(scope, tt);
            NDArray sigma = levels.sigmas(scope, tt);
            NDArray out = forward(xs, levels.timesteps(scope, tt), cs, false);
            Prediction p = new Prediction(parameterization().x0(out, xs, alpha, sigma), parameterization().eps(out, xs, alpha, sigma));
            if (guided) {
                p = ClassifierFreeGuidance.combineHalves(p, x.getShape().get(0), cfg);
            }
            p.x0().attach(parent);
            p.eps().attach(parent);
            return p;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
