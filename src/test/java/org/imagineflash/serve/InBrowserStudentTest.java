package org.imagineflash.serve;

import org.imagineflash.Generator;
import org.imagineflash.data.Prompts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped 3-step student run by the page itself ("run in this browser": ONNX Runtime Web in WebAssembly, the
 * student's plan and graph from the server) in Chromium: typing a class draws, for each seed, the image the server's
 * DJL engine draws for it, within a few grey levels; the page's noise is the server's ({@code Seeds}) bit for bit.
 */
class InBrowserStudentTest {
    static final String MODEL = "if-3step";
    /** Largest |browser − server| grey level allowed: float32 rounding in two engines, never a different image. */
    static final int GREY_LEVELS = 3;
    @TempDir
    static Path dir;
    static GenerationServer server;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        server = new GenerationServer(ServeFixtures.shipped(dir, MODEL), ServerLimits.defaults()).start(0);
        browser = ServeFixtures.chromium();
    }

    @AfterAll
    static void stop() {
        ServeFixtures.stop(browser, server);
    }

    @Test
    void theBrowserDrawsTheServersImagesForTheSameSeeds() throws Exception {
        browser.get("http://127.0.0.1:" + server.port() + "/?model=" + MODEL);
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        wait.until(d -> !d.findElements(By.cssSelector("#model option")).isEmpty());
        browser.findElement(By.id("inbrowser")).click();
        WebElement prompt = browser.findElement(By.id("prompt"));
        for (char ch : "sneaker".toCharArray()) {
            prompt.sendKeys(String.valueOf(ch));
            Thread.sleep(40);
        }
        wait.until(d -> "browser".equals(d.findElement(By.id("panel1")).getAttribute("data-engine"))
                && d.findElement(By.cssSelector("#panel1 .title")).getText().startsWith("sneaker —"));
        @SuppressWarnings("unchecked")
        List<Object> srcs = (List<Object>) ((JavascriptExecutor) browser).executeScript(
                "return Array.from(document.querySelectorAll('#panel1 img')).map(i => i.src);");
        assertEquals(4, srcs.size(), "the page's default: 4 images");
        int k = Prompts.classOf("sneaker");
        try (Generator g = Generator.load(Path.of("models", MODEL))) {
            Generator.Images server = g.generate(new int[] {k, k, k, k}, 0, g.defaults());
            int worst = 0;
            long differing = 0;
            for (int i = 0; i < 4; i++) {
                BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(
                        String.valueOf(srcs.get(i)).replace("data:image/png;base64,", ""))));
                for (int p = 0; p < 28 * 28; p++) {
                    int here = img.getRGB(p % 28, p / 28) & 0xff;
                    int there = server.pixels()[i * 28 * 28 + p] & 0xff;
                    worst = Math.max(worst, Math.abs(here - there));
                    differing += here != there ? 1 : 0;
                }
            }
            System.out.printf("in-browser %s vs the server's DJL images, 4 seeds: max |Δ| %d grey levels, %d of %d pixels differ%n",
                    MODEL, worst, differing, 4 * 28 * 28);
            assertTrue(worst <= GREY_LEVELS, "browser and server images differ by " + worst + " grey levels");
        }
        // the in-page speed at batch 1 after a warm-up, for the README's speed table (printed, not asserted)
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(120));
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) ((JavascriptExecutor) browser).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "(async () => { const ms = [], ms4 = [];"
                        + "for (let i = 0; i < 21; i++) ms.push((await InBrowser.generate('" + MODEL + "', 'bag', i, 1)).msPerImage);"
                        + "for (let i = 0; i < 11; i++) ms4.push((await InBrowser.generate('" + MODEL + "', 'bag', i, 4)).msPerImage);"
                        + "ms.sort((a, b) => a - b); ms4.sort((a, b) => a - b);"
                        + "return { median: ms[10], min: ms[0], median4: ms4[5], threads: ort.env.wasm.numThreads }; })()"
                        + ".then(done, (e) => done({ error: String(e) }));");
        assertTrue(!r.containsKey("error"), String.valueOf(r.get("error")));
        System.out.printf("in-browser %s at batch 1: median %.1f ms/image, best %.1f (21 images); at batch 4 (the page's default): "
                        + "median %.1f ms/image (11 batches); headless Chromium, WebAssembly, %s threads%n", MODEL,
                ((Number) r.get("median")).doubleValue(), ((Number) r.get("min")).doubleValue(), ((Number) r.get("median4")).doubleValue(),
                r.get("threads"));
    }

    @Test
    void thePagesNoiseIsTheServersNoise() {
        browser.get("http://127.0.0.1:" + server.port() + "/?model=" + MODEL);
        @SuppressWarnings("unchecked")
        List<Object> js = (List<Object>) ((JavascriptExecutor) browser).executeScript(
                "return Array.from(InBrowser.noise([7, -3], 784)).filter((v, i) => i % 97 === 0);");
        float[] java = new float[2 * 784];
        System.arraycopy(org.imagineflash.random.Seeds.gaussian(org.imagineflash.random.Seeds.stream(7, 0, 11), 784), 0, java, 0, 784);
        System.arraycopy(org.imagineflash.random.Seeds.gaussian(org.imagineflash.random.Seeds.stream(-3, 0, 11), 784), 0, java, 784, 784);
        for (int i = 0, j = 0; i < java.length; i += 97, j++) {
            assertEquals(java[i], ((Number) js.get(j)).floatValue(), 0f, "noise value " + i);
        }
    }
}
