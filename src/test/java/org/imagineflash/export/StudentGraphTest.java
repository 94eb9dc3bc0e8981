package org.imagineflash.export;

import org.imagineflash.Generator;
import org.imagineflash.latent.Autoencoder;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelStore;
import org.imagineflash.sampling.SamplerFamily;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A student deployed as its whole generation graph ({@code export --deploy}) draws its images without the DJL engine. */
class StudentGraphTest {
    /** A copy of a shipped student with its generation graph beside its weights. */
    static Path deployed(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : List.of(ModelStore.CONFIG, ModelStore.WEIGHTS, ModelStore.PROVENANCE)) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
        try (DiffusionModel m = ModelStore.load(to);
             Autoencoder ae = m.config().autoencoder() == null ? null : Autoencoder.forModel(m.config(), from)) {
            OrtStudent.deploy(to, m, ae, to.resolve(OrtStudent.FILE), Map.of());
        }
        return to;
    }

    static int maxDifference(byte[] a, byte[] b) {
        assertEquals(a.length, b.length);
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
        }
        return max;
    }

    @Test
    void aDeployedStudentDrawsTheDjlImagesWithoutTheDjlModel(@TempDir Path tmp) throws Exception {
        Path dir = deployed(Path.of("models/if-3step"), tmp.resolve("if-3step"));
        int[] labels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        try (Generator djl = Generator.load(Path.of("models/if-3step"));
             Generator graph = Generator.load(dir, Generator.Engine.ORT)) {
            assertFalse(graph.usesDjl());
            assertEquals(Generator.Engine.ORT, graph.engine());
            Generator.Images a = djl.generate(labels, 7, djl.defaults());
            Generator.Images b = graph.generate(labels, 7, graph.defaults());
            assertTrue(maxDifference(a.pixels(), b.pixels()) <= 1, "graph vs DJL: " + maxDifference(a.pixels(), b.pixels()) + " grey levels");
            assertEquals(3, b.nfe());
            // a batch is its images one by one (per-image seeds), as on DJL
            assertEquals(0, maxDifference(java.util.Arrays.copyOfRange(b.pixels(), 7 * 784, 8 * 784),
                    graph.generate(new int[] {7}, new long[] {14}, graph.defaults()).pixels()));
            // the graph runs its own steps only
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> graph.generate(labels, 7, new Generator.Options(SamplerFamily.STUDENT, 2, 1.0, null)));
            assertTrue(e.getMessage().contains("--engine djl"), e.getMessage());
        }
    }

    @Test
    void aDeployedSceneStudentDrawsTheDjlScenes(@TempDir Path tmp) throws Exception {
        Path dir = deployed(Path.of("models/if-scenes-3step"), tmp.resolve("if-scenes-3step"));
        // the config names its autoencoder relative to the working directory, as shipped
        List<String> prompts = List.of("a red sneaker left of a blue bag", "a green dress");
        long[] seeds = {3, 4};
        try (Generator djl = Generator.load(Path.of("models/if-scenes-3step"));
             Generator graph = Generator.load(dir, Generator.Engine.ORT)) {
            assertFalse(graph.usesDjl());
            var a = djl.generateScenes(prompts, seeds, djl.defaults()).images();
            var b = graph.generateScenes(prompts, seeds, graph.defaults()).images();
            for (int i = 0; i < prompts.size(); i++) {
                assertTrue(maxDifference(a.get(i), b.get(i)) <= 1, prompts.get(i) + ": " + maxDifference(a.get(i), b.get(i)) + " grey levels");
            }
            assertThrows(IllegalArgumentException.class, () -> graph.generateScenes(List.of("a red snickers"), new long[] {1}, graph.defaults()));
        }
    }

    @Test
    void aGraphOfOtherWeightsIsRefusedWithWhatToRun(@TempDir Path tmp) throws Exception {
        Path dir = deployed(Path.of("models/if-3step"), tmp.resolve("if-3step"));
        Files.copy(Path.of("models/if-2step").resolve(ModelStore.WEIGHTS), dir.resolve(ModelStore.WEIGHTS),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        IOException e = assertThrows(IOException.class, () -> Generator.load(dir, Generator.Engine.ORT));
        assertTrue(e.getMessage().contains("other weights") && e.getMessage().contains("export"), e.getMessage());
        Files.write(dir.resolve(OrtStudent.FILE), "not a graph".getBytes(StandardCharsets.UTF_8));
        e = assertThrows(IOException.class, () -> Generator.load(dir, Generator.Engine.ORT));
        assertTrue(e.getMessage().contains(OrtStudent.FILE), e.getMessage());
    }

    @Test
    void aGraphWhoseDecoderWasReplacedSinceIsRefused(@TempDir Path tmp) throws Exception {
        Path ae = tmp.resolve("autoencoder");
        Files.createDirectories(ae);
        for (String f : List.of(Autoencoder.CONFIG, ModelStore.WEIGHTS)) {
            Files.copy(Path.of("models/autoencoder-scenes").resolve(f), ae.resolve(f));
        }
        Path student = tmp.resolve("student");
        Files.createDirectories(student);
        for (String f : List.of(ModelStore.WEIGHTS, ModelStore.PROVENANCE)) {
            Files.copy(Path.of("models/if-scenes-1step").resolve(f), student.resolve(f));
        }
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) ModelStore.JSON.readTree(Path.of("models/if-scenes-1step").resolve(ModelStore.CONFIG).toFile());
        config.put("autoencoder", ae.toString());
        ModelStore.JSON.writeValue(student.resolve(ModelStore.CONFIG).toFile(), config);
        Path dir = deployed(student, tmp.resolve("deployed"));
        try (Generator g = Generator.load(dir, Generator.Engine.ORT)) {
            assertFalse(g.usesDjl());
        }
        byte[] w = Files.readAllBytes(ae.resolve(ModelStore.WEIGHTS));
        w[w.length - 1] ^= 1; // the decoder's last weight: a fine-tuned decoder
        Files.write(ae.resolve(ModelStore.WEIGHTS), w);
        IOException e = assertThrows(IOException.class, () -> Generator.load(dir, Generator.Engine.ORT));
        assertTrue(e.getMessage().contains("another decoder") && e.getMessage().contains("--deploy"), e.getMessage());
    }

    /** What {@link NoTorchProbe} prints for a model on an engine, in a JVM of its own. */
    static String probe(Path dir, String engine) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                NoTorchProbe.class.getName(), dir.toString(), engine).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe did not finish");
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("torch=")).findFirst().orElseThrow(() -> new AssertionError(out));
    }

    @Test
    void aDeployedStudentDoesNotLoadLibtorch(@TempDir Path tmp) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "needs Linux's /proc");
        Path dir = deployed(Path.of("models/if-3step"), tmp.resolve("if-3step"));
        String graph = probe(dir, "ort");
        String djl = probe(dir, "djl"); // the control: the same model on DJL maps libtorch
        assertTrue(graph.startsWith("torch=false"), graph);
        assertTrue(djl.startsWith("torch=true"), djl);
        int a = Integer.parseInt(graph.substring(graph.indexOf("pixel=") + 6).trim());
        int b = Integer.parseInt(djl.substring(djl.indexOf("pixel=") + 6).trim());
        assertTrue(Math.abs(a - b) <= 1, "first pixel: graph " + a + ", DJL " + b);
    }
}
