package org.imagineflash.serve;

import org.imagineflash.latent.Autoencoder;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.Provenance;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.model.TinyModels;
import org.imagineflash.model.UNetConfig;
import org.imagineflash.schedule.ScheduleConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A models/ folder with a small random 28×28, 10-class teacher and a 2-step "student" of it (fast to run). */
final class ServeFixtures {
    private ServeFixtures() {
    }

    static Path models(Path dir) throws IOException {
        UNetConfig u = UNetConfig.builder(28, 10).baseChannels(8).channelMults(1, 2)
                .numResBlocks(1).attentionResolutions().groups(4).heads(2).build();
        ModelConfig teacher = ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS);
        ModelConfig student = teacher.student(new StudentConfig("imagine-flash", new int[] {999, 499}, true, StudentConfig.Sampling.CLIPPED),
                Parameterization.EPS);
        Provenance p = Provenance.of("test", "fixture", 0, "none", 0, 0, Map.of());
        try (DiffusionModel t = DiffusionModel.create(teacher, 1); DiffusionModel s = t.copy(student)) {
            ModelStore.save(t, dir.resolve("teacher-tiny"), p);
            ModelStore.save(s, dir.resolve("student-tiny"), p);
        }
        return dir;
    }

    /**
     * {@link #models} plus a tiny random text-to-image teacher ("text-teacher") and a 2-step student of it
     * ("text-student") on the latents of a tiny random autoencoder (kept in {@code dir}/ae).
     */
    static Path withTextModels(Path dir) throws IOException {
        Path models = models(dir.resolve("models"));
        UNetConfig u = TinyModels.sceneUnet();
        Path ae = dir.resolve("ae");
        try (Autoencoder a = Autoencoder.create(Autoencoder.Config.scenes(new int[] {8, 8, 16}, 4), 1)) {
            a.save(ae, Map.of());
        }
        ModelConfig teacher = ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS).onLatents(ae.toString(), ModelStore.sha256(ae.resolve(ModelStore.WEIGHTS)));
        ModelConfig student = teacher.student(new StudentConfig("imagine-flash", new int[] {999, 499}, true, StudentConfig.Sampling.CLIPPED),
                Parameterization.EPS);
        Provenance p = Provenance.of("test", "fixture", 3, "none", 0, 0, Map.of());
        try (DiffusionModel t = DiffusionModel.create(teacher, 3); DiffusionModel s = t.copy(student)) {
            ModelStore.save(t, models.resolve("text-teacher"), p);
            ModelStore.save(s, models.resolve("text-student"), p);
        }
        return models;
    }

    /** A models/ folder under {@code dir} holding copies of these shipped models (from the repository's models/). */
    static Path shipped(Path dir, String... names) throws IOException {
        Path models = dir.resolve("models");
        for (String name : names) {
            Path copy = models.resolve(name);
            Files.createDirectories(copy);
            try (var files = Files.list(Path.of("models", name))) {
                for (Path f : files.toList()) {
                    Files.copy(f, copy.resolve(f.getFileName()));
                }
            }
        }
        return models;
    }

    /** Headless Debian chromium through its chromedriver (installed by .ci/run), for the browser tests. */
    static org.openqa.selenium.WebDriver chromium() {
        org.openqa.selenium.chrome.ChromeOptions o = new org.openqa.selenium.chrome.ChromeOptions();
        o.setBinary(new java.io.File("/usr/bin/chromium"));
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage");
        return new org.openqa.selenium.chrome.ChromeDriver(new org.openqa.selenium.chrome.ChromeDriverService.Builder()
                .usingDriverExecutable(new java.io.File("/usr/bin/chromedriver")).usingAnyFreePort().build(), o);
    }

    /** Ends a browser test: quits the browser, then stops the server (either may be null if start-up failed). */
    static void stop(org.openqa.selenium.WebDriver browser, GenerationServer server) {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }
}
