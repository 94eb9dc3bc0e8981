package org.imagineflash.model;

import org.imagineflash.schedule.ScheduleConfig;

/**
 * Everything needed to rebuild a diffusion model exactly; saved as config.json next to its weights.
 *
 * @param kind "teacher" or "student"
 * @param unet the network architecture
 * @param schedule the training noise schedule
 * @param parameterization what the network predicts
 * @param student the few-step schedule of a distilled student; null for a teacher
 */
public record ModelConfig(String kind, UNetConfig unet, ScheduleConfig schedule, Parameterization parameterization,
                          StudentConfig student) {
    public static final String TEACHER = "teacher";
    public static final String STUDENT = "student";

    public ModelConfig {
        if (!TEACHER.equals(kind) && !STUDENT.equals(kind)) {
            throw new IllegalArgumentException("kind must be 'teacher' or 'student', got '" + kind + "'");
        }
        if (unet == null || schedule == null || parameterization == null) {
            throw new IllegalArgumentException("config.json must have unet, schedule and parameterization");
        }
        if (STUDENT.equals(kind) && student == null) {
            throw new IllegalArgumentException("a student config needs its 'student' section (timesteps, noise correction)");
        }
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isStudent() {
        return student != null;
    }
}
