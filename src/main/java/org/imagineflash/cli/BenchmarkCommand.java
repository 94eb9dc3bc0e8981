package org.imagineflash.cli;

import org.imagineflash.Generator;
import org.imagineflash.data.FashionMnist;
import org.imagineflash.data.LabeledImages;
import org.imagineflash.distill.DistillOptions;
import org.imagineflash.distill.ShiftFunction;
import org.imagineflash.distill.imagineflash.ImagineFlashDistillation;
import org.imagineflash.distill.imagineflash.ImagineFlashOptions;
import org.imagineflash.eval.Evaluation;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelStore;
import org.imagineflash.schedule.TimestepSpacing;
import org.imagineflash.train.TeacherTraining;
import org.imagineflash.train.TrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash benchmark}: training-step, distillation-step and sampling speed on this machine. */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = {"Measure the teacher training step and the Imagine Flash distillation step (batch 64, k = 1) of the",
                "teacher's architecture, and sampling latency (batch 1) and throughput (batch 64) of every model in --models."})
public final class BenchmarkCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--teacher", defaultValue = "models/teacher-fmnist") Path teacherDir;
    @Option(names = "--models", defaultValue = "models") Path models;
    @Option(names = "--steps", defaultValue = "6", description = "timed steps (after 2 warm-up steps)") int steps;
    @Option(names = "--data", description = "Fashion-MNIST directory") Path data;

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        if (steps < 1 || steps > 1000) {
            throw new IllegalArgumentException("--steps must be in 1..1000, got " + steps);
        }
        PrintWriter out = spec.commandLine().getOut();
        LabeledImages train = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        DiffusionModel teacher = ModelStore.load(teacherDir);
        try (teacher) {
            time(teacher, train, 1); // one-time costs of the first run in this JVM (engine init, JIT) must not be subtracted
            double warm = time(teacher, train, 2);
            double all = time(teacher, train, 2 + steps);
            double teacherStep = (all - warm) / steps;
            out.printf("teacher training step, batch 64:           %8.3f s%n", teacherStep);
            distill(teacher, 1);
            double dWarm = distill(teacher, 2);
            double dAll = distill(teacher, 2 + steps);
            double distillStep = (dAll - dWarm) / steps;
            out.printf("distillation step (3-step student, k=1, batch 64): %8.3f s  (%.2f× a teacher step)%n",
                    distillStep, distillStep / teacherStep);
        }
        out.printf("%n%-22s %-9s %-6s %-5s %-6s %12s %16s%n", "model", "sampler", "steps", "NFE", "engine", "ms/img b=1", "img/s b=64");
        for (Path dir : org.imagineflash.model.ModelStore.listTeachersFirst(models)) {
            try (Generator g = Generator.load(dir)) {
                if (g.isTextToImage()) {
                    Generator.Options o = g.defaults();
                    for (Generator.Engine e : Generator.Engine.values()) {
                        try (Generator run = e == Generator.Engine.DJL ? null : Generator.load(dir, e)) {
                            Generator on = run == null ? g : run;
                            double[] ms = new double[7];
                            for (int i = 0; i < ms.length; i++) {
                                ms[i] = on.generateScenes(List.of("a red sneaker left of a blue bag"), new long[] {i}, o).millis();
                            }
                            Arrays.sort(ms);
                            out.printf("%-22s %-9s %-6d %-5d %-6s %12.1f %16s  (text-to-image, with the decoder)%n", dir.getFileName(), o.sampler(),
                                    o.steps(), o.steps() * (o.cfg() != 1.0 ? 2 : 1), e.name().toLowerCase(java.util.Locale.ROOT), ms[ms.length / 2], "—");
                        }
                    }
                    continue;
                }
                Generator.Options o = g.defaults();
                for (Generator.Engine e : Generator.Engine.values()) {
                    // the same model, its network run by each engine, measured one after the other in this run
                    try (Generator run = e == Generator.Engine.DJL ? null : Generator.load(dir, e)) {
                        Map<String, Object> s = Evaluation.speed(run == null ? g : run, o, 5);
                        out.printf("%-22s %-9s %-6d %-5d %-6s %12.1f %16.1f%n", dir.getFileName(), o.sampler(), o.steps(),
                                o.steps() * (o.cfg() != 1.0 ? 2 : 1), e.name().toLowerCase(java.util.Locale.ROOT),
                                (Double) s.get("msPerImageBatch1"), (Double) s.get("imagesPerSecondBatch64"));
                    }
                }
            }
        }
        out.printf("(%d threads; %s)%n", Integer.getInteger("ai.djl.pytorch.num_threads", 1), org.imagineflash.model.Provenance.machineDescription());
        return 0;
    }

    private static double time(DiffusionModel teacher, LabeledImages train, int n) throws java.io.IOException {
        TrainOptions o = TrainOptions.builder(n).batchSize(64).lr(1e-4).lrSchedule(org.imagineflash.train.LrSchedule.Kind.CONSTANT).warmup(0).emaDecay(0.99).labelDropout(0.1).seed(1).build();
        TeacherTraining.Result r = new TeacherTraining(teacher.config(), o).run(train, null, false, null);
        r.ema().close();
        return r.wallSeconds();
    }

    private static double distill(DiffusionModel teacher, int n) throws java.io.IOException {
        int[] ts = TimestepSpacing.TRAILING.timesteps(teacher.schedule().numTrainTimesteps(), 3, 0);
        DistillOptions o = DistillOptions.builder(ts).iterations(n).batchSize(64).lr(1e-4).seed(1).build();
        ImagineFlashOptions f = ImagineFlashOptions.builder(ts.length).teacherSteps(1).build();
        org.imagineflash.distill.Distillation.Result r = new ImagineFlashDistillation(teacher, o, f,
                org.imagineflash.train.TrainingData.uniformClasses(teacher.config().unet().numClasses()), null).run(null, false, null);
        r.ema().close();
        return r.wallSeconds();
    }
}
