package org.imagineflash.distill;

import org.imagineflash.model.DiffusionModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base of the distillation tests on {@link MixtureProblem}: trains the teacher once per test class. */
public abstract class MixtureTeacherTest {
    protected static DiffusionModel teacher;
    protected static float[][] reference;

    @BeforeAll
    public static void trainTeacher() throws Exception {
        teacher = MixtureProblem.trainTeacher();
        reference = MixtureProblem.reference();
    }

    @AfterAll
    public static void close() {
        teacher.close();
    }
}
