package org.imagineflash.serve;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.imagineflash.Generator;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.data.Prompts;
import org.imagineflash.data.scenes.CaptionParser;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HTTP server for real-time generation: the routes of the JSON API ({@code POST /api/generate}, {@code GET /api/models},
 * {@code GET /health}) and the web page that generates while the user types (static files in
 * {@code resources/public}). The models are a {@link ModelRegistry}; a request is read by {@link RequestBody},
 * validated into a {@link GenerateRequest} and queued in a {@link BatchingQueue} (admission by cost, fair between
 * clients, a lane for cheap requests). Every error, Jetty's own included, is a 4xx/5xx with a one-line JSON body.
 *
 * <p>Defences, each against a measured attack: bodies are bounded whatever their framing, in size, time and number
 * read at once ({@link RequestBody}); connections are capped; only {@code application/json} is accepted (a
 * cross-site {@code text/plain} POST cannot trigger work); a request whose client hangs up is dropped
 * ({@link ClientProbe}); the server binds to loopback unless told otherwise.
 */
public final class GenerationServer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GenerationServer.class);
    /** The API's routes and their methods, for 405 answers with {@code Allow}. */
    private static final Map<String, String> ROUTES = Map.of("/health", "GET", "/api/models", "GET", "/api/prompts", "GET",
            "/api/generate", "POST");
    /**
     * Headers that make the page cross-origin isolated, so that ONNX Runtime Web may run the in-browser student on
     * several threads (WebAssembly threads need SharedArrayBuffer); the page loads nothing from other origins.
     */
    static final Map<String, String> CROSS_ORIGIN_ISOLATION = Map.of("Cross-Origin-Opener-Policy", "same-origin",
            "Cross-Origin-Embedder-Policy", "require-corp");
    /** How often a waiting request checks that its client is still connected. */
    static final long CLIENT_CHECK_MILLIS = 50;

    private final ServerLimits limits;
    private final ModelRegistry models;
    private final BatchingQueue queue;
    private final RequestBody bodies;
    private Javalin app;

    /** A server whose models all run on DJL. */
    public GenerationServer(Path modelsDir, ServerLimits limits) throws IOException {
        this(modelsDir, limits, ServingEngine.DJL);
    }

    public GenerationServer(Path modelsDir, ServerLimits limits, ServingEngine engine) throws IOException {
        this.limits = limits;
        this.models = new ModelRegistry(modelsDir, limits.maxBatch(), engine);
        this.queue = new BatchingQueue(limits.policy());
        this.bodies = new RequestBody(limits);
    }

    public GenerationServer start(int port) {
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = limits.maxBodyBytes();
            cfg.staticFiles.add(sf -> {
                sf.directory = "/public";
                sf.location = Location.CLASSPATH;
                sf.headers = CROSS_ORIGIN_ISOLATION;
            });
            // dispatch on the headers: Jetty's default waits for the first body bytes, so a refusal by Content-Length
            // (413) waited for the idle timeout
            cfg.jetty.modifyHttpConfiguration(http -> http.setDelayDispatchUntilContent(false));
            cfg.jetty.modifyServer(server -> {
                server.addBean(new ConnectionLimit(limits.maxConnections(), server));
                server.setErrorHandler(new JsonErrorHandler());
            });
            cfg.requestLogger.http((ctx, ms) -> LOG.info("{} {} {} {} {}", ctx.ip(), ctx.method(), ctx.path(), ctx.statusCode(),
                    String.format("%.1f ms", ms)));
        });
        app.before(ctx -> CROSS_ORIGIN_ISOLATION.forEach(ctx::header));
        app.get("/health", ctx -> ctx.json(Map.of("status", "ok", "models", models.size(), "waiting", queue.waiting(),
                "dropped", queue.dropped())));
        app.get("/api/models", ctx -> ctx.json(models.describe(limits)));
        app.get("/api/prompts", ctx -> ctx.json(completions(ctx.queryParam("prefix"), ctx.queryParam("model"))));
        app.post("/api/generate", this::generate);
        // a student the page runs in the browser: its sampling plan, then its network (ONNX)
        app.get("/api/models/{name}/browser", ctx -> ctx.json(models.inBrowser(ctx.pathParam("name")).plan()));
        app.get("/api/models/{name}/model.onnx", ctx -> ctx.contentType("application/octet-stream")
                .header("Cache-Control", "no-cache").result(models.inBrowser(ctx.pathParam("name")).onnx()));
        app.exception(GenerateRequest.BadRequest.class, (e, ctx) -> error(ctx, HttpStatus.BAD_REQUEST, e.getMessage()));
        app.exception(RequestBody.Refused.class, (e, ctx) -> { });
        app.exception(BatchingQueue.Overloaded.class, (e, ctx) -> error(ctx, HttpStatus.TOO_MANY_REQUESTS, e.getMessage()));
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, HttpStatus.forStatus(e.getStatus()), e.getMessage()));
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
        app.error(413, ctx -> error(ctx, HttpStatus.CONTENT_TOO_LARGE, bodies.tooLarge()));
        app.start(limits.host(), port);
        for (Connector c : app.jettyServer().server().getConnectors()) {
            if (c instanceof AbstractConnector ac) {
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
        return models.defaultModel();
    }

    /**
     * Sends {@code requests} generation requests for the default model to this server over loopback HTTP, eight at a
     * time, for at most 10 s: the JIT compiles the request path during the first ~1000 requests (the load test's
     * first run after start-up had p99 182–256 ms without this, 183–229 ms with it). Class names, or the prompt
     * suite's sentences for a text-to-image model.
     *
     * @return how many were answered
     */
    public int warmUp(int requests) throws Exception {
        String h = host();
        String local = h.equals("0.0.0.0") || h.equals("::") ? "127.0.0.1" : h.contains(":") ? "[" + h + "]" : h;
        java.net.URI uri = java.net.URI.create("http://" + local + ":" + port() + "/api/generate");
        var body = models.get(models.defaultModel()).isTextToImage()
                ? LoadClient.requests(PromptSuite.standard().entries().stream().map(PromptSuite.Entry::prompt).toList(), 2_000_000, "")
                : LoadClient.requests(2_000_000, "");
        return LoadClient.run(uri, 8, requests, body, System.nanoTime() + 10_000_000_000L, () -> false).latencies().size();
    }

    /** The address the server listens on. */
    public String host() {
        return ((ServerConnector) app.jettyServer().server().getConnectors()[0]).getHost();
    }

    private static void error(Context ctx, HttpStatus status, String message) {
        ctx.status(status).json(Map.of("error", message == null ? status.getMessage() : message));
    }

    private void generate(Context ctx) throws Exception {
        GenerateRequest req = GenerateRequest.parse(bodies.json(ctx), ctx.header("Accept"), models, limits);
        long t0 = System.nanoTime();
        long deadline = t0 + req.timeoutMs() * 1_000_000L;
        CompletableFuture<BatchingQueue.Done> future = queue.submit(ctx.ip(), req.modelName(), req.generator(), req.options(),
                req.subject(), req.n(), req.seed(), req.cost(), deadline);
        BatchingQueue.Done done;
        try {
            done = await(ctx, future, deadline, req.timeoutMs());
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IllegalArgumentException) {
                throw new GenerateRequest.BadRequest(c.getMessage());
            }
            if (c instanceof BatchingQueue.Expired) {
                throw new HttpResponseException(503, c.getMessage());
            }
            throw new IllegalStateException(c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage());
        }
        double totalMs = (System.nanoTime() - t0) / 1e6;
        int nfe = done.nfe() * req.nfePerStep();
        if (req.png()) {
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
        r.put("model", req.modelName());
        r.put("kind", req.generator().config().kind());
        r.put("class", req.subject().isCaption() ? null : req.subject().label());
        r.put("className", req.subject().name());
        r.put("prompt", req.subject().name());
        r.put("steps", req.options().steps());
        r.put("cfg", req.options().cfg());
        r.put("seed", req.seed());
        r.put("n", req.n());
        r.put("nfe", nfe);
        r.put("ms", totalMs);
        r.put("msPerImage", done.batchMillis() / done.batchImages());
        r.put("queueMs", done.queueMillis());
        r.put("batchImages", done.batchImages());
        ctx.json(r);
    }

    /**
     * Waits for a request's images until its deadline, checking every {@value #CLIENT_CHECK_MILLIS} ms that the client
     * is still there; a request whose client is gone or whose deadline passed is cancelled (not started: the queue
     * drops it; started: its batch finishes for the others).
     */
    private BatchingQueue.Done await(Context ctx, CompletableFuture<BatchingQueue.Done> future, long deadline, int timeoutMs)
            throws ExecutionException, InterruptedException {
        ClientProbe client = new ClientProbe(ctx);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                future.cancel(false);
                throw new HttpResponseException(503, "generation did not finish within " + timeoutMs + " ms");
            }
            try {
                return future.get(Math.min(left, CLIENT_CHECK_MILLIS * 1_000_000L), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (client.gone()) {
                    future.cancel(false);
                    LOG.info("{} hung up; its request was dropped", ctx.ip());
                    ctx.status(499); // nginx's "client closed request", for the log line
                    throw new RequestBody.Refused();
                }
            }
        }
    }

    private static byte[] png(BatchingQueue.Done d, int i) {
        return PngEncoder.encode(d.image(i));
    }

    /** {@code GET /api/prompts}: class names for a class-conditional model, the grammar's next words for a text model. */
    private List<String> completions(String prefix, String modelName) {
        if (prefix != null && prefix.length() > limits.maxPromptLength()) {
            throw new GenerateRequest.BadRequest("prefix longer than " + limits.maxPromptLength() + " characters");
        }
        Generator g = models.get(modelName == null ? models.defaultModel() : modelName);
        return g.isTextToImage() ? CaptionParser.complete(prefix, 12) : Prompts.complete(prefix);
    }

    @Override
    public void close() {
        if (app != null) {
            app.stop();
        }
        queue.close();
        models.close();
    }
}
