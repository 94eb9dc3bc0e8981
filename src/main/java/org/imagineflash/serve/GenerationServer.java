package org.imagineflash.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import org.imagineflash.Generator;
import org.imagineflash.data.Prompts;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;

import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HTTP server for real-time generation: the JSON API ({@code POST /api/generate}, {@code GET /api/models},
 * {@code GET /health}) and the web page that generates while the user types (static files in
 * {@code resources/public}). Requests go through a {@link BatchingQueue}; bad requests get a 4xx with a one-line
 * JSON error and never a stack trace.
 */
public final class GenerationServer implements AutoCloseable {
    /** Limits a request may not exceed. */
    public record Limits(int maxImages, int maxSteps, int maxPromptLength, int queueCapacity, int maxBatch, long maxBodyBytes,
                         int workers) {
        public Limits(int maxImages, int maxSteps, int maxPromptLength, int queueCapacity, int maxBatch, long maxBodyBytes) {
            this(maxImages, maxSteps, maxPromptLength, queueCapacity, maxBatch, maxBodyBytes, 1);
        }

        public static Limits defaults() {
            return new Limits(8, 50, 100, 64, 32, 4096);
        }
    }

    /** How long the generator waits for more requests to join a batch (see {@link BatchingQueue}). */
    static final double GATHER_MILLIS = 5;

    private final Map<String, Generator> models = new LinkedHashMap<>();
    private final Limits limits;
    private final BatchingQueue queue;
    private final String defaultModel;
    private Javalin app;

    public GenerationServer(Path modelsDir, Limits limits) throws IOException {
        this.limits = limits;
        if (!Files.isDirectory(modelsDir)) {
            throw new IOException("models directory " + modelsDir + " does not exist");
        }
        try {
            java.util.Set<String> warmed = new java.util.HashSet<>(); // architectures
            for (Path d : ModelStore.list(modelsDir)) {
                Generator g = Generator.load(d);
                models.put(d.getFileName().toString(), g);
                if (warmed.add(ModelStore.JSON.writeValueAsString(g.config().unet()))) {
                    g.warmUp(limits.maxBatch());
                }
            }
        } catch (IOException | RuntimeException e) {
            models.values().forEach(Generator::close);
            throw e;
        }
        if (models.isEmpty()) {
            throw new IOException("no diffusion models found in " + modelsDir + " (train one with imagine-flash train-teacher)");
        }
        // default: an Imagine Flash student with the most steps (best quality that is still real-time), else any student
        // with the most steps, else the first model
        defaultModel = models.entrySet().stream().filter(e -> e.getValue().isStudent())
                .max(java.util.Comparator.comparing((Map.Entry<String, Generator> e) -> isImagineFlash(e.getValue()))
                        .thenComparingInt(e -> e.getValue().config().student().steps()))
                .map(Map.Entry::getKey).orElse(models.keySet().iterator().next());
        queue = new BatchingQueue(limits.queueCapacity(), limits.maxBatch(), GATHER_MILLIS, limits.workers());
    }

    private static boolean isImagineFlash(Generator g) {
        return g.config().student().method().equals("imagine-flash");
    }

