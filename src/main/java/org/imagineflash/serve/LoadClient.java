package org.imagineflash.serve;

import org.imagineflash.model.ModelStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * A load generator for a running {@link GenerationServer}: concurrent clients POST generate requests and record
 * latencies. Used by {@code load-test} and by {@code serve} to warm itself up.
 */
public final class LoadClient {
    /** The class names a class-conditional model is sent in turn. */
    public static final List<String> CLASS_PROMPTS = List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
            "sneaker", "bag", "ankle boot");

    private LoadClient() {
    }

    /** What one phase of a test saw: latencies of the requests answered 200, and the others by kind. */
    public record Phase(List<Double> latencies, List<Double> batchSizes, AtomicInteger errors, AtomicInteger rejected) {
        /** The p-th latency percentile (p in 0..1), or null when no request succeeded. */
        public Double percentile(double p) {
            List<Double> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            if (sorted.isEmpty()) {
                return null;
            }
            int i = (int) Math.ceil(p * sorted.size()) - 1;
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
        }
    }

    /** The body of request i: a class in turn, seed {@code seedOffset + i}, plus {@code extra} JSON fields (or ""). */
    public static IntFunction<String> requests(int seedOffset, String extra) {
        return requests(CLASS_PROMPTS, seedOffset, extra);
    }

    /** The body of request i: prompt i mod the list's size, seed {@code seedOffset + i}, plus {@code extra} JSON fields. */
    public static IntFunction<String> requests(List<String> prompts, int seedOffset, String extra) {
        List<String> quoted = prompts.stream().map(LoadClient::quote).toList();
        return i -> "{\"prompt\":" + quoted.get(i % quoted.size()) + ",\"seed\":" + (seedOffset + i)
                + (extra == null || extra.isEmpty() ? "" : "," + extra) + "}";
    }

    private static String quote(String s) {
        try {
            return ModelStore.JSON.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * Sends requests 0, 1, … from {@code clients} threads until {@code count} are sent, the deadline passes or
     * {@code stop} says so.
     */
    public static Phase run(URI uri, int clients, int count, IntFunction<String> body, long deadlineNanos, BooleanSupplier stop)
            throws Exception {
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        List<Double> batchSizes = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                fs.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < count && System.nanoTime() < deadlineNanos && !stop.getAsBoolean()) {
                        long s = System.nanoTime();
                        try {
                            Response r = post(uri, body.apply(i));
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
                        } catch (IOException e) {
                            errors.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Phase(latencies, batchSizes, errors, rejected);
    }

    /** Whether a server answers {@code GET /health} at this base URI within a second. */
    public static boolean healthy(URI base) {
        try {
            HttpURLConnection c = (HttpURLConnection) base.resolve("/health").toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(1000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** The server's model list ({@code GET /api/models}). */
    public static com.fasterxml.jackson.databind.JsonNode models(URI base) throws IOException {
        HttpURLConnection c = (HttpURLConnection) base.resolve("/api/models").toURL().openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(5000);
        try (InputStream in = c.getInputStream()) {
            return ModelStore.JSON.readTree(in);
        }
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
        c.setReadTimeout(70_000);
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
}
