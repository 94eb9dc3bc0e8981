package org.imagineflash.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.imagineflash.cli.Main;
import org.imagineflash.data.IdxFile;
import org.imagineflash.eval.DomainClassifier;
import org.imagineflash.eval.Evaluation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batch generation and evaluation on Spark (local[2]) give what sample and eval give on one machine. */
class SparkJobsTest {
    static final Path MODEL = Path.of("models/if-1step");
    static final Path CLASSIFIER = Path.of("models/classifier-fmnist");
    static final int PER_CLASS = 20; // 200 images: four batches of sample's 64, so 3 and 8 partitions split them differently
    static JavaSparkContext sc;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        Executor.configure();
        sc = SparkContexts.create("local[2]", "test");
    }

    @AfterAll
    static void stop() {
        sc.close();
    }

    record Run(int code, String out, String err) {
    }

    static Run core(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Main.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(args);
        return new Run(code, o.toString(), e.toString());
    }

    static Run spark(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = SparkCommand.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(args);
        return new Run(code, o.toString(), e.toString());
    }

    /** The images of a generated set, shard after shard. */
    static byte[] images(Path set) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Shards.Shard s : Shards.readManifest(set)) {
            all.write(IdxFile.read(set.resolve(Shards.images(s.shard()))).data());
        }
        return all.toByteArray();
    }

    @Test
    void generatesTheImagesOfSampleWhateverThePartitioning() throws Exception {
        Path ref = dir.resolve("sample");
        Run r = core("sample", "--model", MODEL.toString(), "--all-classes", "--n", String.valueOf(PER_CLASS), "--seed", "7",
                "--out", dir.resolve("sample.png").toString(), "--idx", ref.toString());
        assertEquals(0, r.code(), r.err());
        byte[] expected = IdxFile.read(Path.of(ref + "-images-idx3-ubyte")).data();
        byte[] labels = IdxFile.read(Path.of(ref + "-labels-idx1-ubyte")).data();
        GenerationPlan plan = GenerationPlan.of(org.imagineflash.data.Prompts.CLASS_NAMES, PER_CLASS, 7);
        for (int p : new int[] {1, 3, 8}) {
            Path out = dir.resolve("p" + p);
            SparkGeneration.Result res = SparkGeneration.run(sc, MODEL, plan, new SparkGeneration.Sampling(null, null, null), p, out);
            assertEquals(10 * PER_CLASS, res.images());
            assertEquals(Math.min(p, plan.batches()), res.shards().size(), "one shard per partition that got a batch");
            assertArrayEquals(expected, images(out), p + " partitions");
            ByteArrayOutputStream lb = new ByteArrayOutputStream();
            for (Shards.Shard s : res.shards()) {
                lb.write(IdxFile.read(out.resolve(Shards.labels(s.shard()))).data());
            }
            assertArrayEquals(labels, lb.toByteArray());
            List<String> manifest = Files.readAllLines(out.resolve(Shards.MANIFEST));
            assertEquals(1 + 10 * PER_CLASS, manifest.size());
            assertEquals("47,pullover,2,54," + manifest.get(48).split(",")[4] + ",images-0000" + manifest.get(48).split(",")[4]
                    + "-idx3-ubyte," + manifest.get(48).split(",")[6], manifest.get(48), "image 47: prompt 2, seed 7 + 47");
        }
        // a second set into the same folder is refused rather than mixed with the first
        assertTrue(spark("generate", "--model", MODEL.toString(), "--prompt", "bag", "--n", "3", "--out", dir.resolve("p1").toString(),
                "--master", "local[1]").err().contains("already holds a generated set"));
    }

    @Test
    void generatesTheScenesOfTheGeneratorWhateverThePartitioningAndScoresThemAsEvalDoes() throws Exception {
        Path sceneModel = Path.of("models/if-scenes-1step");
        // one held-out pair (purple trouser); 150 images, more than the contrastive features' 128 dimensions, in
        // batches of 64, 64 and 22
        List<String> captions = List.of("a red sneaker left of a blue bag", "a green dress", "a purple trouser");
        GenerationPlan plan = GenerationPlan.ofScenes(captions, 50, 5);
        List<byte[]> expected = new java.util.ArrayList<>();
        List<int[]> expectedRgb = new java.util.ArrayList<>();
        try (org.imagineflash.Generator g = org.imagineflash.Generator.load(sceneModel)) {
            org.imagineflash.Generator.Options o = g.defaults();
            for (int s = 0; s < plan.size(); s += GenerationPlan.BATCH) {
                int e = Math.min(plan.size(), s + GenerationPlan.BATCH);
                List<String> prompts = java.util.stream.IntStream.range(s, e).mapToObj(plan::prompt).toList();
                long[] seeds = java.util.stream.IntStream.range(s, e).mapToLong(i -> 5 + i).toArray();
                org.imagineflash.Generator.Scenes sc = g.generateScenes(prompts, seeds, o);
                expected.addAll(sc.images());
                for (int i = 0; i < e - s; i++) {
                    expectedRgb.add(rgb(sc.image(i)));
                }
            }
        }
        for (int p : new int[] {1, 3}) {
            Path out = dir.resolve("scenes-p" + p);
            SparkGeneration.Result res = SparkGeneration.run(sc, sceneModel, plan, new SparkGeneration.Sampling(null, null, null), p, out);
            assertEquals(150, res.images());
            List<String> manifest = Files.readAllLines(out.resolve(Shards.MANIFEST));
            assertEquals(151, manifest.size());
            for (int i = 0; i < 150; i++) {
                String[] f = manifest.get(1 + i).split(",");
                assertEquals(captions.get(i / 50), f[1]);
                assertEquals("", f[2], "a scene has no class");
                assertEquals(String.valueOf(5 + i), f[3]);
                java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(out.resolve(f[5]).toFile());
                assertArrayEquals(expectedRgb.get(i), rgb(png), p + " partitions, image " + i);
                assertArrayEquals(expected.get(i), SparkSceneEvaluation.planes(png), "the PNG reads back as the generated planes");
            }
            try (var files = Files.list(out)) {
                assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary shard left");
            }
        }
        // scored in three shards on the cluster as eval --scene-suite scores the whole set on one machine
        Path cells = Path.of("models/classifier-cells");
        Path contrastive = Path.of("models/contrastive-scenes");
        Map<String, Object> distributed = SparkSceneEvaluation.run(sc, dir.resolve("scenes-p3"), cells, contrastive);
        Map<String, Object> single;
        try (DomainClassifier dc = DomainClassifier.load(cells);
             org.imagineflash.eval.ContrastiveModel cm = org.imagineflash.eval.ContrastiveModel.load(contrastive)) {
            List<org.imagineflash.data.scenes.Caption> parsed = java.util.stream.IntStream.range(0, 150)
                    .mapToObj(i -> org.imagineflash.data.scenes.CaptionParser.parse(plan.prompt(i))).toList();
            single = org.imagineflash.eval.SceneBenchmark.score(new org.imagineflash.eval.SceneEvaluator(dc), cm,
                    new org.imagineflash.eval.SceneBenchmark.Judged(expected, parsed));
        }
        double fd = (Double) single.get("fd");
        assertEquals(fd, (Double) distributed.get("fd"), 1e-6 * fd, "FD");
        // the images are identical (above); the contrastive model scores them in shards of another batch size, and
        // above SSE4.1 oneDNN's float sums depend on the batch (measured 1.7e-8 apart under AVX2 on an AMD EPYC)
        assertEquals((Double) single.get("clipScore"), (Double) distributed.get("clipScore"), 1e-6, "CLIP score");
        assertEquals(single.get("compBench"), distributed.get("compBench"), "CompBench table");
        assertEquals(50, ((Map<?, ?>) ((Map<?, ?>) distributed.get("compBench")).get("heldOut")).get("scenes"));
        Run scored = spark("eval", "--images", dir.resolve("scenes-p1").toString(), "--contrastive", dir.resolve("none").toString());
        assertTrue(scored.code() != 0 && scored.err().strip().lines().count() == 1, scored.err());
        Run unknown = spark("generate", "--model", sceneModel.toString(), "--prompt", "a red giraffe", "--out", dir.resolve("s-x").toString());
        assertTrue(unknown.code() != 0 && unknown.err().contains("giraffe") && unknown.err().strip().lines().count() == 1, unknown.err());
        Run classes = spark("generate", "--model", sceneModel.toString(), "--all-classes", "--out", dir.resolve("s-y").toString());
        assertTrue(classes.code() != 0 && classes.err().contains("text-to-image"), classes.err());
        assertFalse(Files.exists(dir.resolve("s-x")) || Files.exists(dir.resolve("s-y")));
    }

    @Test
    void aSuiteDrawsImageKOfAPromptFromThePromptsSeedPlusK() {
        var suite = new org.imagineflash.data.scenes.PromptSuite(List.of(
                new org.imagineflash.data.scenes.PromptSuite.Entry("a red sneaker", org.imagineflash.data.scenes.CaptionParser.parse("a red sneaker"), 0),
                new org.imagineflash.data.scenes.PromptSuite.Entry("a blue bag", org.imagineflash.data.scenes.CaptionParser.parse("a blue bag"), 1000)));
        GenerationPlan plan = GenerationPlan.ofSuite(suite, 3);
        assertEquals(6, plan.size());
        assertEquals(List.of(0L, 1L, 2L, 1000L, 1001L, 1002L), java.util.stream.IntStream.range(0, 6).mapToObj(plan::seedOf).toList());
        assertEquals("a blue bag", plan.prompt(3));
        GenerationPlan plain = GenerationPlan.ofScenes(List.of("a red sneaker", "a blue bag"), 3, 7);
        assertEquals(10L, plain.seedOf(3), "without a suite, image i from seed + i");
    }

    static int[] rgb(java.awt.image.BufferedImage im) {
        return im.getRGB(0, 0, im.getWidth(), im.getHeight(), null, 0, im.getWidth());
    }

    @Test
    void evaluatesAsEvalDoes() throws Exception {
        Path out = dir.resolve("eval-set");
        GenerationPlan plan = GenerationPlan.of(org.imagineflash.data.Prompts.CLASS_NAMES, PER_CLASS, 3);
        SparkGeneration.run(sc, MODEL, plan, new SparkGeneration.Sampling(null, null, null), 3, out);
        Map<String, Object> distributed = SparkEvaluation.run(sc, out, CLASSIFIER);
        Map<String, Object> single;
        try (DomainClassifier dc = DomainClassifier.load(CLASSIFIER)) {
            single = Evaluation.score(dc, images(out), plan.labels());
        }
        double fd = (Double) single.get("fd");
        assertEquals(fd, (Double) distributed.get("fd"), 1e-6 * fd, "FD");
        assertEquals((Double) single.get("adherence"), (Double) distributed.get("adherence"), 1e-12, "adherence");
        List<?> a = (List<?>) single.get("perClass");
        List<?> b = (List<?>) distributed.get("perClass");
        assertEquals(a.size(), b.size());
        for (int c = 0; c < a.size(); c++) {
            assertEquals(((Map<?, ?>) a.get(c)).get("adherence"), ((Map<?, ?>) b.get(c)).get("adherence"), "class " + c);
        }
        assertNotEquals(0.0, fd);
    }

    @Test
    void badInputFailsWithOneLineBeforeAnyExecutorWork() throws Exception {
        Path corrupt = dir.resolve("corrupt");
        Files.createDirectories(corrupt);
        for (String f : List.of("config.json", "provenance.json")) {
            Files.copy(MODEL.resolve(f), corrupt.resolve(f));
        }
        Files.write(corrupt.resolve("weights.params"), new byte[] {1, 2, 3});
        Path notAList = dir.resolve("prompts.txt");
        Files.writeString(notAList, "sneaker\n# a comment\ngiraffe\n");
        String[][] cases = {
                {"generate", "--model", corrupt.toString(), "--all-classes", "--n", "2", "--out", dir.resolve("x1").toString()},
                {"generate", "--model", MODEL.toString(), "--prompt", "giraffe", "--n", "2", "--out", dir.resolve("x2").toString()},
                {"generate", "--model", MODEL.toString(), "--prompts", notAList.toString(), "--n", "2", "--out", dir.resolve("x3").toString()},
                {"generate", "--model", MODEL.toString(), "--all-classes", "--n", "0", "--out", dir.resolve("x4").toString()},
                {"generate", "--model", MODEL.toString(), "--all-classes", "--master", "mars", "--out", dir.resolve("x5").toString()},
                {"eval", "--images", dir.resolve("nothing").toString()},
                {"eval", "--images", dir.toString(), "--classifier", corrupt.toString()},
        };
        for (String[] c : cases) {
            Run r = spark(c);
            assertNotEquals(0, r.code(), String.join(" ", c));
            assertEquals(1, r.err().strip().lines().count(), String.join(" ", c) + " → " + r.err());
            assertTrue(r.err().startsWith("error: ") && !r.err().contains("Exception"), r.err());
        }
        for (int i = 1; i <= 5; i++) {
            assertFalse(Files.exists(dir.resolve("x" + i)), "no output for a job that could not start");
        }
        assertTrue(spark("generate", "--model", MODEL.toString(), "--prompt", "giraffe", "--out", dir.resolve("x2").toString())
                .err().contains("giraffe"), "the error names the unknown prompt");
    }

    @Test
    void theMasterIsTheOneAskedForElseSparkSubmitsElseEmbedded() {
        String before = System.getProperty("spark.master");
        try {
            System.clearProperty("spark.master");
            assertEquals("local[*]", SparkContexts.master(null));
            System.setProperty("spark.master", "spark://head:7077");       // as spark-submit --master sets it
            assertEquals("spark://head:7077", SparkContexts.master(null));
            assertEquals("local[2]", SparkContexts.master("local[2]"));
            System.setProperty("spark.master", "mars");
            assertThrows(IllegalArgumentException.class, () -> SparkContexts.master(null));
        } finally {
            if (before == null) {
                System.clearProperty("spark.master");
            } else {
                System.setProperty("spark.master", before);
            }
        }
    }
}
