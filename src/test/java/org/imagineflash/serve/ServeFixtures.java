package org.imagineflash.serve;

import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.Provenance;
import org.imagineflash.model.StudentConfig;
import org.imagineflash.model.UNetConfig;
import org.imagineflash.schedule.ScheduleConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** A models/ folder with a small random 28×28, 10-class teacher and a 2-step "student" of it (fast to run). */
final class ServeFixtures {
    private ServeFixtures() {
    }

    static Path models(Path dir) throws IOException {
        UNetConfig u = UNetConfig.builder(28, 10).baseChannels(8).channelMults(1, 2)
                .numResBlocks(1).attentionResolutions().groups(4).heads(2).build();
        ModelConfig teacher = new ModelConfig(ModelConfig.TEACHER, u, ScheduleConfig.ddpmLinear(), Parameterization.EPS, null);
        ModelConfig student = new ModelConfig(ModelConfig.STUDENT, u, ScheduleConfig.ddpmLinear(), Parameterization.EPS,
                new StudentConfig("imagine-flash", new int[] {999, 499}, true, StudentConfig.Sampling.CLIPPED));
        Provenance p = Provenance.of("test", "fixture", 0, "none", 0, 0, Map.of());
        try (DiffusionModel t = DiffusionModel.create(teacher, 1); DiffusionModel s = t.copy(student)) {
            ModelStore.save(t, dir.resolve("teacher-tiny"), p);
            ModelStore.save(s, dir.resolve("student-tiny"), p);
        }
        return dir;
    }
}
