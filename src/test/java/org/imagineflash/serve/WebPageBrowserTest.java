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
        server = new GenerationServer(ServeFixtures.models(dir), ServerLimits.defaults()).start(0);
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
        wait.until(d -> d.findElements(By.cssSelector("#model option")).size() == 2);
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
}
