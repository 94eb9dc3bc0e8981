package org.imagineflash.train;

import org.imagineflash.random.Seeds;
import ai.djl.ndarray.NDManager;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.kernel.KernelCheck;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The one optimisation loop of the project (teacher training, classifier training, every distillation method): for
 * each step a random stream of its own ({@link Seeds#stream}) and an NDManager sub-manager, the caller's loss and
 * backward, the AdamW update at the LR schedule's rate, the EMA, the caller's after-update work, the kernel checks
 * of that step ({@link KernelCheck#verifyPending}, so no caller has to remember them), a progress bar, checkpoints
 * and exact resume. A non-finite main loss stops the run with a clear error.
 */
public final class TrainingLoop {
    /** One optimisation step. */
    public interface Step {
        /**
         * Computes the loss and calls backward on it inside its own gradient collector.
         *
         * @return the loss terms to log (the first is the main term; must be finite)
         */
        float[] loss(long step, SplittableRandom random, NDManager sub);

        /** Runs after the update (e.g. a discriminator step, or a target network's EMA). */
        default void afterUpdate(long step, NDManager sub) {
        }

        /** The progress bar's message for the terms of a step. */
        default String describe(float[] terms) {
            return String.format("loss %.4f", terms[0]);
        }
    }

    /**
     * What a run checkpoints and where: the raw and EMA models, the method's extra state, every how many steps (0:
     * only at the end), and the run's identity that a resume must match.
     */
    public record Checkpoints(Path dir, DiffusionModel model, DiffusionModel ema, Checkpoint.Extra extra, long every, Checkpoint.Run run) {
    }

    /** The losses of the steps this run made, and the wall time including the resumed checkpoint's. */
    public record Outcome(List<float[]> losses, double wallSeconds) {
    }

    private final String name;
    private final long steps;
    private final long seed;
    private final int stream;
    private final LrSchedule lr;
    private final AdamW adam;
    private Ema ema;
    private Checkpoints checkpoints;
    private boolean resume;
    private PrintStream progress;

    /**
     * @param stream the run's random-stream id (distinct per kind of run, so they never share noise by accident)
     */
    public TrainingLoop(String name, long steps, long seed, int stream, LrSchedule lr, AdamW adam) {
        this.name = name;
        this.steps = steps;
        this.seed = seed;
        this.stream = stream;
        this.lr = lr;
        this.adam = adam;
    }

    /** Updates this EMA after every step. */
    public TrainingLoop ema(Ema e) {
        this.ema = e;
        return this;
    }

    /** Saves checkpoints (null: none) and, with {@code resumeFromThem}, starts from the saved one. */
    public TrainingLoop checkpoints(Checkpoints c, boolean resumeFromThem) {
        this.checkpoints = c;
        this.resume = resumeFromThem;
        return this;
    }

    /** Where the progress bar goes (null: nowhere). */
    public TrainingLoop progress(PrintStream out) {
        this.progress = out;
        return this;
    }

    /** Runs the steps not done yet; each step's arrays live in a sub-manager of {@code manager}. */
    public Outcome run(NDManager manager, Step step) throws IOException {
        Checkpoints c = checkpoints;
        Checkpoint.Resumed from = resume && c != null ? Checkpoint.resume(c.dir(), c.model(), c.ema(), adam, c.extra(), c.run())
                : Checkpoint.Resumed.FRESH;
        List<float[]> losses = new ArrayList<>();
        long t0 = System.nanoTime();
        try (ProgressBar pb = progress(name, steps, from.step(), progress)) {
            for (long s = from.step(); s < steps; s++) {
                SplittableRandom r = Seeds.stream(seed, s, stream);
                float[] terms;
                try (NDManager sub = manager.newSubManager()) {
                    terms = step.loss(s, r, sub);
                    adam.step((float) lr.at(s));
                    if (ema != null) {
                        ema.update(s);
                    }
                    step.afterUpdate(s, sub);
                    KernelCheck.shared().verifyPending();
                }
                if (!Float.isFinite(terms[0])) {
                    throw new IllegalStateException(name + " diverged at step " + s + " (non-finite loss); lower --lr");
                }
                losses.add(terms);
                pb.stepTo(s + 1);
                pb.setExtraMessage(step.describe(terms));
                if (c != null && Checkpoint.due(c.dir(), s + 1, steps, c.every())) {
                    Checkpoint.save(c.dir(), c.model(), c.ema(), adam, c.extra(), s + 1, c.run(),
                            from.wallSeconds() + (System.nanoTime() - t0) / 1e9, "lastLoss", terms[0]);
                }
            }
        }
        return new Outcome(losses, from.wallSeconds() + (System.nanoTime() - t0) / 1e9);
    }

    /** A progress bar on {@code out} (null: none shown), updated every 2 s. */
    public static ProgressBar progress(String name, long max, long start, PrintStream out) {
        ProgressBarBuilder pbb = new ProgressBarBuilder().setTaskName(name).setInitialMax(max).startsFrom(start, Duration.ZERO)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(2000).showSpeed()
                .setMaxRenderedLength(120);
        if (out != null) {
            pbb.setConsumer(new ConsoleProgressBarConsumer(out));
        } else {
            pbb.setConsumer(new DelegatingProgressBarConsumer(s -> { }));
        }
        return pbb.build();
    }
}
