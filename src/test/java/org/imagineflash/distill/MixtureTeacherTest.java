package org.imagineflash.distill;

import org.imagineflash.model.DiffusionModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base of the distillation tests on {@link MixtureProblem}: trains the teacher once per test class. */
abstract class MixtureTeacherTest {
    static DiffusionModel teacher;
    static float[][] reference;

    @BeforeAll
    static void trainTeacher() throws Exception {
        teacher = MixtureProblem.trainTeacher();
        reference = MixtureProblem.reference();
    }

    @AfterAll
    static void close() {
        teacher.close();
    }
}
