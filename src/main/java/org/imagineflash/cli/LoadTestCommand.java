package org.imagineflash.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.imagineflash.data.scenes.PromptSuite;
import org.imagineflash.model.ModelStore;
import org.imagineflash.serve.LoadClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** {@code imagine-flash load-test}: concurrent requests against a running server on this machine. */
@Command(name = "load-test", mixinStandardHelpOptions = true,
        description = {"Send N requests from C concurrent clients to a local server; print p50/p99 latency, throughput, errors.",
                "--mix also keeps heavy teacher requests (8 images, the server's maximum steps, CFG 3) in flight from",
                "other clients and reports the latency of the cheap requests under that load."})
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
    @Option(names = "--mix", description = "send heavy teacher requests alongside the measured ones") boolean mix;
    @Option(names = "--heavy-clients", defaultValue = "4", description = "clients sending heavy requests with --mix") int heavyClients;
    @Option(names = "--heavy-model", description = "the teacher for --mix (default: the server's first teacher)") String heavyModel;
    @Option(names = "--json") boolean json;

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || requests > 100_000 || clients < 1 || clients > 256 || maxSeconds < 1 || warmup < 0 || warmup > 100_000
                || heavyClients < 1 || heavyClients > 64) {
            throw new IllegalArgumentException("--requests 1..100000, --clients 1..256, --max-seconds ≥ 1, --warmup 0..100000, --heavy-clients 1..64");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be in 1..65535, got " + port);
        }
        URI base = URI.create("http://127.0.0.1:" + port + "/"); // loopback only
        if (!LoadClient.healthy(base)) {
            throw new IllegalStateException("no server answers on port " + port + " (start one with imagine-flash serve --port " + port + ")");
        }
        URI uri = base.resolve("/api/generate");
        String extra = model != null ? "\"model\":" + ModelStore.JSON.writeValueAsString(model) : "";
        // a text-to-image model is sent the sentences of the scene prompt suite, a class model the class names
        JsonNode served = LoadClient.models(base);
        List<String> prompts = isTextModel(served, model)
                ? PromptSuite.standard().entries().stream().map(PromptSuite.Entry::prompt).toList() : LoadClient.CLASS_PROMPTS;
        long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
        if (warmup > 0) {
            LoadClient.Phase w = LoadClient.run(uri, clients, warmup, LoadClient.requests(prompts, 1_000_000, extra), deadline, () -> false);
            if (w.latencies().isEmpty()) {
                throw new IllegalStateException("no warm-up request succeeded (" + w.errors().get() + " errors, "
                        + w.rejected().get() + " answered 429)");
            }
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<LoadClient.Phase> heavy = new AtomicReference<>();
        Thread heavyThread = null;
        if (mix) {
            String teacher = heavyModel != null ? heavyModel : firstTeacher(served);
            int maxSteps = maxTeacherSteps(served, teacher);
            String heavyExtra = "\"model\":" + ModelStore.JSON.writeValueAsString(teacher) + ",\"n\":8,\"steps\":" + maxSteps + ",\"cfg\":3";
            heavyThread = new Thread(() -> {
                try {
                    heavy.set(LoadClient.run(uri, heavyClients, Integer.MAX_VALUE, LoadClient.requests(2_000_000, heavyExtra), deadline, done::get));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "heavy-clients");
            heavyThread.start();
            Thread.sleep(1000); // the heavy requests are queued and running before the measured ones start
        }
        long t0 = System.nanoTime();
        LoadClient.Phase p = LoadClient.run(uri, clients, requests, LoadClient.requests(prompts, 0, extra), deadline, () -> false);
        double wall = (System.nanoTime() - t0) / 1e9;
        done.set(true);
        if (heavyThread != null) {
            heavyThread.join();
        }
        Map<String, Object> r = new LinkedHashMap<>();
        int ok = p.latencies().size();
        r.put("requests", ok + p.errors().get() + p.rejected().get());
        r.put("ok", ok);
        r.put("errors", p.errors().get());
        r.put("rejected429", p.rejected().get());
        r.put("clients", clients);
        r.put("wallSeconds", wall);
        r.put("throughputPerSecond", ok / wall);
        r.put("p50Ms", p.percentile(0.50));
        r.put("p99Ms", p.percentile(0.99));
        r.put("maxMs", p.percentile(1.0));
        // images in the server's forward pass that served each request (how well the server batches)
        r.put("meanBatchImages", p.batchSizes().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
        if (heavy.get() != null) {
            LoadClient.Phase h = heavy.get();
            r.put("heavyClients", heavyClients);
            r.put("heavyOk", h.latencies().size());
            r.put("heavyRejected429", h.rejected().get());
            r.put("heavyErrors", h.errors().get());
            r.put("heavyP50Ms", h.percentile(0.50));
        }
        if (json) {
            spec.commandLine().getOut().println(ModelStore.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r));
        } else {
            r.forEach((k, v) -> spec.commandLine().getOut().printf("%-20s %s%n", k, v instanceof Double d ? String.format("%.2f", d) : v));
        }
        return p.errors().get() == 0 ? 0 : 1;
    }

    /** Whether the model a test targets (null: the server's default) draws sentences. */
    private static boolean isTextModel(JsonNode served, String name) {
        for (JsonNode m : served) {
            if (name == null ? m.path("default").asBoolean() : name.equals(m.path("name").asText())) {
                return m.path("text").asBoolean();
            }
        }
        return false;
    }

    private static String firstTeacher(JsonNode served) {
        for (JsonNode m : served) {
            if ("teacher".equals(m.path("kind").asText())) {
                return m.get("name").asText();
            }
        }
        throw new IllegalArgumentException("--mix needs a teacher on the server (or --heavy-model NAME)");
    }

    private static int maxTeacherSteps(JsonNode served, String name) {
        for (JsonNode m : served) {
            if (name.equals(m.path("name").asText())) {
                return m.path("maxSteps").asInt(25);
            }
        }
        throw new IllegalArgumentException("the server has no model '" + name + "'");
    }
}
