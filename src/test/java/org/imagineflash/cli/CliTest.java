package org.imagineflash.cli;

import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Provenance;
import org.imagineflash.model.TinyModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {
    @TempDir
    static Path dir;
    static Path model;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void tinyModel() throws Exception {
        model = dir.resolve("tiny");
        try (DiffusionModel m = DiffusionModel.create(TinyModels.teacher(), 1)) {
            ModelStore.save(m, model, Provenance.of("test", 1, "none", 0, 0, Map.of()));
        }
    }

    @Test
    void helpListsEveryCommand() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String c : new String[] {"demo", "sample", "train-teacher", "distill", "train-classifier", "eval", "report",
            "serve", "load-test", "benchmark", "schedule"}) {
            assertTrue(r.out().contains(c), c);
        }
    }

    @Test
    void sampleWritesGridAndIdx() throws Exception {
        Path png = dir.resolve("g.png");
        Run r = run("sample", "--model", model.toString(), "--class", "2", "--n", "3", "--steps", "2", "--out", png.toString(),
                "--idx", dir.resolve("s").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(png) > 0);
        assertEquals(16 + 3 * 64, Files.size(dir.resolve("s-images-idx3-ubyte")));
        assertEquals(8 + 3, Files.size(dir.resolve("s-labels-idx1-ubyte")));
    }

    @Test
    void badInputIsOneLineAndNonZero() {
        Path png = dir.resolve("never.png");
        String[][] cases = {
                {"sample", "--model", model.toString(), "--prompt", "giraffe", "--out", png.toString()},
                {"sample", "--model", dir.resolve("missing").toString(), "--prompt", "bag", "--out", png.toString()},
                {"sample", "--model", model.toString(), "--class", "1", "--steps", "0", "--out", png.toString()},
                {"sample", "--model", model.toString(), "--class", "1", "--cfg", "-2", "--out", png.toString()},
                {"sample", "--model", model.toString(), "--class", "1", "--sampler", "nope", "--out", png.toString()},
                {"schedule", "--beta-schedule", "cubic"},
                {"serve", "--port", "0", "--warmup-requests", "-1", "--models", dir.toString()},
                {"load-test", "--port", "1", "--warmup", "-5"},
                // before: a table of errors and exit 0 with no server; a path without a reason; an error after training
                {"load-test", "--port", "9", "--requests", "3", "--warmup", "0"},
                {"sample", "--model", model.toString(), "--class", "1", "--steps", "1", "--out", "/proc/a.png"},
                {"train-teacher", "--steps", "1", "--out", "/proc/none/teacher"},
        };
        for (String[] c : cases) {
            Run r = run(c);
            assertTrue(r.code() != 0, String.join(" ", c));
            // one line, and for an option that does not parse, picocli's hint to --help after it
            assertEquals(1, r.err().strip().lines().filter(l -> !l.startsWith("Try '")).count(), r.err());
            assertTrue(r.err().startsWith("error: "), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
        assertFalse(Files.exists(png));
        assertEquals(2, run("sample", "--bogus").code());
        assertTrue(run("load-test", "--port", "9", "--requests", "3", "--warmup", "0").err().contains("no server answers on port 9"));
        String proc = run("sample", "--model", model.toString(), "--class", "1", "--steps", "1", "--out", "/proc/a.png").err();
        assertTrue(proc.contains("/proc/a.png") && proc.contains(": "), proc);
        assertTrue(run("train-teacher", "--steps", "1", "--out", "/proc/none/teacher").err().contains("cannot write /proc/none/teacher"));
    }

    @Test
    void conformanceCommandPrintsDiffusersFigures() {
        Run r = run("schedule", "--conformance", "--sampler", "ddim", "--steps", "10");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("{\"sum\":172.006"), r.out());
    }

    @Test
    void trainAutoencoderRejectsBadOptionsWithOneLineAndWritesNothing() {
        Path out = dir.resolve("ae-out");
        String[][] cases = {
            {"--kl-weight", "0"},
            {"--kl-weight", "-1e-4"},
            {"--init", dir.resolve("a").toString(), "--finetune-decoder", dir.resolve("b").toString()},
            {"--init", dir.resolve("nope").toString()},
            {"--decoder-depth", "9"},
        };
        assertEachRefusedWithOneLine(out, new String[] {"train-autoencoder", "--out", out.toString(), "--steps=1"}, cases);
    }

    /** Runs {@code head} followed by each case: a non-zero exit, a one-line error without a stack trace, nothing at {@code out}. */
    private static void assertEachRefusedWithOneLine(Path out, String[] head, String[][] cases) {
        for (String[] c : cases) {
            String[] args = new String[head.length + c.length];
            System.arraycopy(head, 0, args, 0, head.length);
            System.arraycopy(c, 0, args, head.length, c.length);
            Run r = run(args);
            assertTrue(r.code() != 0, String.join(" ", c));
            assertEquals(1, r.err().strip().lines().count(), String.join(" ", c) + " → " + r.err());
            assertFalse(r.err().contains("Exception"), r.err());
            assertFalse(Files.exists(out), String.join(" ", c));
        }
    }

    @Test
    void distillRejectsBadInputWithOneLineAndWritesNothing() throws Exception {
        Path out = dir.resolve("student-out");
        String[][] cases = {
            {"--timesteps", "500,600"},
            {"--timesteps", "999,0"},
            {"--steps", "0"},
            {"--shift", "snr:0"},
            {"--shift", "affine:5,0"},
            {"--inputs", "sideways"},
            {"--target", "both"},
            {"--teacher-steps", "0"},
            {"--noise-correction", "maybe"},
            {"--srl-noise", "pink"},
            {"--method", "magic"},
            {"--method", "add", "--disc", "fur"},
            {"--disc", "pixels"},
            {"--init", dir.resolve("nope").toString()},
            {"--method", "lcm", "--student-prediction", "v", "--init", model.toString()},
            {"--method", "guidance", "--init", model.toString()},
            {"--method", "add", "--add-teacher-time", "later"},
            {"--method", "add", "--add-weighting", "flat"},
            {"--method", "lcm", "--add-weighting", "sds"},
            {"--disc", "teacher-features-source", "--adv-weight", "0.1"},
            {"--method", "step", "--inputs", "forward"},
            {"--method", "lcm", "--adv-weight", "0.1"},
            {"--method", "add", "--start-steps", "8"},
            {"--method", "lcm", "--lcm-loss", "l1"},
            {"--method", "lcm", "--lcm-original-steps", "0"},
            {"--method", "lcm", "--lcm-original-steps", "3"},
            {"--method", "step", "--lcm-original-steps", "25"},
            {"--method", "lcm", "--lcm-gradient", "flat"},
            {"--method", "add", "--lcm-gradient", "even"},
            {"--method", "add", "--add-distance", "l1"},
            {"--method", "lcm", "--add-distance", "x0"},
            {"--lr-schedule", "linear"},
        };
        assertEachRefusedWithOneLine(out, new String[] {"distill", "--teacher", model.toString(), "--out", out.toString(), "--iterations=1"}, cases);
        // guidance needs a null class: a teacher trained without label dropout refuses --cfg ≠ 1
        Path noDropout = dir.resolve("no-dropout");
        try (DiffusionModel m = DiffusionModel.create(TinyModels.teacher(), 1)) {
            ModelStore.save(m, noDropout, Provenance.of("test", 1, "none", 0, 0, Map.of("options", Map.of("labelDropout", 0.0))));
        }
        Run unguided = run("distill", "--teacher", noDropout.toString(), "--out", out.toString(), "--iterations=1", "--cfg", "3");
        assertTrue(unguided.code() != 0 && unguided.err().contains("label dropout") && unguided.err().strip().lines().count() == 1,
                unguided.err());
        assertFalse(Files.exists(out));
        // a student is not a teacher
        Run r = run("distill", "--teacher", model.toString(), "--out", model.toString());
        assertTrue(r.code() != 0 && r.err().contains("--out must differ"), r.err());
        Run missing = run("distill", "--teacher", dir.resolve("nope").toString(), "--out", out.toString());
        assertTrue(missing.code() != 0 && missing.err().strip().lines().count() == 1, missing.err());
    }

    @Test
    void evalRejectsMissingClassifierAndBadArguments() {
        Run r = run("eval", "--model", model.toString(), "--classifier", dir.resolve("none").toString(), "--n", "300");
        assertTrue(r.code() != 0 && r.err().contains("not a classifier directory"), r.err());
        Run both = run("eval", "--classifier", dir.toString());
        assertTrue(both.code() != 0 && both.err().contains("either --model or --images"), both.err());
    }

    @Test
    void anAbsurdArchitectureIsRefusedByValidation() throws Exception {
        // before: baseChannels 1e6 in config.json reached PyTorch's allocator
        Path d = dir.resolve("absurd");
        Files.createDirectories(d);
        Files.copy(model.resolve(ModelStore.WEIGHTS), d.resolve(ModelStore.WEIGHTS));
        Files.writeString(d.resolve(ModelStore.CONFIG), Files.readString(model.resolve(ModelStore.CONFIG))
                .replaceFirst("\"baseChannels\" : \\d+", "\"baseChannels\" : 1000000"));
        Run r = run("sample", "--model", d.toString(), "--class", "1", "--out", dir.resolve("absurd.png").toString());
        assertEquals(4, r.code(), r.err());
        assertTrue(r.err().contains("baseChannels must be in 1..1024"), r.err());
    }

    @Test
    void theDataErrorNamesTheOptionAndTheCheckpointSitsNextToTheOutput() {
        // before: the error named --data-dir (the option is --data); checkpoints went to runs/ in the working directory
        Run r = run("train-teacher", "--data", dir.resolve("no-data").toString(), "--steps", "1", "--out", dir.resolve("t").toString());
        assertTrue(r.code() != 0);
        assertTrue(r.err().contains("(from --data)"), r.err());
        assertFalse(r.err().contains("--data-dir"), r.err());
        assertEquals(dir.resolve(".t.checkpoint").toAbsolutePath(), org.imagineflash.train.Checkpoint.defaultDir(dir.resolve("t")));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aChainOfWarmStartsKeepsEveryLinkInTheProvenance() throws Exception {
        Path first = dir.resolve("chain-1");
        Path second = dir.resolve("chain-2");
        Path third = dir.resolve("chain-3");
        assertEquals(0, tinyTeacher("--seed", "1", "--out", first.toString()).code());
        assertEquals(0, tinyTeacher("--seed", "2", "--init", first.toString(), "--out", second.toString()).code());
        Run last = tinyTeacher("--seed", "3", "--init", second.toString(), "--out", third.toString());
        assertEquals(0, last.code(), last.err());
        Provenance p = ModelStore.readProvenance(third);
        assertEquals(3, p.steps(), "steps summed over the chain");
        Map<String, Object> init = (Map<String, Object>) p.extra().get("init");
        assertEquals(second.toString(), init.get("dir"));
        Map<String, Object> before = (Map<String, Object>) init.get("init");
        assertTrue(before != null && first.toString().equals(before.get("dir")), "the first link: " + init);
        assertTrue(String.valueOf(init.get("command")).contains("--seed 2"), init.toString());
        assertEquals(ModelStore.readProvenance(second).machine(), init.get("machine"), "each link names the machine its wall time was measured on");
    }

    /** One step of train-teacher on a tiny architecture, with {@code more} options. */
    private static Run tinyTeacher(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("train-teacher", "--steps", "1", "--batch-size", "2", "--base-channels", "8",
                "--channel-mults", "1", "--res-blocks", "1", "--attention", "0", "--checkpoint-every", "1"));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    @Test
    void sceneCommandsRefuseBadInputWithOneLine() {
        Run caption = run("sample", "--model", model.toString(), "--prompt", "a red sneaker left of a blue bag", "--n", "1",
                "--out", dir.resolve("c.png").toString());
        assertTrue(caption.code() != 0 && caption.err().contains("class-conditional"), caption.err());
        Run noSource = run("eval", "--scene-suite");
        assertTrue(noSource.code() != 0 && noSource.err().contains("--real-scenes"), noSource.err());
        Run perPrompt = run("eval", "--scene-suite", "--real-scenes", "--per-prompt", "0");
        assertTrue(perPrompt.code() != 0 && perPrompt.err().contains("--per-prompt"), perPrompt.err());
        Run classModel = run("eval", "--scene-suite", "--model", model.toString());
        assertTrue(classModel.code() != 0 && classModel.err().contains("class-conditional"), classModel.err());
        Run badSuite = run("eval", "--prompts", dir.resolve("missing.txt").toString(), "--real-scenes");
        assertTrue(badSuite.code() != 0 && badSuite.err().contains("does not exist"), badSuite.err());
        Run scenes = run("scenes", "--n", "0");
        assertTrue(scenes.code() != 0 && scenes.err().contains("--n"), scenes.err());
        for (Run r : new Run[] {caption, noSource, perPrompt, classModel, badSuite, scenes}) {
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        }
    }
}
