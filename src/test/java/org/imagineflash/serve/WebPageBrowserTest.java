package org.imagineflash.serve;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
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
        ChromeOptions o = new ChromeOptions();
        o.setBinary(new File("/usr/bin/chromium"));
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage");
        ChromeDriverService svc = new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(svc, o);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
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
        java.util.List<String> titles = new java.util.ArrayList<>();
        java.util.Set<String> images = new java.util.LinkedHashSet<>();
        for (char ch : "a red sneaker left of a blue bag".toCharArray()) {
            prompt.sendKeys(String.valueOf(ch));
            Thread.sleep(60); // a typist's pace: some keystrokes fall inside the page's debounce window, some do not
            // read in one script: the page replaces its images while the answers arrive
            @SuppressWarnings("unchecked")
            java.util.List<Object> seen = (java.util.List<Object>) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
                    "return [document.querySelector('#panel1 .title').textContent]"
                            + ".concat(Array.from(document.querySelectorAll('#panel1 img')).map(i => i.src));");
            String t = String.valueOf(seen.get(0));
            if (!t.isEmpty() && (titles.isEmpty() || !titles.get(titles.size() - 1).equals(t))) {
                titles.add(t);
            }
            seen.subList(1, seen.size()).forEach(src -> images.add(String.valueOf(src)));
        }
        wait.until(d -> d.findElement(By.cssSelector("#panel1 .title")).getText().startsWith("a red sneaker left of a blue bag"));
        titles.add(browser.findElement(By.cssSelector("#panel1 .title")).getText());
        images.add(browser.findElement(By.cssSelector("#panel1 img")).getAttribute("src"));
        assertTrue(titles.stream().anyMatch(t -> t.startsWith("a red sneaker —")), "drew the first whole caption while typing: " + titles);
        assertTrue(images.size() >= 2, "the picture changed as the sentence grew");
        assertTrue(browser.findElement(By.cssSelector("#panel1 .timing")).getText().contains("NFE 2"));
    }
}
