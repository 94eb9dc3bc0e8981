package org.imagineflash.serve;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web page in a real headless browser (Debian's chromium + chromium-driver, installed by .ci/run): typing "snea"
 * shows sneaker images, and switching the model updates the timing line.
 */
class WebPageBrowserTest {
    @TempDir
    static Path dir;
    static GenerationServer server;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        server = new GenerationServer(ServeFixtures.withTextModels(dir), ServerLimits.defaults()).start(0);
        browser = ServeFixtures.chromium();
    }

    @AfterAll
    static void stop() {
        ServeFixtures.stop(browser, server);
    }

    @Test
    void typingShowsSneakersAndChangingTheModelUpdatesTheTiming() {
        browser.get("http://127.0.0.1:" + server.port() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        wait.until(d -> d.findElements(By.cssSelector("#model option")).size() == 4);
        browser.findElement(By.id("prompt")).sendKeys("snea");
        wait.until(d -> !d.findElements(By.cssSelector("#panel1 img[data-class-name='sneaker']")).isEmpty());
        WebElement timing = browser.findElement(By.cssSelector("#panel1 .timing"));
        String before = timing.getText();
        assertTrue(before.contains("NFE 2") && before.contains("student"), before);
        assertEquals("sneaker", browser.findElement(By.cssSelector("#panel1 img")).getAttribute("data-class-name"));

        new Select(browser.findElement(By.id("model"))).selectByValue("teacher-tiny");
        wait.until(d -> d.findElement(By.cssSelector("#panel1 .timing")).getText().contains("teacher"));
        String after = browser.findElement(By.cssSelector("#panel1 .timing")).getText();
        assertTrue(after.contains("NFE 50"), after);
        assertTrue(!after.equals(before));
    }

    @Test
    void typingASentenceLetterByLetterRedrawsItAsItGrows() throws Exception {
        browser.get("http://127.0.0.1:" + server.port() + "/?model=text-student");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        wait.until(d -> d.findElements(By.cssSelector("#model option")).size() == 4);
        assertEquals("text-student", new Select(browser.findElement(By.id("model"))).getFirstSelectedOption().getAttribute("value"));
        WebElement prompt = browser.findElement(By.id("prompt"));
        // letter by letter; after each stage the page must settle on the longest whole caption typed so far
        String[][] stages = {{"a red sne", null}, {"aker", "a red sneaker"}, {" left of a bl", "a red sneaker"},
                {"ue bag", "a red sneaker left of a blue bag"}};
        java.util.List<String> pictures = new java.util.ArrayList<>();
        for (String[] stage : stages) {
            for (char ch : stage[0].toCharArray()) {
                prompt.sendKeys(String.valueOf(ch));
            }
            if (stage[1] == null) {
                // no whole caption yet: the page says so and draws nothing
                wait.until(d -> d.findElement(By.id("status")).getText().contains("not a whole caption yet"));
                continue;
            }
            String expected = stage[1] + " — text-student";
            wait.until(d -> d.findElement(By.cssSelector("#panel1 .title")).getText().equals(expected)
                    && d.findElement(By.id("status")).getText().isEmpty());
            pictures.add(String.valueOf(((org.openqa.selenium.JavascriptExecutor) browser)
                    .executeScript("return document.querySelector('#panel1 img').src;")));
        }
        assertEquals(pictures.get(0), pictures.get(1), "a half-typed relation keeps drawing the caption before it");
        assertTrue(!pictures.get(1).equals(pictures.get(2)), "the whole sentence draws another picture");
        assertTrue(browser.findElement(By.cssSelector("#panel1 .timing")).getText().contains("NFE 2"));
    }
}
