package org.imagineflash.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.imagineflash.model.ModelStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each attack or fault the hardening probe found, against a real server on loopback. */
class ServerHardeningTest {
    @TempDir
    static Path dir;
    static GenerationServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final int READERS = 4;
    static final long READ_TIMEOUT_MS = 1500;

    @BeforeAll
    static void start() throws Exception {
        server = new GenerationServer(ServeFixtures.models(dir), ServerLimits.builder().maxBodyReaders(READERS)
                .readTimeoutMillis(READ_TIMEOUT_MS).maxQueuedCost(400).build()).start(0);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A raw HTTP/1.1 exchange: sends {@code head} (and then {@code body} bytes), returns the status line and body. */
    static String[] raw(String head, byte[] body, int readTimeoutMs) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(readTimeoutMs);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                try {
                    out.write(body);
                } catch (IOException e) {
                    // the server stopped reading and closed: expected for a refused body
                }
            }
            out.flush();
            return response(s.getInputStream());
        }
    }

    static String[] response(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int r; (r = in.read(buf)) != -1; ) {
                all.write(buf, 0, r);
                String sofar = all.toString(StandardCharsets.ISO_8859_1);
                int headEnd = sofar.indexOf("\r\n\r\n");
                if (headEnd >= 0 && sofar.contains("}")) {
                    break;
                }
            }
        } catch (IOException e) {
            if (all.size() == 0) {
                throw e;
            }
        }
        String text = all.toString(StandardCharsets.UTF_8);
        int headEnd = text.indexOf("\r\n\r\n");
        return new String[] {text.lines().findFirst().orElse(""), headEnd < 0 ? "" : text.substring(headEnd + 4), text};
    }

    static String post(String path, String contentType) {
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + contentType + "\r\n";
    }

    static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    @Test
    void aChunkedBodyOverTheLimitIsRefusedAfterReadingAtMostTheLimit() throws Exception {
        // before: a 19.9 MB chunked body was accepted (200) and a 300 MB one grew the heap to 1.5 GB
        ByteArrayOutputStream chunks = new ByteArrayOutputStream();
        byte[] kb = "x".repeat(1024).getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 2048; i++) { // 2 MB in 1 KB chunks
            chunks.write("400\r\n".getBytes(StandardCharsets.ISO_8859_1));
            chunks.write(kb);
            chunks.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        long t0 = System.nanoTime();
        String[] r = raw(post("/api/generate", "application/json") + "Transfer-Encoding: chunked\r\n\r\n", chunks.toByteArray(), 5000);
        assertTrue(r[0].contains(" 413 "), r[0]);
        assertTrue(r[1].contains("too large"), r[1]);
        assertTrue((System.nanoTime() - t0) / 1e9 < 3, "answered at once");
    }

    @Test
    void aHugeDeclaredLengthIsRefusedAtOnceAndAShortBodyTimesOut() throws Exception {
        // before: Content-Length 5000000000 hung 30 s and answered 400 with Jetty's TimeoutException text
        long t0 = System.nanoTime();
        String[] r = raw(post("/api/generate", "application/json") + "Content-Length: 5000000000\r\n\r\n", null, 5000);
        assertTrue(r[0].contains(" 413 "), r[0]);
        assertTrue((System.nanoTime() - t0) / 1e9 < 1, "answered without waiting for the body");
        t0 = System.nanoTime();
        r = raw(post("/api/generate", "application/json") + "Content-Length: 100\r\n\r\n{\"prompt\":", null, 10_000);
        double s = (System.nanoTime() - t0) / 1e9;
        assertTrue(r[0].contains(" 408 "), r[0]);
        assertFalse(r[1].contains("Exception"), r[1]);
        assertTrue(s < READ_TIMEOUT_MS / 1000.0 + 2, "within the read deadline, took " + s + " s");
    }

    @Test
    void slowBodiesHoldAtMostTheReaderLimitAndHealthIsAnswered() throws Exception {
        // before: 260 connections sending a byte now and then held all 250 Jetty threads and /health timed out
        int attackers = 5 * READERS;
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < attackers; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                s.setSoTimeout(READ_TIMEOUT_MS > 0 ? 200 : 0);
                s.getOutputStream().write((post("/api/generate", "application/json") + "Content-Length: 1000\r\n\r\n{").getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                slow.add(s);
            }
            long t0 = System.nanoTime();
            HttpResponse<String> health = send(HttpRequest.newBuilder(uri("/health")).timeout(java.time.Duration.ofSeconds(2)));
            assertEquals(200, health.statusCode());
            assertTrue((System.nanoTime() - t0) / 1e9 < 1, "health answered under attack");
            // all but READERS of the slow requests were refused without their bodies being read
            Thread.sleep(300);
            int refused = 0;
            for (Socket s : slow) {
                try {
                    byte[] b = new byte[512];
                    int r = s.getInputStream().read(b);
                    if (r > 0 && new String(b, 0, r, StandardCharsets.ISO_8859_1).contains(" 503 ")) {
                        refused++;
                    }
                } catch (SocketTimeoutException e) {
                    // still being read: one of the READERS
                }
            }
            assertEquals(attackers - READERS, refused);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
        // the readers are freed by the deadline: ordinary requests go through again
        long until = System.nanoTime() + (READ_TIMEOUT_MS + 3000) * 1_000_000L;
        int status = 0;
        while (System.nanoTime() < until && status != 200) {
            status = send(HttpRequest.newBuilder(uri("/api/generate")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"bag\"}"))).statusCode();
            Thread.sleep(100);
        }
        assertEquals(200, status);
    }

    @Test
    void onlyJsonIsAcceptedAndWrongMethodsGet405() throws Exception {
        // before: text/plain POSTs (which any web page can send cross-site) triggered generation
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/api/generate")).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"bag\"}")));
        assertEquals(415, r.statusCode(), r.body());
        assertTrue(r.body().contains("application/json"));
        r = send(HttpRequest.newBuilder(uri("/api/generate")).GET());
        assertEquals(405, r.statusCode(), r.body());
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        r = send(HttpRequest.newBuilder(uri("/health")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(405, r.statusCode(), r.body());
        assertEquals("GET", r.headers().firstValue("Allow").orElse(""));
    }

    @Test
    void trailingGarbageIsRefusedAndJacksonsWordingDoesNotLeak() throws Exception {
        for (String body : new String[] {"{\"prompt\":\"bag\"} trailing", "{\"prompt\":\"bag\"}{}", "{\"prompt\": x}"}) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/api/generate")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
            assertEquals(400, r.statusCode(), body + " → " + r.body());
            String err = ModelStore.JSON.readTree(r.body()).get("error").asText();
            assertTrue(err.startsWith("malformed JSON at line 1"), err);
            assertFalse(err.contains("Unexpected") || err.contains("token") || err.contains("Source"), err);
        }
    }

    @Test
    void jettysOwnErrorsAreOneLineJson() throws Exception {
        // before: 400/414/431 from Jetty's parser came back as HTML pages
        String[] r = raw("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n", null, 5000);
        assertTrue(r[0].contains(" 431 "), r[0]);
        assertTrue(r[2].toLowerCase().contains("content-type: application/json"), r[2]);
        JsonNode j = ModelStore.JSON.readTree(r[1].substring(r[1].indexOf('{')));
        assertNotNull(j.get("error"));
        r = raw("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n", null, 5000);
        assertTrue(r[0].contains(" 414 "), r[0]);
        assertTrue(r[1].contains("\"error\""), r[1]);
        r = raw("BOGUS\r\n\r\n", null, 5000);
        assertTrue(r[0].contains(" 400 "), r[0]);
        assertTrue(r[1].contains("\"error\""), r[1]);
    }

    @Test
    void requestsBeyondTheCostBudgetGet429() throws Exception {
        // cost = steps × 2 (guidance) × images: 50 × 2 × 8 = 800 > the budget of 400, even with nothing queued
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/api/generate")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"bag\",\"model\":\"teacher-tiny\",\"steps\":50,\"cfg\":3,\"n\":8}")));
        assertEquals(429, r.statusCode(), r.body());
        assertTrue(r.body().contains("budget"), r.body());
        r = send(HttpRequest.newBuilder(uri("/api/generate")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"bag\",\"model\":\"teacher-tiny\",\"steps\":50,\"cfg\":3,\"n\":2}")));
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void theServerListensOnLoopbackByDefault() {
        assertEquals("127.0.0.1", ServerLimits.defaults().host());
        assertEquals("127.0.0.1", server.host());
    }

    @Test
    void brokenAndHiddenModelFoldersDoNotStopTheServer() throws Exception {
        // before: a leftover .X.tmp folder with truncated weights made serve exit 4, and a hidden folder was served
        Path models = ServeFixtures.models(dir.resolve("mixed"));
        Path hidden = models.resolve(".student-tiny.tmp123");
        Files.createDirectories(hidden);
        for (String f : new String[] {ModelStore.CONFIG, ModelStore.WEIGHTS}) {
            Files.copy(models.resolve("student-tiny").resolve(f), hidden.resolve(f));
        }
        Path broken = models.resolve("broken");
        Files.createDirectories(broken);
        Files.copy(models.resolve("student-tiny").resolve(ModelStore.CONFIG), broken.resolve(ModelStore.CONFIG));
        byte[] w = Files.readAllBytes(models.resolve("student-tiny").resolve(ModelStore.WEIGHTS));
        java.nio.ByteBuffer.wrap(w).putFloat(w.length - 4, Float.NaN); // NaN weights passed silently before
        Files.write(broken.resolve(ModelStore.WEIGHTS), w);
        try (GenerationServer s = new GenerationServer(models, ServerLimits.defaults()).start(0)) {
            JsonNode list = ModelStore.JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/api/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            List<String> names = new ArrayList<>();
            list.forEach(m -> names.add(m.get("name").asText() + ":" + m.get("available").asBoolean()));
            assertEquals(List.of("student-tiny:true", "teacher-tiny:true", "broken:false"), names);
            assertTrue(list.get(2).get("error").asText().contains("non-finite"), list.get(2).toString());
        }
    }

    @Test
    void aClientThatHangsUpHasItsQueuedRequestDropped() throws Exception {
        // before: clients that hung up after 1 s still had their queued work done (22 jobs ran for nobody)
        try (GenerationServer s = new GenerationServer(ServeFixtures.models(dir.resolve("hangup")), ServerLimits.defaults()).start(0)) {
            URI generate = URI.create("http://127.0.0.1:" + s.port() + "/api/generate");
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> heavy = new ArrayList<>();
            for (int i = 0; i < 3; i++) { // one worker, busy with these for a while
                heavy.add(HTTP.sendAsync(HttpRequest.newBuilder(generate).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"bag\",\"model\":\"teacher-tiny\",\"steps\":40,\"cfg\":3,\"n\":8,\"seed\":" + i + "}")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            Thread.sleep(50);
            String body = "{\"prompt\":\"coat\",\"model\":\"teacher-tiny\",\"steps\":50,\"cfg\":3,\"n\":8,\"seed\":99}";
            try (Socket c = new Socket("127.0.0.1", s.port())) {
                c.getOutputStream().write((post("/api/generate", "application/json") + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.ISO_8859_1));
                c.getOutputStream().flush();
                Thread.sleep(20);
            } // hangs up while its request waits behind the heavy ones
            for (var f : heavy) {
                assertEquals(200, f.get().statusCode());
            }
            URI health = URI.create("http://127.0.0.1:" + s.port() + "/health");
            long until = System.nanoTime() + 5_000_000_000L;
            JsonNode h;
            do {
                Thread.sleep(50);
                h = ModelStore.JSON.readTree(HTTP.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).body());
            } while (h.get("dropped").asInt() < 1 && System.nanoTime() < until);
            assertEquals(1, h.get("dropped").asInt(), h.toString());
            assertEquals(0, h.get("waiting").asInt(), h.toString());
        }
    }

    @Test
    void everyRequestIsLoggedInOneLine() throws Exception {
        // before: slf4j-nop, the server logged nothing
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            send(HttpRequest.newBuilder(uri("/api/models")));
            send(HttpRequest.newBuilder(uri("/api/generate")).header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("x")));
            Thread.sleep(200);
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.lines().anyMatch(l -> l.contains("GET /api/models 200") && l.contains(" ms")), log);
        assertTrue(log.lines().anyMatch(l -> l.contains("POST /api/generate 415")), log);
    }
}
