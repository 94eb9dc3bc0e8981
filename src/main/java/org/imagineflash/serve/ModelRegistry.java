package org.imagineflash.serve;

import org.imagineflash.Generator;
import org.imagineflash.export.BrowserPlan;
import org.imagineflash.model.ModelStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models a server serves: every model folder of a directory, loaded once and warmed up per architecture. A
 * folder that fails to load (corrupt file, checksum mismatch, non-finite weights) is kept as unavailable with its
 * reason, and the others are served.
 */
final class ModelRegistry implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelRegistry.class);
    private final Map<String, Generator> models = new LinkedHashMap<>();
    private final Map<String, String> unavailable = new LinkedHashMap<>();
    private final String defaultModel;
    /** The browser form of each model asked for so far (exported on first request). */
    private final Map<String, InBrowser> browser = new ConcurrentHashMap<>();

    /** A student as a browser runs it: its sampling plan and its network as an ONNX graph. */
    record InBrowser(BrowserPlan plan, byte[] onnx) {
    }

    /**
     * @param warmUpBatch the largest batch to warm each architecture up for
     * @param engine which engine runs each model's network
     */
    ModelRegistry(Path dir, int warmUpBatch, ServingEngine engine) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("models directory " + dir + " does not exist");
        }
        Set<String> warmed = new HashSet<>(); // architectures
        try {
            for (Path d : ModelStore.list(dir)) {
                String name = d.getFileName().toString();
                Generator g;
                try {
                    g = Generator.load(d, engine.forModel(ModelStore.readConfig(d)));
                } catch (IOException | RuntimeException e) {
                    String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
                    unavailable.put(name, why);
                    LOG.warn("model {} is unavailable: {}", name, why);
                    continue;
                }
                models.put(name, g);
                if (warmed.add(g.engine() + ModelStore.JSON.writeValueAsString(g.config().unet()))) {
                    g.warmUp(warmUpBatch);
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        if (models.isEmpty()) {
            throw new IOException("no usable diffusion models in " + dir
                    + (unavailable.isEmpty() ? " (train one with imagine-flash train-teacher)" : ": " + unavailable));
        }
        // default: an Imagine Flash student with the most steps (best quality that is still real-time), else any student
        // with the most steps, else the first model
        defaultModel = models.entrySet().stream().filter(e -> e.getValue().isStudent())
                .max(Comparator.comparing((Map.Entry<String, Generator> e) -> isImagineFlash(e.getValue()))
                        .thenComparingInt(e -> e.getValue().config().student().steps()))
                .map(Map.Entry::getKey).orElse(models.keySet().iterator().next());
    }

    private static boolean isImagineFlash(Generator g) {
        return g.config().student().method().equals("imagine-flash");
    }

    String defaultModel() {
        return defaultModel;
    }

    int size() {
        return models.size();
    }

    /** The model of that name, or a 400 naming the known ones. */
    Generator get(String name) {
        Generator g = models.get(name);
        if (g == null) {
            throw new GenerateRequest.BadRequest("unknown model '" + name + "'; known: " + String.join(", ", models.keySet()));
        }
        return g;
    }

    /** The browser form of a model (a 400 for a model that cannot run in a browser), exported once. */
    InBrowser inBrowser(String name) {
        Generator g = get(name);
        if (!BrowserPlan.supports(g.config())) {
            throw new GenerateRequest.BadRequest("model '" + name + "' does not run in a browser: only class-conditional students "
                    + "that step deterministically do");
        }
        return browser.computeIfAbsent(name, k -> {
            try {
                return new InBrowser(BrowserPlan.of(g.config()), g.studentGraph());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** The most steps a request may ask of a model: a student's trained steps, a teacher's limit. */
    static int maxSteps(Generator g, ServerLimits limits) {
        return g.isStudent() ? g.config().student().steps() : limits.maxSteps();
    }

    /** {@code GET /api/models}: the served models, then the unavailable ones with their reasons. */
    List<Map<String, Object>> describe(ServerLimits limits) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, Generator> e : models.entrySet()) {
            Generator g = e.getValue();
            Generator.Options d = g.defaults();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.getKey());
            m.put("kind", g.config().kind());
            m.put("text", g.isTextToImage());
            m.put("method", g.isStudent() ? g.config().student().method() : null);
            m.put("engine", g.engine().name().toLowerCase(java.util.Locale.ROOT));
            m.put("browser", BrowserPlan.supports(g.config()));
            m.put("sampler", d.sampler().id());
            m.put("defaultSteps", d.steps());
            m.put("maxSteps", maxSteps(g, limits));
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

    @Override
    public void close() {
        models.values().forEach(Generator::close);
    }
}
