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
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A server with class models and a tiny text-to-image teacher and student: sentences, prefixes and completions. */
class TextServingTest {
    @TempDir
    static Path dir;
    static GenerationServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path models = ServeFixtures.withTextModels(dir);
        server = new GenerationServer(models, ServerLimits.defaults()).start(0);
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

    static JsonNode get(String path) throws Exception {
        return ModelStore.JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    static BufferedImage image(JsonNode j, int i) throws Exception {
        byte[] png = Base64.getDecoder().decode(j.get("images").get(i).asText().replace("data:image/png;base64,", ""));
        return ImageIO.read(new ByteArrayInputStream(png));
    }

    @Test
    void textModelsAreServedBesideTheClassModels() throws Exception {
        JsonNode models = get("/api/models");
        int text = 0;
        for (JsonNode m : models) {
            assertTrue(m.get("available").asBoolean(), m.toString());
            text += m.get("text").asBoolean() ? 1 : 0;
        }
        assertEquals(2, text);
        assertEquals("student-tiny", server.defaultModel(), "the class student stays the default");
    }

    @Test
    void aSentenceBeingTypedDrawsItsLongestWholeCaption() throws Exception {
        HttpResponse<String> r = post("{\"prompt\":\"A red sneaker left of a bl\",\"model\":\"text-student\",\"seed\":3,\"n\":2}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = ModelStore.JSON.readTree(r.body());
        assertEquals("a red sneaker", j.get("prompt").asText());
        assertTrue(j.get("class").isNull());
        BufferedImage img = image(j, 0);
        assertEquals(48, img.getWidth());
        assertEquals(BufferedImage.TYPE_3BYTE_BGR == img.getType() || BufferedImage.TYPE_INT_RGB == img.getType()
                || img.getColorModel().getNumColorComponents() == 3, true, "an RGB image");
        // the same request again gives the same pixels; the full sentence gives another picture
        JsonNode again = ModelStore.JSON.readTree(post("{\"prompt\":\"a red sneaker\",\"model\":\"text-student\",\"seed\":3,\"n\":2}").body());
        assertArrayEquals(pixels(img), pixels(image(again, 0)));
        JsonNode full = ModelStore.JSON.readTree(post("{\"prompt\":\"a red sneaker left of a blue bag\",\"model\":\"text-student\",\"seed\":3}").body());
        assertEquals("a red sneaker left of a blue bag", full.get("prompt").asText());
        assertFalse(java.util.Arrays.equals(pixels(img), pixels(image(full, 0))));
    }

    @Test
    void noWholeCaptionYetOrAnUnknownWordIsA400() throws Exception {
        HttpResponse<String> r = post("{\"prompt\":\"a red sne\",\"model\":\"text-teacher\"}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("not a whole caption yet"), r.body());
        HttpResponse<String> unknown = post("{\"prompt\":\"a rde sneaker\",\"model\":\"text-student\"}");
        assertEquals(400, unknown.statusCode());
        assertTrue(unknown.body().contains("unknown word 'rde'") && unknown.body().contains("red"), unknown.body());
        HttpResponse<String> sentenceToClassModel = post("{\"prompt\":\"a red sneaker\",\"model\":\"student-tiny\"}");
        assertEquals(400, sentenceToClassModel.statusCode());
        assertTrue(sentenceToClassModel.body().contains("class-conditional"), sentenceToClassModel.body());
    }

    @Test
    void completionsFollowTheGrammarOfTheChosenModel() throws Exception {
        JsonNode c = get("/api/prompts?model=text-student&prefix=a%20red%20sn");
        assertTrue(c.toString().contains("\"a red sneaker\""), c.toString());
        JsonNode next = get("/api/prompts?model=text-student&prefix=a%20red%20sneaker%20");
        for (JsonNode s : next) {
            String w = s.asText().substring("a red sneaker ".length());
            assertTrue(w.equals("left") || w.equals("right") || w.equals("above") || w.equals("below") || w.equals("and")
                    || w.equals("to"), s.asText());
        }
        assertTrue(next.size() >= 5);
        assertTrue(get("/api/prompts?prefix=snea").toString().contains("sneaker"), "the class student completes class names");
    }

    private static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    @Test
    void aServerOfTextModelsAloneWarmsUpOnSentences() throws Exception {
        Path only = dir.resolve("text-only");
        java.nio.file.Files.createDirectories(only.resolve("text-student"));
        try (var files = java.nio.file.Files.list(dir.resolve("models").resolve("text-student"))) {
            for (Path f : files.toList()) {
                java.nio.file.Files.copy(f, only.resolve("text-student").resolve(f.getFileName()));
            }
        }
        GenerationServer textOnly = new GenerationServer(only, ServerLimits.defaults()).start(0);
        try {
            assertEquals(12, textOnly.warmUp(12), "every warm-up request is a sentence the text model draws");
        } finally {
            textOnly.close();
        }
        assertEquals(12, server.warmUp(12), "a class model as the default: class names");
    }
}
