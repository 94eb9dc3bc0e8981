package org.imagineflash.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.imagineflash.model.ModelStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationServerTest {
    @TempDir
    static Path dir;
    static GenerationServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        server = new GenerationServer(ServeFixtures.models(dir), ServerLimits.defaults()).start(0);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> post(String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/generate"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return ModelStore.JSON.readTree(r.body());
    }

    @Test
    void healthAndModels() throws Exception {
        assertEquals(200, get("/health").statusCode());
        JsonNode models = json(get("/api/models"));
        assertEquals(2, models.size());
        assertEquals("student-tiny", server.defaultModel());
        assertEquals("student", models.get(0).get("kind").asText());
        assertEquals(2, models.get(0).get("defaultSteps").asInt());
        assertEquals("teacher", models.get(1).get("kind").asText());
        assertEquals(50, models.get(1).get("nfe").asInt());
    }

    @Test
    void aStudentsBrowserPlanAndGraphAndRefusalsForOthers() throws Exception {
        JsonNode models = json(get("/api/models"));
        assertTrue(models.get(0).get("browser").asBoolean(), "the student runs in a browser");
        assertFalse(models.get(1).get("browser").asBoolean(), "the teacher does not");
        assertEquals("djl", models.get(0).get("engine").asText());
        JsonNode plan = json(get("/api/models/student-tiny/browser"));
        assertEquals("[999,499]", plan.get("timesteps").toString());
        assertEquals(plan.get("timesteps").size(), plan.get("alpha").size());
        assertEquals("eps", plan.get("parameterization").asText());
        assertEquals(7, plan.get("classes").get("sneaker").asInt());
        HttpResponse<byte[]> onnx = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/api/models/student-tiny/model.onnx")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, onnx.statusCode());
        var graph = org.imagineflash.export.onnx.Onnx.ModelProto.parseFrom(onnx.body()).getGraph();
        // the student's whole generation: noise and class in, image out
        assertEquals("noise", graph.getInput(0).getName());
        assertEquals("class", graph.getInput(1).getName());
        assertEquals("image", graph.getOutput(0).getName());
        assertEquals("same-origin", onnx.headers().firstValue("Cross-Origin-Opener-Policy").orElse(""));
        HttpResponse<String> teacher = get("/api/models/teacher-tiny/browser");
        assertEquals(400, teacher.statusCode());
        assertTrue(json(teacher).get("error").asText().contains("does not run in a browser"), teacher.body());
        assertEquals(400, get("/api/models/nope/model.onnx").statusCode());
    }

    @Test
    void servingEnginesPutStudentsOnOnnxRuntimeUnlessToldOtherwise() {
        var student = org.imagineflash.model.ModelConfig.teacher(org.imagineflash.model.UNetConfig.builder(8, 2).baseChannels(8)
                .channelMults(1).groups(4).heads(2).build(), org.imagineflash.schedule.ScheduleConfig.ddpmLinear(),
                org.imagineflash.model.Parameterization.EPS);
        var s = student.student(new org.imagineflash.model.StudentConfig("imagine-flash", new int[] {999}, true, null),
                org.imagineflash.model.Parameterization.EPS);
        assertEquals(org.imagineflash.Generator.Engine.ORT, ServingEngine.AUTO.forModel(s));
        assertEquals(org.imagineflash.Generator.Engine.DJL, ServingEngine.AUTO.forModel(student));
        assertEquals(org.imagineflash.Generator.Engine.ORT, ServingEngine.parse("ORT").forModel(student));
        assertEquals(org.imagineflash.Generator.Engine.DJL, ServingEngine.parse("djl").forModel(s));
        var e = assertThrows(IllegalArgumentException.class, () -> ServingEngine.parse("tensorrt"));
        assertEquals("--engine must be auto, djl or ort, got tensorrt", e.getMessage());
    }

    @Test
    void generatesAPartialPromptDeterministically() throws Exception {
        HttpResponse<String> r = post("{\"prompt\":\"snea\",\"seed\":3,\"n\":2}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals("sneaker", j.get("className").asText());
        assertEquals(2, j.get("images").size());
        assertEquals(2, j.get("nfe").asInt());
        byte[] png = Base64.getDecoder().decode(j.get("images").get(0).asText().replace("data:image/png;base64,", ""));
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(28, img.getWidth());
        JsonNode again = json(post("{\"prompt\":\"sneaker\",\"seed\":3,\"n\":2}"));
        assertEquals(j.get("images"), again.get("images"));
        HttpResponse<byte[]> raw = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/generate"))
                .header("Accept", "image/png").header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"sneaker\",\"seed\":3}")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals("image/png", raw.headers().firstValue("Content-Type").orElse(""));
        assertArrayEquals(png, raw.body());
    }

    @Test
    void teacherWithStepsAndGuidance() throws Exception {
        JsonNode j = json(post("{\"prompt\":\"bag\",\"model\":\"teacher-tiny\",\"steps\":3,\"cfg\":2}"));
        assertEquals(6, j.get("nfe").asInt());
        assertEquals("teacher", j.get("kind").asText());
    }

    @Test
    void badRequestsGetOneLineJsonErrors() throws Exception {
        String[][] cases = {
            {"{bad", "400", "malformed JSON"},
            {"[1,2]", "400", "JSON object"},
            {"{}", "400", "prompt is required"},
            {"{\"prompt\":\"spaceship\"}", "400", "unknown prompt"},
            {"{\"prompt\":\"bag\",\"model\":\"nope\"}", "400", "unknown model"},
            {"{\"prompt\":\"bag\",\"n\":9}", "400", "n must be in 1..8"},
            {"{\"prompt\":\"bag\",\"steps\":3}", "400", "steps must be in 1..2"},
            {"{\"prompt\":\"bag\",\"model\":\"teacher-tiny\",\"steps\":51}", "400", "steps must be in 1..50"},
            {"{\"prompt\":\"bag\",\"seed\":\"x\"}", "400", "seed must be an integer"},
            {"{\"prompt\":\"bag\",\"cfg\":3}", "400", "cfg must be 1"},
            {"{\"prompt\":\"" + "a".repeat(101) + "\"}", "400", "longer than 100"},
            {"{\"prompt\":\"" + "a".repeat(5000) + "\"}", "413", "too large"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = post(c[0]);
            assertEquals(Integer.parseInt(c[1]), r.statusCode(), c[0] + " → " + r.body());
            String err = json(r).get("error").asText();
            assertTrue(err.contains(c[2]), c[0] + " → " + err);
            assertTrue(!err.contains("\n") && !err.contains("Exception"), err);
        }
        assertEquals(404, get("/api/nope").statusCode());
        assertEquals(200, get("/health").statusCode()); // still serving
    }

    @Test
    void overloadAnswers429AndKeepsServing() throws Exception {
        Path d2 = dir.resolve("small-queue");
        try (GenerationServer s = new GenerationServer(ServeFixtures.models(d2), ServerLimits.builder().queueCapacity(1).maxBatch(1).build()).start(0)) {
            List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                fs.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/api/generate"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"coat\",\"model\":\"teacher-tiny\",\"steps\":20,\"seed\":" + i + "}")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            int ok = 0;
            int busy = 0;
            for (CompletableFuture<HttpResponse<String>> f : fs) {
                int code = f.get().statusCode();
                ok += code == 200 ? 1 : 0;
                busy += code == 429 ? 1 : 0;
            }
            assertEquals(12, ok + busy);
            assertTrue(busy > 0, "expected some 429 with a queue of 1");
            assertTrue(ok > 0);
        }
    }

    @Test
    void concurrentBatchedRequestsOnTwoWorkersGiveTheSameImagesAsOneByOne() throws Exception {
        Path d3 = dir.resolve("two-workers");
        int n = 12;
        String[] prompts = {"coat", "bag", "sneaker"};
        try (GenerationServer s = new GenerationServer(ServeFixtures.models(d3), ServerLimits.builder().maxBatch(4).workers(2).build()).start(0)) {
            URI uri = URI.create("http://127.0.0.1:" + s.port() + "/api/generate");
            List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(HTTP.sendAsync(HttpRequest.newBuilder(uri).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\":\"" + prompts[i % 3] + "\",\"seed\":" + i + "}")).build(), HttpResponse.BodyHandlers.ofString()));
            }
            int batched = 0;
            for (int i = 0; i < n; i++) {
                HttpResponse<String> r = fs.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                batched += json(r).get("batchImages").asInt() > 1 ? 1 : 0;
                JsonNode alone = json(post("{\"prompt\":\"" + prompts[i % 3] + "\",\"seed\":" + i + "}"));
                // within one grey level: where kernels are chosen per input shape (oneDNN above SSE4.1, kernel/KernelCheck)
                // a batch of k and a batch of 1 may run different convolution kernels, which round differently
                assertTrue(maxGreyDifference(alone.get("images"), json(r).get("images")) <= 1, "request " + i);
            }
            assertTrue(batched > 0, "expected some requests to share a forward pass");
        }
    }

    @Test
    void loadTestCountsOnlyTheMeasuredRequests() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = org.imagineflash.cli.Main.commandLine(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true))
                .execute("load-test", "--port", String.valueOf(server.port()), "--requests", "12", "--clients", "3",
                        "--warmup", "5", "--model", "student-tiny", "--json");
        assertEquals(0, code, err.toString());
        JsonNode r = ModelStore.JSON.readTree(out.toString());
        assertEquals(12, r.get("requests").asInt());
        assertEquals(12, r.get("ok").asInt());
        assertEquals(0, r.get("errors").asInt());
        assertTrue(r.get("p99Ms").asDouble() >= r.get("p50Ms").asDouble());
    }

    /** The largest per-pixel difference between two lists of PNG data URLs of grey images. */
    static int maxGreyDifference(JsonNode a, JsonNode b) throws Exception {
        assertEquals(a.size(), b.size());
        int max = 0;
        for (int k = 0; k < a.size(); k++) {
            BufferedImage x = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(a.get(k).asText().replace("data:image/png;base64,", ""))));
            BufferedImage y = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b.get(k).asText().replace("data:image/png;base64,", ""))));
            for (int v = 0; v < x.getHeight(); v++) {
                for (int u = 0; u < x.getWidth(); u++) {
                    max = Math.max(max, Math.abs((x.getRGB(u, v) & 0xff) - (y.getRGB(u, v) & 0xff)));
                }
            }
        }
        return max;
    }
}
