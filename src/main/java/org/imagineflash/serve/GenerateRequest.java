package org.imagineflash.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.imagineflash.Generator;

/**
 * A validated {@code POST /api/generate} request. Every field is checked here, once; a bad one is a 400 with a
 * one-line reason.
 *
 * @param modelName the model (default: the server's default model)
 * @param subject the class or caption the prompt names ({@link Subject}: a prefix is enough, so the page can generate while typing)
 * @param options sampler, steps and guidance (the model's defaults where not given)
 * @param n images
 * @param seed the first image's seed; image i uses seed + i
 * @param timeoutMs the request's deadline
 * @param png answer with the first image as PNG ({@code "format": "png"} or {@code Accept: image/png})
 */
record GenerateRequest(String modelName, Generator generator, Subject subject, Generator.Options options, int n, long seed, int timeoutMs,
                       boolean png) {
    /** The longest a request waits for its images (and the default deadline). */
    static final int MAX_TIMEOUT_MILLIS = 60_000;

    /** A client error with a one-line message. */
    static final class BadRequest extends RuntimeException {
        BadRequest(String m) {
            super(m);
        }
    }

    /** NFE × images, the unit of the queue's admission and fairness. */
    long cost() {
        return (long) options.steps() * nfePerStep() * n;
    }

    int nfePerStep() {
        return options.nfePerStep();
    }

    static GenerateRequest parse(JsonNode body, String accept, ModelRegistry models, ServerLimits limits) {
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
        String modelName = text(body, "model");
        if (modelName == null) {
            modelName = models.defaultModel();
        }
        Generator g = models.get(modelName);
        Subject subject;
        try {
            subject = Subject.of(g, prompt);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        Generator.Options d = g.defaults();
        int steps = integer(body, "steps", d.steps(), 1, ModelRegistry.maxSteps(g, limits));
        int n = integer(body, "n", 1, 1, limits.maxImages());
        long seed = integer(body, "seed", 0, 0, Integer.MAX_VALUE);
        double cfg = number(body, "cfg", d.cfg(), 0, 20);
        if (g.isStudent() && cfg != 1.0) {
            throw new BadRequest("students are distilled with guidance built in; cfg must be 1 for " + modelName);
        }
        int timeoutMs = integer(body, "timeoutMs", MAX_TIMEOUT_MILLIS, 1, MAX_TIMEOUT_MILLIS);
        boolean png = "png".equals(text(body, "format")) || (accept != null && accept.startsWith("image/png"));
        return new GenerateRequest(modelName, g, subject, new Generator.Options(d.sampler(), steps, cfg, null), n, seed, timeoutMs, png);
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
}
