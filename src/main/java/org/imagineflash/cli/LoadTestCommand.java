package org.imagineflash.cli;

import org.imagineflash.model.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code imagine-flash load-test}: concurrent requests against a running server on this machine. */
@Command(name = "load-test", mixinStandardHelpOptions = true,
        description = "Send N requests from C concurrent clients to a local server; print p50/p99 latency, throughput, errors.")
public final class LoadTestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--port", defaultValue = "8080") int port;
    @Option(names = "--requests", defaultValue = "500") int requests;
    @Option(names = "--clients", defaultValue = "16") int clients;
    @Option(names = "--model", description = "model name (default: the server's default)") String model;
    @Option(names = "--max-seconds", defaultValue = "300", description = "stop sending after this long") int maxSeconds;
    @Option(names = "--warmup", defaultValue = "500",
            description = "requests sent first by the same clients and not counted (JIT warm-up of server and client)") int warmup;
    @Option(names = "--json") boolean json;

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || requests > 100_000 || clients < 1 || clients > 256 || maxSeconds < 1 || warmup < 0 || warmup > 100_000) {
            throw new IllegalArgumentException("--requests 1..100000, --clients 1..256, --max-seconds ≥ 1, --warmup 0..100000");
        }
        URI uri = URI.create("http://127.0.0.1:" + port + "/api/generate"); // loopback only
        long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
        if (warmup > 0) {
            Phase w = run(uri, warmup, 1_000_000, deadline); // seeds apart from the measured ones
            if (w.latencies().isEmpty()) {
                throw new IllegalStateException("no warm-up request succeeded (" + w.errors().get() + " errors, "
                        + w.rejected().get() + " answered 429); is a server running on port " + port + "?");
            }
        }
        long t0 = System.nanoTime();
        Phase p = run(uri, requests, 0, deadline);
        double wall = (System.nanoTime() - t0) / 1e9;
        AtomicInteger errors = p.errors();
        AtomicInteger rejected = p.rejected();
        List<Double> sorted = new ArrayList<>(p.latencies());
        Collections.sort(sorted);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("requests", sorted.size() + errors.get() + rejected.get());
        r.put("ok", sorted.size());
        r.put("errors", errors.get());
        r.put("rejected429", rejected.get());
        r.put("clients", clients);
        r.put("wallSeconds", wall);
        r.put("throughputPerSecond", sorted.size() / wall);
        r.put("p50Ms", pct(sorted, 0.50));
        r.put("p99Ms", pct(sorted, 0.99));
        r.put("maxMs", sorted.isEmpty() ? null : sorted.get(sorted.size() - 1));
        // images in the server's forward pass that served each request (how well the server batches)
        r.put("meanBatchImages", p.batchSizes().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
        if (json) {
            spec.commandLine().getOut().println(ModelStore.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r));
        } else {
            r.forEach((k, v) -> spec.commandLine().getOut().printf("%-20s %s%n", k, v instanceof Double d ? String.format("%.2f", d) : v));
        }
        return errors.get() == 0 ? 0 : 1;
    }

    /** What one phase (warm-up or measured) of the test saw. */
    record Phase(List<Double> latencies, List<Double> batchSizes, AtomicInteger errors, AtomicInteger rejected) {
    }

    /** Sends {@code count} requests from the clients; request i uses seed {@code seedOffset + i} and a class in turn. */
    Phase run(URI uri, int count, int seedOffset, long deadline) throws Exception {
        String[] prompts = {"t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"};
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        List<Double> batchSizes = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            fs.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < count && System.nanoTime() < deadline) {
                    String body = "{\"prompt\":\"" + prompts[i % prompts.length] + "\",\"seed\":" + (seedOffset + i)
                            + (model != null ? ",\"model\":\"" + model.replace("\"", "") + "\"" : "") + "}";
                    long s = System.nanoTime();
                    try {
                        Response r = post(uri, body);
                        if (r.status() == 200) {
                            latencies.add((System.nanoTime() - s) / 1e6);
                            var node = ModelStore.JSON.readTree(r.body()).get("batchImages");
                            if (node != null) {
                                batchSizes.add(node.asDouble());
                            }
                        } else if (r.status() == 429) {
                            rejected.incrementAndGet();
                        } else {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        return new Phase(latencies, batchSizes, errors, rejected);
    }

    private record Response(int status, byte[] body) {
    }

    /**
     * One POST with the JDK's blocking {@link HttpURLConnection} (persistent connections are reused per thread): it
     * needs less CPU per request than {@code java.net.http.HttpClient}, and the client shares the server's cores here.
     */
    private static Response post(URI uri, String body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(60_000);
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        c.setFixedLengthStreamingMode(b.length);
        try (OutputStream out = c.getOutputStream()) {
            out.write(b);
        }
        int status = c.getResponseCode();
        try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
            return new Response(status, in == null ? new byte[0] : in.readAllBytes());
        }
    }

    static Double pct(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return null;
        }
        int i = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
