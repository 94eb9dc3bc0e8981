package org.imagineflash.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.imagineflash.Generator;
import org.imagineflash.kernel.Conv2dBlock;
import org.imagineflash.kernel.ConvKernel;
import org.imagineflash.model.ModelStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs in the vectorised execution (pom.xml: oneDNN up to AVX-512, kernels checked per shape). The fixture's
 * architecture has a 3×3 convolution with 24 input channels (16 + 8 at the skip), a shape whose AVX-512 kernel was
 * wrong on the project's VM: the server must still answer with the im2col kernel's images, through the check's
 * choice where the library kernel is wrong, or directly where it is right.
 */
class VectorisedServingTest {
    @TempDir
    static Path dir;

    @Test
    void servedImagesMatchTheIm2colKernelForEveryArchitecture() throws Exception {
        assumeTrue(Conv2dBlock.isChecked(), "runs in the vectorised execution");
        Path models = ServeFixtures.models(dir);
        int n = 4;
        byte[] served = new byte[n * 28 * 28];
        try (GenerationServer server = new GenerationServer(models, ServerLimits.defaults()).start(0)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.port() + "/api/generate"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"bag\",\"model\":\"student-tiny\",\"n\":4,\"seed\":3}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode images = ModelStore.JSON.readTree(r.body()).get("images");
            for (int i = 0; i < n; i++) {
                byte[] png = Base64.getDecoder().decode(images.get(i).asText().replace("data:image/png;base64,", ""));
                byte[] px = (byte[]) ImageIO.read(new ByteArrayInputStream(png)).getRaster().getDataElements(0, 0, 28, 28, null);
                System.arraycopy(px, 0, served, i * px.length, px.length);
            }
        }
        try (Generator g = Generator.load(models.resolve("student-tiny"))) {
            byte[] ref = Conv2dBlock.withKernel(ConvKernel.GEMM, () -> g.generate(new int[] {8, 8, 8, 8}, 3, g.defaults())).pixels();
            int worst = 0;
            for (int i = 0; i < ref.length; i++) {
                worst = Math.max(worst, Math.abs((served[i] & 255) - (ref[i] & 255)));
            }
            assertTrue(worst <= 1, "largest pixel difference " + worst + " grey levels");
        }
    }
}
