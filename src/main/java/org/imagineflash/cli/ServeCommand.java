package org.imagineflash.cli;

import org.imagineflash.serve.GenerationServer;
import org.imagineflash.serve.ServerLimits;
import org.imagineflash.serve.ServingEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code imagine-flash serve}: the HTTP API and the generate-as-you-type web page. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the models over HTTP: POST /api/generate, GET /api/models, GET /health and a web page",
                "at / that generates while you type."})
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--port", defaultValue = "8080") int port;
    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "address to listen on (default: loopback only; 0.0.0.0 exposes the server to the network)") String host;
    @Option(names = "--models", defaultValue = "models") Path models;
    @Option(names = "--max-images", defaultValue = "8", description = "images per request") int maxImages;
    @Option(names = "--max-steps", defaultValue = "50", description = "teacher steps per request") int maxSteps;
    @Option(names = "--queue", defaultValue = "64", description = "requests that may wait; more get 429") int queue;
    @Option(names = "--max-queued-cost", defaultValue = "4000",
            description = "image-steps (NFE × images) that may wait; more get 429") long maxQueuedCost;
    @Option(names = "--max-batch", defaultValue = "32", description = "images per batched forward pass") int maxBatch;
    @Option(names = "--workers", description = "batches generated at once, each on one intra-op thread (default: the number of cores)")
    Integer workers;
    @Option(names = "--engine", defaultValue = "auto", description = {"what runs each model's networks: auto (students on ONNX",
            "Runtime, teachers on DJL), ort (every model on ONNX Runtime) or djl"})
    String engine;
    @Option(names = "--warmup-requests", defaultValue = "300",
            description = "requests the server sends itself over loopback before it reports ready (JIT warm-up; 0: none)")
    int warmupRequests;

    @Override
    public Integer call() throws Exception {
        int w = workers != null ? workers : Runtime.getRuntime().availableProcessors();
        if (w < 1 || w > 64) {
            throw new IllegalArgumentException("--workers must be in 1..64, got " + w);
        }
        if (w > 1) {
            // one intra-op thread per worker: on 2 cores two single-threaded workers served more requests per second
            // than one worker with two threads, whose OpenMP team stalls when the HTTP threads take a core (README)
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        Engines.configure();
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        }
        if (maxImages < 1 || maxSteps < 1 || queue < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("--max-images, --max-steps, --queue and --max-batch must be ≥ 1");
        }
        if (warmupRequests < 0 || warmupRequests > 100_000) {
            throw new IllegalArgumentException("--warmup-requests must be in 0..100000, got " + warmupRequests);
        }
        ServerLimits limits = ServerLimits.builder().host(host).maxImages(maxImages).maxSteps(maxSteps)
                .queueCapacity(queue).maxQueuedCost(maxQueuedCost).maxBatch(maxBatch).workers(w).build();
        GenerationServer server = new GenerationServer(models, limits, ServingEngine.parse(engine));
        server.start(port);
        if (warmupRequests > 0 && server.warmUp(warmupRequests) == 0) {
            throw new IllegalStateException("the server answered none of its " + warmupRequests + " warm-up requests");
        }
        spec.commandLine().getOut().printf("serving %s on http://%s:%d/ (default model %s); Ctrl-C stops%n",
                models, host, server.port(), server.defaultModel());
        spec.commandLine().getOut().flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }
}
