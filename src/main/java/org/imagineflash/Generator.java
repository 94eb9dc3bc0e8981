package org.imagineflash;

import org.imagineflash.model.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.imagineflash.data.Prompts;
import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.model.Denoiser;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.export.OrtDecoder;
import org.imagineflash.export.OnnxExport;
import org.imagineflash.export.OrtNetwork;
import org.imagineflash.export.OrtStudent;
import org.imagineflash.schedule.NoiseSchedule;
import org.imagineflash.latent.Autoencoder;
import org.imagineflash.sampling.FewStepStudent;
import org.imagineflash.sampling.NoiseSource;
import org.imagineflash.sampling.Sampler;
import org.imagineflash.sampling.SamplerFamily;
import org.imagineflash.sampling.SamplerOptions;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The public API for embedding generation in a JVM service:
 * <pre>{@code
 * try (Generator g = Generator.load(Path.of("models/if-3step"))) {
 *     BufferedImage img = g.generate("sneaker", 42);
 * }
 * }</pre>
 * Teachers sample with DPM-Solver++ 2M, 25 steps and guidance 3 by default (measured on the shipped teacher, n = 300:
 * FD 91.5 vs 239.1 for DDIM 25 with clipped x̂_0, whose guided samples saturate); distilled students with their own
 * few-step schedule and no guidance. Image i of a batch uses seed + i, so a batch equals its images generated one
 * by one, and the same seed always gives the same image. Thread-safe: concurrent calls run in parallel (inference only reads the weights).
 */
public final class Generator implements AutoCloseable {
    /** The model on the DJL engine; null for a student run as its exported graph ({@link #student}). */
    private final DiffusionModel model;
    private final ModelConfig config;
    private final NoiseSchedule schedule;
    private final Path dir;
    /** The decoder of a latent model; null for a pixel-space model. */
    private final Autoencoder autoencoder;
    private final Engine engine;
    /**
     * The network on ONNX Runtime ({@link Engine#ORT}), exported when first needed (a student with its whole graph
     * needs it only for other step counts or guidance); null on DJL, or before then. Guarded by {@code this}.
     */
    private OrtNetwork ort;
    /** A latent model's decoder on ONNX Runtime, made with {@link #ort}; null: the autoencoder's DJL decoder. */
    private OrtDecoder ortDecoder;
    /**
     * A student's whole generation as one graph on ONNX Runtime ({@link Engine#ORT}; null otherwise): its exported file,
     * loaded without the DJL engine ({@code model} is then null), or exported in memory beside the per-step network.
     */
    private final OrtStudent student;

    /** What runs the network: the DJL PyTorch engine, or the network exported to ONNX and run by ONNX Runtime. */
    public enum Engine {
        DJL, ORT;