    public GenerationServer start(int port) {
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = limits.maxBodyBytes();
            cfg.staticFiles.add("/public", Location.CLASSPATH);
        });
        app.get("/health", ctx -> ctx.json(Map.of("status", "ok", "models", models.size(), "waiting", queue.waiting())));
        app.get("/api/models", ctx -> ctx.json(modelList()));
        app.get("/api/prompts", ctx -> ctx.json(Prompts.complete(ctx.queryParam("prefix"))));
        app.post("/api/generate", this::generate);
        app.exception(BadRequest.class, (e, ctx) -> error(ctx, HttpStatus.BAD_REQUEST, e.getMessage()));
        app.exception(BatchingQueue.Overloaded.class, (e, ctx) -> error(ctx, HttpStatus.TOO_MANY_REQUESTS, e.getMessage()));
        app.exception(io.javalin.http.HttpResponseException.class, (e, ctx) -> error(ctx, HttpStatus.forStatus(e.getStatus()), e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> error(ctx, HttpStatus.INTERNAL_SERVER_ERROR,
                "internal error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse(""))));
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.path().startsWith("/api")) {
                error(ctx, HttpStatus.NOT_FOUND, "no such endpoint: " + ctx.method() + " " + ctx.path());
            }
        });
        app.error(413, ctx -> error(ctx, HttpStatus.CONTENT_TOO_LARGE, "request body too large (max " + limits.maxBodyBytes() + " bytes)"));
        app.start("127.0.0.1".equals(System.getProperty("imagineflash.host")) ? "127.0.0.1" : "0.0.0.0", port);
        return this;
    }

    public int port() {
        return app.port();
    }

    public String defaultModel() {
        return defaultModel;
    }

    private static void error(Context ctx, HttpStatus status, String message) {
        ctx.status(status).json(Map.of("error", message == null ? status.getMessage() : message));
    }

    /** A client error with a one-line message. */
    static final class BadRequest extends RuntimeException {
        BadRequest(String m) {
            super(m);
        }
    }

    List<Map<String, Object>> modelList() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, Generator> e : models.entrySet()) {
            Generator g = e.getValue();
            Generator.Options d = g.defaults();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.getKey());
            m.put("kind", g.config().kind());
            m.put("method", g.isStudent() ? g.config().student().method() : null);
            m.put("sampler", d.sampler());
            m.put("defaultSteps", d.steps());
            m.put("maxSteps", g.isStudent() ? g.config().student().steps() : limits.maxSteps());
            m.put("cfg", d.cfg());
            m.put("nfe", d.steps() * (d.cfg() != 1.0 ? 2 : 1));
            m.put("default", e.getKey().equals(defaultModel));
            out.add(m);
        }
        return out;
    }

    private void generate(Context ctx) throws Exception {
        JsonNode body;
        try {
            body = ModelStore.JSON.readTree(ctx.body());
        } catch (IOException e) {
            throw new BadRequest("malformed JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (body == null || !body.isObject()) {
            throw new BadRequest("the body must be a JSON object like {\"prompt\": \"sneaker\"}");
        }
        String prompt = text(body, "prompt");
        if (prompt == null || prompt.isBlank()) {
            throw new BadRequest("prompt is required");
        }
        if (prompt.length() > limits.maxPromptLength()) {
            throw new BadRequest("prompt longer than " + limits.maxPromptLength() + " characters");
        }
        int label;
        try {
            label = Prompts.classOfPartial(prompt);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        String modelName = text(body, "model");
        if (modelName == null) {
            modelName = defaultModel;
        }
        Generator g = models.get(modelName);
        if (g == null) {
            throw new BadRequest("unknown model '" + modelName + "'; known: " + String.join(", ", models.keySet()));
        }
        Generator.Options d = g.defaults();
        int maxSteps = g.isStudent() ? g.config().student().steps() : limits.maxSteps();
        int steps = integer(body, "steps", d.steps(), 1, maxSteps);
        int n = integer(body, "n", 1, 1, limits.maxImages());
        long seed = integer(body, "seed", 0, 0, Integer.MAX_VALUE);
        double cfg = number(body, "cfg", d.cfg(), 0, 20);
        if (g.isStudent() && cfg != 1.0) {
            throw new BadRequest("students are distilled with guidance built in; cfg must be 1 for " + modelName);
        }
        Generator.Options o = new Generator.Options(d.sampler(), steps, cfg, null);
        long t0 = System.nanoTime();
        BatchingQueue.Done done;
        try {
            done = queue.submit(modelName, g, o, label, n, seed).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IllegalArgumentException) {
                throw new BadRequest(c.getMessage());
            }
            throw new IllegalStateException(c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage());
        } catch (TimeoutException e) {
            throw new io.javalin.http.HttpResponseException(503, "generation timed out");
        }
        double totalMs = (System.nanoTime() - t0) / 1e6;
        int nfe = done.nfe() * (cfg != 1.0 ? 2 : 1);
        String accept = ctx.header("Accept");
        if ("png".equals(text(body, "format")) || (accept != null && accept.startsWith("image/png"))) {
            ctx.header("X-Generation-Ms", String.format("%.1f", totalMs)).header("X-NFE", String.valueOf(nfe))
                    .contentType("image/png").result(png(done, 0));
            return;
        }
        List<String> images = new ArrayList<>();
        for (int i = 0; i < done.count(); i++) {
            images.add("data:image/png;base64," + Base64.getEncoder().encodeToString(png(done, i)));
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("images", images);
        r.put("model", modelName);
        r.put("kind", g.config().kind());
        r.put("class", label);
        r.put("className", Prompts.name(label));
        r.put("steps", steps);
        r.put("cfg", cfg);
        r.put("seed", seed);
        r.put("n", n);
        r.put("nfe", nfe);
        r.put("ms", totalMs);
        r.put("msPerImage", done.batchMillis() / done.batchImages());
        r.put("queueMs", done.queueMillis());
        r.put("batchImages", done.batchImages());
        ctx.json(r);
    }

    private static byte[] png(BatchingQueue.Done d, int i) {
        Generator.Images images = new Generator.Images(d.pixels(), new int[d.count()], d.height(), d.width(), d.batchMillis(), d.nfe());
        // a writer on an in-memory stream: ImageIO.write(img, "png", OutputStream) buffers through a temporary file
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
                writer.setOutput(ios);
                writer.write(images.image(i));
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
    }

    private static String text(JsonNode b, String f) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new BadRequest(f + " must be a string");
        }
        return v.asText();
    }

    private static int integer(JsonNode b, String f, int dflt, int min, int max) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new BadRequest(f + " must be an integer");
        }
        int x = v.asInt();
        if (x < min || x > max) {
            throw new BadRequest(f + " must be in " + min + ".." + max + ", got " + x);
        }
        return x;
    }

    private static double number(JsonNode b, String f, double dflt, double min, double max) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw new BadRequest(f + " must be a number");
        }
        double x = v.asDouble();
        if (!(x >= min && x <= max)) {
            throw new BadRequest(f + " must be in [" + min + ", " + max + "], got " + x);
        }
        return x;
    }

    @Override
    public void close() {
        if (app != null) {
            app.stop();
        }
        queue.close();
        models.values().forEach(Generator::close);
    }
}
