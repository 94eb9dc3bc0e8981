package org.imagineflash.distill;

import ai.djl.nn.Parameter;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.model.TinyModels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DistillationScopeTest {
    static boolean frozen(DiffusionModel m) {
        for (Parameter p : m.parameters()) {
            if (p.getArray().hasGradient()) {
                return false;
            }
        }
        return true;
    }

    static ModelConfig student(Parameterization p) {
        return TinyModels.teacher().student(new StudentConfig("step", new int[] {999, 499}, false, StudentConfig.Sampling.CLIPPED), p);
    }

    @Test
    void theTeacherIsFrozenDuringARunAndReleasedAfterItWhateverHappens() {
        // before: ImagineFlashDistillation had no finally, so a failed run left the teacher frozen
        try (DiffusionModel teacher = DiffusionModel.create(TinyModels.teacher(), 1);
             DiffusionModel vInit = teacher.copy(student(Parameterization.V))) {
            assertFalse(frozen(teacher));
            try (Distillation.Scope scope = new Distillation.Scope(teacher, null, student(Parameterization.EPS))) {
                assertTrue(frozen(teacher));
                assertFalse(frozen(scope.student()));
                throw new IllegalStateException("the run fails");
            } catch (IllegalStateException expected) {
                assertFalse(frozen(teacher), "unfrozen after a failed run");
            }
            // a starting point that does not fit fails in the constructor and leaves nothing frozen
            assertThrows(IllegalArgumentException.class, () -> new Distillation.Scope(teacher, vInit, student(Parameterization.EPS)));
            assertFalse(frozen(teacher));
        }
    }
}