        public static Engine parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "djl" -> DJL;
                case "ort" -> ORT;
                default -> throw new IllegalArgumentException("--engine must be djl or ort, got " + s);
            };
        }
    }

    private Generator(DiffusionModel model, ModelConfig config, Path dir, Autoencoder autoencoder, Engine engine, OrtStudent student) {
        this.model = model;
        this.config = config;
        this.schedule = model != null ? model.schedule() : new NoiseSchedule(config.schedule());
        this.dir = dir;
        this.autoencoder = autoencoder;
        this.engine = engine;
        this.student = student;
    }

    /**
     * Loads a model directory to run on {@code engine}. On ONNX Runtime a student with an exported generation graph
     * ({@link OrtStudent#FILE}, from {@code export --deploy}) runs it without starting the DJL engine at all (and only
     * its own step count, unguided). Any other model is exported in memory: a student's generation as one graph for its
     * own steps, and its network for every other sampler (a text-to-image model's as three graphs: text encoder, UNet,
     * decoder).
     */
    public static Generator load(Path dir, Engine engine) throws IOException {
        if (engine == Engine.ORT && OrtStudent.exported(dir)) {
            ModelConfig c = ModelStore.readConfig(dir);
            if (OnnxExport.supportsStudentGraph(c)) {
                return new Generator(null, c, dir, null, Engine.ORT, OrtStudent.open(dir, c));
            }
        }
        Generator g = load(dir);
        if (engine == Engine.DJL) {
            return g;
        }
        Generator on = null;
        try {
            OrtStudent whole = OnnxExport.supportsStudentGraph(g.config)
                    ? OrtStudent.of(OnnxExport.student(g.model, g.autoencoder, java.util.Map.of()).toByteArray(), g.config) : null;
            on = new Generator(g.model, g.config, dir, g.autoencoder, Engine.ORT, whole);
            if (whole == null) {
                on.ortNetwork(); // every call of a teacher needs it: fail at load, not at the first request
            }
            return on;
        } catch (RuntimeException e) {
            if (on != null) {
                on.close();
            } else {
                g.close();
            }
            throw e;
        }
    }

    /** The per-step network on ONNX Runtime (and the decoder of a latent model), exported at the first call; null on DJL. */
    private synchronized OrtNetwork ortNetwork() {
        if (engine != Engine.ORT || model == null) {
            return null;
        }
        if (ort == null) {
            OrtNetwork network = OrtNetwork.of(model);
            try {
                ortDecoder = autoencoder == null ? null : OrtDecoder.of(autoencoder);
            } catch (RuntimeException e) {
                network.close();
                throw e;
            }
            ort = network;
        }
        return ort;
    }

    /**
     * The student's whole generation as one ONNX graph ({@link OnnxExport#student}): its exported file, or exported from
     * the loaded weights.
     */
    public byte[] studentGraph() throws IOException {
        if (student == null && !OnnxExport.supportsStudentGraph(config)) {
            throw new IllegalArgumentException(dir + " is not a student that runs as one graph");
        }
        return student != null ? student.bytes() : OnnxExport.student(model, autoencoder, java.util.Map.of()).toByteArray();
    }

    public Engine engine() {
        return engine;
    }

    /** Whether the DJL engine runs any part of this model (false: a student run as its exported graph). */
    public boolean usesDjl() {
        return model != null;
    }

    /** Loads a model directory (config.json + weights.params). */
    public static Generator load(Path dir) throws IOException {
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        DiffusionModel m = ModelStore.load(dir);
        Autoencoder ae = null;
        if (m.config().autoencoder() != null) {
            try {
                ae = Autoencoder.forModel(m.config(), dir);
            } catch (IOException | RuntimeException e) {
                m.close();
                throw e;
            }
        }
        return new Generator(m, m.config(), dir, ae, Engine.DJL, null);
    }

    /** Whether the model draws prompts (a text-to-image model) rather than classes. */
    public boolean isTextToImage() {
        return config.unet().isTextConditioned();
    }

    /** Generated scenes: RGB bytes (C·H·W each) for each prompt, wall time and denoiser evaluations per image. */
    public record Scenes(List<byte[]> images, List<String> prompts, double millis, int nfe) {
        /** Image i as an RGB picture. */
        public BufferedImage image(int i) {
            byte[] px = images.get(i);
            int side = (int) Math.round(Math.sqrt(px.length / 3.0));
            int plane = side * side;
            BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
            for (int p = 0; p < plane; p++) {
                img.setRGB(p % side, p / side, ((px[p] & 0xff) << 16) | ((px[plane + p] & 0xff) << 8) | (px[2 * plane + p] & 0xff));
            }
            return img;
        }
    }

    /**
     * Generates one image per prompt with a text-to-image model, image i from the noise of seeds[i]: the sampler runs
     * on latents and the autoencoder decodes them. An unknown word or a sentence outside the grammar is a one-line error.
     */
    public Scenes generateScenes(List<String> prompts, long[] seeds, Options o) {
        if (!isTextToImage()) {
            throw new IllegalArgumentException(dir + " is class-conditional; it draws a class name such as 'sneaker', not a sentence");
        }
        if (seeds.length != prompts.size()) {
            throw new IllegalArgumentException(seeds.length + " seeds for " + prompts.size() + " prompts");
        }
        int length = config.unet().text().maxTokens();
        long[] ids = new long[prompts.size() * length];
        for (int i = 0; i < prompts.size(); i++) {
            CaptionParser.parse(prompts.get(i)); // a sentence the task's grammar reads, or its error
            System.arraycopy(CaptionParser.ids(prompts.get(i), length), 0, ids, i * length, length);
        }
        if (runsGraph(o)) {
            long t0 = System.nanoTime();
            byte[] all = toBytes(runGraph(ids, seeds));
            int per = all.length / Math.max(1, prompts.size());
            List<byte[]> out = new java.util.ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                out.add(java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per));
            }
            return new Scenes(out, List.copyOf(prompts), (System.nanoTime() - t0) / 1e6, config.student().steps());
        }
        Sampler sampler = sampler(o);
        int size = model.config().unet().imageSize();
        long t0 = System.nanoTime();
        List<byte[]> out = new java.util.ArrayList<>();
        boolean gradMode = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try (NDManager sub = model.manager().newSubManager()) {
            NDArray zT = NoiseSource.perImage(sub, seeds, new Shape(model.config().unet().inChannels(), size, size));
            var tokens = model.textTokens(sub, ids, prompts.size());
            OrtNetwork ort = ortNetwork();
            Denoiser d = ort == null ? model.denoiser(tokens, o.cfg()) : model.denoiser(tokens, o.cfg(), ort);
            NDArray z0 = sampler.sample(d, zT, new NoiseSource(seeds.length == 0 ? 0 : seeds[0] ^ 0x5DEECE66DL));
            NDArray x;
            Shape images = new Shape(prompts.size(), autoencoder.config().imageChannels(), autoencoder.config().imageSize(),
                    autoencoder.config().imageSize());
            OrtDecoder decoder = ort == null ? null : ortDecoder();
            if (decoder != null) {
                x = Tensors.floats(sub, decoder.decode(z0.toFloatArray(), prompts.size()), images);
            } else {
                try (NDManager dec = autoencoder.manager().newSubManager()) {
                    x = Tensors.floats(sub, autoencoder.decode(new ai.djl.training.ParameterStore(dec, false), z0.duplicate()).toFloatArray(), images);
                }
            }
            byte[] all = toBytes(x);
            int per = all.length / Math.max(1, prompts.size());
            for (int i = 0; i < prompts.size(); i++) {
                out.add(java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per));
            }
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(gradMode);
        }
        return new Scenes(out, List.copyOf(prompts), (System.nanoTime() - t0) / 1e6, sampler.nfe());
    }

    /**
     * How to sample.
     *
     * @param sampler the sampler; {@link SamplerFamily#STUDENT} for a distilled model's own schedule
     * @param steps denoising steps
     * @param cfg classifier-free guidance scale (1 = none)
     * @param samplerOptions further sampler options (spacing, η, …) or null for diffusers' defaults
     */
    public record Options(SamplerFamily sampler, int steps, double cfg, SamplerOptions samplerOptions) {
        public Options {
            if (steps < 1) {
                throw new IllegalArgumentException("--steps must be ≥ 1, got " + steps);
            }
            if (!(cfg >= 0) || cfg > 50) {
                throw new IllegalArgumentException("--cfg must be in [0, 50], got " + cfg);
            }
        }

        /** Network evaluations per sampler step and image: guidance runs the conditional and the unconditional input. */
        public int nfePerStep() {
            return cfg != 1.0 ? 2 : 1;
        }
    }

    /** Generated images: uint8 pixels (N·H·W), their classes, wall time and denoiser evaluations per image. */
    public record Images(byte[] pixels, int[] labels, int height, int width, double millis, int nfe) {
        public int count() {
            return labels.length;
        }

        public BufferedImage image(int i) {
            BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
            byte[] px = new byte[height * width];
            System.arraycopy(pixels, i * px.length, px, 0, px.length);
            img.getRaster().setDataElements(0, 0, width, height, px);
            return img;
        }
    }

    public ModelConfig config() {
        return config;
    }

    public Path directory() {
        return dir;
    }

    public boolean isStudent() {
        return config.isStudent();
    }

    /** The defaults for this model: student schedule, or DPM-Solver++ 2M 25 steps with guidance 3. */
    public Options defaults() {
        if (isStudent()) {
            return new Options(SamplerFamily.STUDENT, config.student().steps(), 1.0, null);
        }
        // the teacher's best sampler at 25 steps in the report (FD 21.5 with guidance 3); clipping x̂_0 would ruin it
        // there (see SamplerOptions.defaults)
        return new Options(SamplerFamily.DPMPP_2M, 25, 3.0, null);
    }

    /**
     * Options from a caller's choices, each null for this model's default; the steps default to the model's own when
     * the sampler is its default sampler, else 25. {@code samplerOptions} builds the sampler's options for the step
     * count chosen (null: the sampler's defaults).
     */
    public Options options(SamplerFamily sampler, Integer steps, Double cfg, java.util.function.IntFunction<SamplerOptions> samplerOptions) {
        Options d = defaults();
        SamplerFamily s = sampler != null ? sampler : d.sampler();
        int st = steps != null ? steps : s == d.sampler() ? d.steps() : 25;
        double c = cfg != null ? cfg : d.cfg();
        return new Options(s, st, c, samplerOptions == null ? null : samplerOptions.apply(st));
    }

    /**
     * Generates a batch of every size from 1 to {@code maxBatch} with one DDIM step, so that a server's first requests do
     * not pay for oneDNN creating its kernels for a new shape (the first batch of 12 took 197 ms, the next 78 ms), for
     * {@link org.imagineflash.kernel.KernelCheck} choosing a kernel per shape, or for compiling the generate path (a
     * model's first request: 211 → 71 ms). The first two are kept per shape, so one model per architecture suffices.
     */
    public void warmUp(int maxBatch) {
        // one forward pass through the whole generate path (the exported graph runs only its own steps)
        Options oneStep = student != null ? defaults() : new Options(SamplerFamily.DDIM, 1, 1.0, null);
        for (int b = 1; b <= maxBatch; b++) {
            if (isTextToImage()) {
                generateScenes(java.util.Collections.nCopies(b, "a red sneaker left of a blue bag"), new long[b], oneStep);
            } else {
                generate(new int[b], 0, oneStep);
            }
        }
    }

    /** One image for a prompt (a class name, or a sentence for a text-to-image model) with the model's defaults. */
    public BufferedImage generate(String prompt, long seed) {
        if (isTextToImage()) {
            return generateScenes(List.of(prompt), new long[] {seed}, defaults()).image(0);
        }
        return generate(new int[] {classOf(prompt, false)}, seed, defaults()).image(0);
    }

    /**
     * The class a class-conditional model draws for a prompt ({@code partial}: also a prefix that names one class, for
     * generating while the user types). A scene caption, with colours or relations, is refused with an error that says
     * why rather than as an unknown prompt.
     */
    public static int classOf(String prompt, boolean partial) {
        try {
            return partial ? Prompts.classOfPartial(prompt) : Prompts.classOf(prompt);
        } catch (IllegalArgumentException e) {
            try {
                CaptionParser.parse(prompt);
            } catch (IllegalArgumentException notACaption) {
                throw e;
            }
            throw new IllegalArgumentException("'" + prompt + "' asks for colours or a relation, but this model is class-conditional: "
                    + "it draws one grey garment of a class such as 'sneaker'", e);
        }
    }

    /** The sampler these options describe for this model. */
    public Sampler sampler(Options o) {
        SamplerOptions so = o.samplerOptions() != null ? o.samplerOptions() : SamplerOptions.defaults(o.steps());
        if (so.steps() != o.steps()) {
            so = so.withSteps(o.steps());
        }
        if (o.sampler() == SamplerFamily.STUDENT) {
            if (!isStudent()) {
                throw new IllegalArgumentException("the student sampler needs a distilled model; " + dir + " is a teacher");
            }
            StudentConfig sc = config.student();
            int[] ts = FewStepStudent.prefix(sc.timesteps(), o.steps(), schedule.numTrainTimesteps());
            if (sc.sampler() == StudentConfig.Sampling.LCM) { // on the skipping schedule it was trained on
                return SamplerFamily.LCM.create(schedule, so.toBuilder().originalInferenceSteps(sc.lcmOriginalSteps()).build());
            }
            return new FewStepStudent(schedule, ts, sc.noiseCorrection(), sc.clipsX0(), config.dataRange());
        }
        return o.sampler().create(schedule, so);
    }

    /** Generates one image per label; image i starts from the noise of seed + i. */
    public Images generate(int[] labels, long seed, Options o) {
        long[] seeds = new long[labels.length];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = seed + i;
        }
        return generate(labels, seeds, o);
    }

    /** Generates one image per label, image i from the noise of seeds[i] (one batched pass for many requests). */
    public Images generate(int[] labels, long[] seeds, Options o) {
        if (seeds.length != labels.length) {
            throw new IllegalArgumentException(seeds.length + " seeds for " + labels.length + " labels");
        }
        if (isTextToImage()) {
            throw new IllegalArgumentException(dir + " is a text-to-image model: it draws sentences such as 'a red sneaker left of a blue bag', not classes");
        }
        int k = config.unet().numClasses();
        for (int l : labels) {
            if (l < 0 || l >= k) {
                throw new IllegalArgumentException("class must be in 0.." + (k - 1) + ", got " + l);
            }
        }
        if (runsGraph(o)) {
            long t0 = System.nanoTime();
            byte[] out = toBytes(runGraph(java.util.Arrays.stream(labels).asLongStream().toArray(), seeds));
            int size = config.unet().imageSize();
            return new Images(out, labels.clone(), size, size, (System.nanoTime() - t0) / 1e6, config.student().steps());
        }
        Sampler sampler = sampler(o);
        int size = model.config().unet().imageSize();
        long t0 = System.nanoTime();
        byte[] out;
        // PyTorch's grad mode is per thread and on by default; DJL turns it off only on the thread that started the
        // engine, so on a server's worker thread every forward pass recorded an autograd graph. Inference: off.
        boolean gradMode = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try (NDManager sub = model.manager().newSubManager()) {
            NDArray xT = NoiseSource.perImage(sub, seeds, new Shape(model.config().unet().inChannels(), size, size));
            OrtNetwork ort = ortNetwork();
            Denoiser d = ort == null ? model.denoiser(model.classLabels(sub, labels), o.cfg())
                    : model.denoiser(model.classLabels(sub, labels), o.cfg(), ort);
            NDArray x0 = sampler.sample(d, xT, new NoiseSource(seeds.length == 0 ? 0 : seeds[0] ^ 0x5DEECE66DL));
            out = toBytes(x0);
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(gradMode);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        return new Images(out, labels.clone(), size, size, ms, sampler.nfe());
    }

    /**
     * Generates in batches of at most {@code batch} images (bounded memory); image i still starts from the noise of
     * seed + i, so the result equals one big batch.
     */
    public Images generateBatched(int[] labels, long seed, Options o, int batch) {
        byte[] all = null;
        double ms = 0;
        int nfe = 0;
        int h = 0;
        int w = 0;
        for (int start = 0; start < labels.length; start += batch) {
            int[] part = java.util.Arrays.copyOfRange(labels, start, Math.min(labels.length, start + batch));
            Images im = generate(part, seed + start, o);
            if (all == null) {
                h = im.height();
                w = im.width();
                all = new byte[labels.length * h * w];
            }
            System.arraycopy(im.pixels(), 0, all, start * h * w, im.pixels().length);
            ms += im.millis();
            nfe = im.nfe();
        }
        return new Images(all == null ? new byte[0] : all, labels.clone(), h, w, ms, nfe);
    }

    /**
     * Whether these options run the student's generation graph: its own sampler and step count, unguided. A model
     * loaded from its graph alone runs nothing else.
     */
    private boolean runsGraph(Options o) {
        if (student == null) {
            return false;
        }
        boolean own = o.sampler() == SamplerFamily.STUDENT && o.steps() == student.steps() && o.cfg() == 1.0;
        if (!own && model == null) {
            throw new IllegalArgumentException(dir + " runs as its exported " + student.steps() + "-step graph (" + OrtStudent.FILE
                    + "): other samplers, step counts and guidance need --engine djl");
        }
        return own;
    }

    /** The generation graph's images for {@code condition} (a label, or L token ids, per image), image i from the noise of seeds[i]. */
    private float[] runGraph(long[] condition, long[] seeds) {
        var u = config.unet();
        return student.generate(NoiseSource.perImage(seeds, u.inChannels() * u.imageSize() * u.imageSize()), condition, seeds.length);
    }

    /** x in [−1, 1] → uint8 with rounding and clamping. */
    static byte[] toBytes(NDArray x) {
        return toBytes(x.toFloatArray());
    }

    static byte[] toBytes(float[] f) {
        byte[] b = new byte[f.length];
        for (int i = 0; i < f.length; i++) {
            int v = Math.round((f[i] + 1f) * 127.5f);
            b[i] = (byte) Math.max(0, Math.min(255, v));
        }
        return b;
    }

    private synchronized OrtDecoder ortDecoder() {
        return ortDecoder;
    }

    @Override
    public synchronized void close() {
        if (ort != null) {
            ort.close();
        }
        if (ortDecoder != null) {
            ortDecoder.close();
        }
        if (student != null) {
            student.close();
        }
        if (model != null) {
            model.close();
        }
        if (autoencoder != null) {
            autoencoder.close();
        }
    }
}
