package org.imagineflash.distill;

import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.StudentConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * A method that distils a guided teacher into a few-step student: Imagine Flash and the baselines the paper compares
 * against (step distillation, LCM, ADD). All produce a model directory that {@code sample}, {@code eval} and the
 * server use the same way.
 */
public interface Distillation {
    /** The student's config (architecture of the teacher, the student's own sampling schedule). */
    ModelConfig studentConfig();

    /**
     * A student config: the teacher's architecture and schedule, the network predicting {@code prediction}
     * ("same" as the teacher, or eps / v / x0), sampling as {@code student} says.
     */
    static ModelConfig studentConfig(DiffusionModel teacher, String prediction, StudentConfig student) {
        return teacher.config().student(student, prediction(teacher, prediction));
    }

    /**
     * The student's starting weights: the teacher's, or those of {@code init} (e.g. a guidance-distilled
     * network), which must have the teacher's architecture and the student's parameterization.
     */
    static DiffusionModel startingPoint(DiffusionModel teacher, DiffusionModel init, ModelConfig student) {
        if (init == null) {
            return teacher.copy(student);
        }
        requireCompatible(teacher, init, student.parameterization());
        return init.copy(student);
    }

    /**
     * The models of one distillation run: the teacher frozen, a student and its EMA made from the starting point
     * ({@link #startingPoint}). Closing it always releases the student, unfreezes the teacher and, unless the run
     * handed it over in its {@link Result}, releases the EMA too, so a failed run leaves nothing frozen or open.
     */
    final class Scope implements AutoCloseable {
        private final DiffusionModel teacher;
        private final DiffusionModel student;
        private final DiffusionModel ema;
        private boolean handedOver;

        public Scope(DiffusionModel teacher, DiffusionModel init, ModelConfig student) {
            teacher.network().freezeParameters(true);
            this.teacher = teacher;
            DiffusionModel s = null;
            try {
                s = startingPoint(teacher, init, student);
                this.ema = startingPoint(teacher, init, student);
            } catch (RuntimeException e) {
                if (s != null) {
                    s.close();
                }
                teacher.network().freezeParameters(false);
                throw e;
            }
            this.student = s;
        }

        public DiffusionModel student() {
            return student;
        }

        public DiffusionModel ema() {
            return ema;
        }

        /** The run's result, whose EMA now belongs to the caller. */
        public Result handOver(Result r) {
            handedOver = true;
            return r;
        }

        /** Training inside a scope; its result's EMA is the scope's. */
        @FunctionalInterface
        public interface Body {
            Result train(Scope scope) throws IOException;
        }

        /** Opens a scope, trains in it and closes it, handing the result's EMA to the caller. */
        public static Result run(DiffusionModel teacher, DiffusionModel init, ModelConfig student, Body body) throws IOException {
            try (Scope scope = new Scope(teacher, init, student)) {
                return scope.handOver(body.train(scope));
            }
        }

        @Override
        public void close() {
            student.close();
            if (!handedOver) {
                ema.close();
            }
            teacher.network().freezeParameters(false);
        }
    }

    /** Checks that {@code init} can start a student of {@code teacher} that predicts {@code prediction}. */
    static void requireCompatible(DiffusionModel teacher, DiffusionModel init, Parameterization prediction) {
        if (init.parameterization() != prediction) {
            throw new IllegalArgumentException("--init predicts " + init.parameterization().id() + " but the student predicts "
                    + prediction.id() + ": use --student-prediction " + init.parameterization().id());
        }
        if (!init.config().unet().equals(teacher.config().unet())) {
            throw new IllegalArgumentException("--init has another architecture than the teacher");
        }
    }

    /** The parameterization a student of {@code teacher} predicts for {@code prediction} ("same" or eps / v / x0). */
    static Parameterization prediction(DiffusionModel teacher, String prediction) {
        return prediction.equals("same") ? teacher.parameterization() : Parameterization.parse(prediction);
    }

    /**
     * Trains the student; checkpoints go to {@code checkpointDir} (null: none).
     *
     * @param progressOut where the progress bar goes (null: nowhere)
     */
    Result run(Path checkpointDir, boolean resume, PrintStream progressOut) throws IOException;

    /**
     * @param ema the EMA student (the caller closes it)
     * @param losses the logged loss terms of every step (the first is the method's main term)
     */
    record Result(DiffusionModel ema, List<float[]> losses, double wallSeconds, long steps) {
        /** Mean of the main loss term over the last {@code n} steps. */
        public double tailLoss(int n) {
            int size = losses.size();
            return losses.subList(Math.max(0, size - n), size).stream().mapToDouble(l -> l[0]).average().orElse(Double.NaN);
        }
    }
}
