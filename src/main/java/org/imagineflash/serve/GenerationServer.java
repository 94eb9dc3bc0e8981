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
 * {@code resources/public}). Requests go through a {@link BatchingQueue} (admission by cost, fair between clients,
 * a lane for cheap requests). Every error, Jetty's own included, is a 4xx/5xx with a one-line JSON body.
 *
 * <p>Defences, each against a measured attack: the body is read from the stream up to {@code maxBodyBytes} whatever
 * its framing (a chunked body once bypassed the limit); at most {@code maxBodyReaders} requests read a body at once
 * and each within {@code readTimeoutMillis} in total (slow bodies once held all of Jetty's threads, and
 * {@code /health} timed out); connections are capped; only {@code application/json} is accepted (a cross-site
 * {@code text/plain} POST cannot trigger work); the server binds to loopback unless told otherwise.
 */
public final class GenerationServer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GenerationServer.class);
    private static final com.fasterxml.jackson.databind.ObjectReader STRICT_JSON = ModelStore.JSON.reader()
            .with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** The API's routes and their methods, for 405 answers with {@code Allow}. */
    private static final Map<String, String> ROUTES = Map.of("/health", "GET", "/api/models", "GET", "/api/prompts", "GET",
            "/api/generate", "POST");

    /** Limits and policies of the server; build with {@link #builder()}. */
    public record Limits(int maxImages, int maxSteps, int maxPromptLength, int queueCapacity, long maxQueuedCost, long cheapCost,
                         int maxBatch, int workers, long maxBodyBytes, int maxBodyReaders, long readTimeoutMillis,
                         int maxConnections, String host) {
        public Limits {
            if (maxImages < 1 || maxSteps < 1 || maxPromptLength < 1 || maxBodyBytes < 64 || maxBodyReaders < 1
                    || readTimeoutMillis < 100 || maxConnections < 2) {
                throw new IllegalArgumentException("server limits must be ≥ 1 (body ≥ 64 bytes, read timeout ≥ 100 ms, connections ≥ 2)");
            }
            new BatchingQueue.Policy(queueCapacity, maxQueuedCost, cheapCost, maxBatch, GATHER_MILLIS, workers); // validates
        }

        public static Limits defaults() {
            return builder().build();
        }

        public static Builder builder() {
            return new Builder();
        }

        BatchingQueue.Policy policy() {
            return new BatchingQueue.Policy(queueCapacity, maxQueuedCost, cheapCost, maxBatch, GATHER_MILLIS, workers);
        }

        /** Builder with the defaults of {@code imagine-flash serve}. */
        public static final class Builder {
            private int maxImages = 8;
            private int maxSteps = 50;
            private int maxPromptLength = 100;
            private int queueCapacity = 64;
            private long maxQueuedCost = 4000; // five of the heaviest teacher requests (8 images × 50 steps × 2 NFE)
            private long cheapCost = 64;       // up to 8 images of an 8-step student
            private int maxBatch = 32;
            private int workers = 1;
            private long maxBodyBytes = 4096;
            private int maxBodyReaders = 32;
            private long readTimeoutMillis = 5000;
            private int maxConnections = 512;
            private String host = "127.0.0.1";

            public Builder maxImages(int v) { maxImages = v; return this; }
            public Builder maxSteps(int v) { maxSteps = v; return this; }
            public Builder maxPromptLength(int v) { maxPromptLength = v; return this; }
            public Builder queueCapacity(int v) { queueCapacity = v; return this; }
            public Builder maxQueuedCost(long v) { maxQueuedCost = v; return this; }
            public Builder cheapCost(long v) { cheapCost = v; return this; }
            public Builder maxBatch(int v) { maxBatch = v; return this; }
            public Builder workers(int v) { workers = v; return this; }
            public Builder maxBodyBytes(long v) { maxBodyBytes = v; return this; }
            public Builder maxBodyReaders(int v) { maxBodyReaders = v; return this; }
            public Builder readTimeoutMillis(long v) { readTimeoutMillis = v; return this; }
            public Builder maxConnections(int v) { maxConnections = v; return this; }
            public Builder host(String v) { host = v; return this; }

            public Limits build() {
                return new Limits(maxImages, maxSteps, maxPromptLength, queueCapacity, maxQueuedCost, cheapCost, maxBatch, workers,
                        maxBodyBytes, maxBodyReaders, readTimeoutMillis, maxConnections, host);
            }
        }
    }

    /** How long the generator waits for more requests to join a batch (see {@link BatchingQueue}). */
    static final double GATHER_MILLIS = 5;
    /** The longest a request waits for its images (and the default deadline). */
    static final int MAX_TIMEOUT_MILLIS = 60_000;

    private final Map<String, Generator> models = new LinkedHashMap<>();
    /** Model folders that failed to load, with the reason. */
    private final Map<String, String> unavailable = new LinkedHashMap<>();
    private final Limits limits;
    private final BatchingQueue queue;
    private final String defaultModel;
    private final java.util.concurrent.Semaphore bodyReaders;
    private Javalin app;

    public GenerationServer(Path modelsDir, Limits limits) throws IOException {
        this.limits = limits;
        if (!Files.isDirectory(modelsDir)) {
            throw new IOException("models directory " + modelsDir + " does not exist");
        }
        java.util.Set<String> warmed = new java.util.HashSet<>(); // architectures
        for (Path d : ModelStore.list(modelsDir)) {
            String name = d.getFileName().toString();
            Generator g;
            try {
                g = Generator.load(d);
            } catch (IOException | RuntimeException e) {
                // one broken model does not stop the others from being served
                String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
                unavailable.put(name, why);
                LOG.warn("model {} is unavailable: {}", name, why);
                continue;
            }
            models.put(name, g);
            try {
                if (warmed.add(ModelStore.JSON.writeValueAsString(g.config().unet()))) {
                    g.warmUp(limits.maxBatch());
                }
            } catch (RuntimeException e) {
                models.values().forEach(Generator::close);
                throw e;
            }
        }
        if (models.isEmpty()) {
            throw new IOException("no usable diffusion models in " + modelsDir
                    + (unavailable.isEmpty() ? " (train one with imagine-flash train-teacher)" : ": " + unavailable));
        }
        // default: an Imagine Flash student with the most steps (best quality that is still real-time), else any student
        // with the most steps, else the first model
        defaultModel = models.entrySet().stream().filter(e -> e.getValue().isStudent())
                .max(java.util.Comparator.comparing((Map.Entry<String, Generator> e) -> isImagineFlash(e.getValue()))
                        .thenComparingInt(e -> e.getValue().config().student().steps()))
                .map(Map.Entry::getKey).orElse(models.keySet().iterator().next());
        queue = new BatchingQueue(limits.policy());
        bodyReaders = new java.util.concurrent.Semaphore(limits.maxBodyReaders());
    }

    private static boolean isImagineFlash(Generator g) {
        return g.config().student().method().equals("imagine-flash");
    }

    public GenerationServer start(int port) {
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = limits.maxBodyBytes();
            cfg.staticFiles.add("/public", Location.CLASSPATH);
            // dispatch on the headers: Jetty's default waits for the first body bytes, so a refusal by Content-Length
            // (413) waited for the idle timeout
            cfg.jetty.modifyHttpConfiguration(http -> http.setDelayDispatchUntilContent(false));
            cfg.jetty.modifyServer(server -> {
                server.addBean(new org.eclipse.jetty.server.ConnectionLimit(limits.maxConnections(), server));
                server.setErrorHandler(new JsonErrorHandler());
            });
            cfg.requestLogger.http((ctx, ms) -> LOG.info("{} {} {} {} {}", ctx.ip(), ctx.method(), ctx.path(), ctx.statusCode(),
                    String.format("%.1f ms", ms)));
        });
        app.get("/health", ctx -> ctx.json(Map.of("status", "ok", "models", models.size(), "waiting", queue.waiting(),
                "dropped", queue.dropped())));
        app.get("/api/models", ctx -> ctx.json(modelList()));
        app.get("/api/prompts", ctx -> ctx.json(Prompts.complete(ctx.queryParam("prefix"))));
        app.post("/api/generate", this::generate);
        app.exception(BadRequest.class, (e, ctx) -> error(ctx, HttpStatus.BAD_REQUEST, e.getMessage()));
        app.exception(Refused.class, (e, ctx) -> { });
        app.exception(BatchingQueue.Overloaded.class, (e, ctx) -> error(ctx, HttpStatus.TOO_MANY_REQUESTS, e.getMessage()));
        app.exception(io.javalin.http.HttpResponseException.class, (e, ctx) -> error(ctx, HttpStatus.forStatus(e.getStatus()), e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("internal error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, HttpStatus.INTERNAL_SERVER_ERROR,
                    "internal error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("")));
        });
        app.error(404, ctx -> {
            String allow = ROUTES.get(ctx.path());
            if (allow != null) {
                ctx.header("Allow", allow);
                error(ctx, HttpStatus.METHOD_NOT_ALLOWED, ctx.method() + " is not allowed on " + ctx.path() + " (use " + allow + ")");
            } else if (ctx.result() == null || ctx.path().startsWith("/api")) {
                error(ctx, HttpStatus.NOT_FOUND, "no such endpoint: " + ctx.method() + " " + ctx.path());
            }
        });
        app.error(413, ctx -> error(ctx, HttpStatus.CONTENT_TOO_LARGE, "request body too large (max " + limits.maxBodyBytes() + " bytes)"));
        app.start(limits.host(), port);
        for (org.eclipse.jetty.server.Connector c : app.jettyServer().server().getConnectors()) {
            if (c instanceof org.eclipse.jetty.server.AbstractConnector ac) {
                // a blocked read of a silent client gives up after this long (the whole body has the same deadline)
                ac.setIdleTimeout(limits.readTimeoutMillis());
            }
        }
        LOG.info("listening on {}:{}", limits.host(), port());
        return this;
    }

    public int port() {
        return app.port();
    }

    public String defaultModel() {
        return defaultModel;
    }

    /** The address the server listens on. */
    public String host() {
        return ((org.eclipse.jetty.server.ServerConnector) app.jettyServer().server().getConnectors()[0]).getHost();
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

    /** Jetty's own errors (malformed request line, URI or headers too long: 400, 414, 431) as one-line JSON. */
    static final class JsonErrorHandler extends org.eclipse.jetty.server.handler.ErrorHandler {
        @Override
        public java.nio.ByteBuffer badMessageError(int status, String reason, org.eclipse.jetty.http.HttpFields.Mutable fields) {
            fields.put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, "application/json");
            String msg = reason == null ? org.eclipse.jetty.http.HttpStatus.getMessage(status) : reason;
            return java.nio.ByteBuffer.wrap(("{\"error\":" + jsonString(msg) + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        @Override
        protected void generateAcceptableResponse(org.eclipse.jetty.server.Request baseRequest, jakarta.servlet.http.HttpServletRequest request,
                                                  jakarta.servlet.http.HttpServletResponse response, int code, String message) throws IOException {
            baseRequest.setHandled(true);
            response.setContentType("application/json");
            String msg = message == null ? org.eclipse.jetty.http.HttpStatus.getMessage(code) : message;
            response.getOutputStream().write(("{\"error\":" + jsonString(msg) + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        private static String jsonString(String s) {
            try {
                return ModelStore.JSON.writeValueAsString(s.lines().findFirst().orElse(""));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                return "\"error\"";
            }
        }
    }

    /** A request refused while its body was unread; its answer has already been sent. */
    static final class Refused extends RuntimeException {
        Refused() {
            super(null, null, false, false);
        }
    }

    /**
     * Sends a one-line JSON error at once and closes the connection after it: Jetty would otherwise hold the answer
     * until it had read (or timed out on) the unread rest of the body.
     */
    private static Refused refuse(Context ctx, int status, String message) {
        try {
            jakarta.servlet.http.HttpServletResponse res = ctx.res();
            res.setStatus(status);
            res.setHeader("Connection", "close");
            res.setContentType("application/json");
            byte[] b = ModelStore.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsBytes(Map.of("error", message));
            res.setContentLength(b.length);
            res.getOutputStream().write(b);
            res.flushBuffer();
        } catch (IOException e) {
            // the client is gone
        }
        return new Refused();
    }

    /**
     * The request body, read from the stream whatever its framing (Content-Length or chunked): at most
     * {@code maxBodyBytes} (413 beyond), within {@code readTimeoutMillis} in all (408), by at most
     * {@code maxBodyReaders} requests at once (503 for the others, without reading).
     */
    private byte[] body(Context ctx) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limits.maxBodyBytes()) {
            throw refuse(ctx, 413, "request body too large (max " + limits.maxBodyBytes() + " bytes)");
        }
        if (!bodyReaders.tryAcquire()) {
            throw refuse(ctx, 503, "server busy: too many requests are sending their bodies");
        }
        try {
            long deadline = System.nanoTime() + limits.readTimeoutMillis() * 1_000_000L;
            java.io.InputStream in = ctx.req().getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[1024];
            for (int r; ; ) {
                try {
                    r = in.read(buf);
                } catch (IOException e) {
                    throw refuse(ctx, 408, "request body not received within " + limits.readTimeoutMillis() + " ms");
                }
                if (r < 0) {
                    break;
                }
                out.write(buf, 0, r);
                if (out.size() > limits.maxBodyBytes()) {
                    throw refuse(ctx, 413, "request body too large (max " + limits.maxBodyBytes() + " bytes)");
                }
                if (System.nanoTime() > deadline) {
                    throw refuse(ctx, 408, "request body not received within " + limits.readTimeoutMillis() + " ms");
                }
            }
            return out.toByteArray();
        } finally {
            bodyReaders.release();
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
            m.put("available", true);
            out.add(m);
        }
        for (Map.Entry<String, String> e : unavailable.entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.getKey());
            m.put("available", false);
            m.put("error", e.getValue());
            out.add(m);
        }
        return out;
    }

    private void generate(Context ctx) throws Exception {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new io.javalin.http.HttpResponseException(415, "send the request as Content-Type: application/json");
        }
        JsonNode body;
        try {
            body = STRICT_JSON.readTree(body(ctx));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            throw new BadRequest("malformed JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + "; send one object like {\"prompt\": \"sneaker\"}");
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
        int timeoutMs = integer(body, "timeoutMs", MAX_TIMEOUT_MILLIS, 1, MAX_TIMEOUT_MILLIS);
        Generator.Options o = new Generator.Options(d.sampler(), steps, cfg, null);
        long t0 = System.nanoTime();
        long deadline = t0 + timeoutMs * 1_000_000L;
        long cost = (long) steps * (cfg != 1.0 ? 2 : 1) * n;
        java.util.concurrent.CompletableFuture<BatchingQueue.Done> future = queue.submit(ctx.ip(), modelName, g, o, label, n, seed, cost, deadline);
        BatchingQueue.Done done;
        try {
            done = await(ctx, future, deadline, timeoutMs);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IllegalArgumentException) {
                throw new BadRequest(c.getMessage());
            }
            if (c instanceof BatchingQueue.Expired) {
                throw new io.javalin.http.HttpResponseException(503, c.getMessage());
            }
            throw new IllegalStateException(c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage());
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

    /** How often a waiting request checks that its client is still connected. */
    static final long CLIENT_CHECK_MILLIS = 50;

    /**
     * Waits for a request's images until its deadline, checking every {@value #CLIENT_CHECK_MILLIS} ms that the client
     * is still there; a request whose client is gone or whose deadline passed is cancelled (not started: the queue
     * drops it; started: its batch finishes for the others).
     */
    private BatchingQueue.Done await(Context ctx, java.util.concurrent.CompletableFuture<BatchingQueue.Done> future, long deadline,
                                     int timeoutMs) throws ExecutionException, InterruptedException {
        ClientProbe client = new ClientProbe(ctx);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                future.cancel(false);
                throw new io.javalin.http.HttpResponseException(503, "generation did not finish within " + timeoutMs + " ms");
            }
            try {
                return future.get(Math.min(left, CLIENT_CHECK_MILLIS * 1_000_000L), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (client.gone()) {
                    future.cancel(false);
                    LOG.info("{} hung up; its request was dropped", ctx.ip());
                    ctx.status(499); // nginx's "client closed request", for the log line
                    throw new Refused();
                }
            }
        }
    }

    /**
     * Tells whether a client closed its connection while its request waits. Jetty does not read a connection while a
     * request is being handled, so it would not notice; a non-blocking read of one byte does: −1 is the client's
     * close. A byte (a pipelined next request, which browsers and HTTP clients do not send) ends the probing and
     * closes the connection after this response, so the byte taken cannot corrupt what follows.
     */
    private static final class ClientProbe {
        private final Context ctx;
        private final org.eclipse.jetty.io.EndPoint endPoint;
        private boolean stopped;

        ClientProbe(Context ctx) {
            this.ctx = ctx;
            org.eclipse.jetty.server.Request base = org.eclipse.jetty.server.Request.getBaseRequest(ctx.req());
            this.endPoint = base == null ? null : base.getHttpChannel().getEndPoint();
        }

        boolean gone() {
            if (endPoint == null || stopped) {
                return false;
            }
            try {
                int n = endPoint.fill(org.eclipse.jetty.util.BufferUtil.allocate(1));
                if (n > 0) {
                    stopped = true;
                    ctx.header("Connection", "close");
                }
                return n < 0;
            } catch (IOException e) {
                return true;
            }
        }
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
