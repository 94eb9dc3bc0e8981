package org.imagineflash.model;

import org.imagineflash.schedule.ScheduleConfig;

/**
 * Everything needed to rebuild a diffusion model exactly; saved as config.json next to its weights.
 *
 * @param kind a teacher or a distilled student
 * @param unet the network architecture
 * @param schedule the training noise schedule
 * @param parameterization what the network predicts
 * @param student the few-step schedule of a distilled student; null for a teacher
 * @param autoencoder the autoencoder directory whose latents the network denoises (a latent diffusion model); null
 *                    for a pixel-space model
 * @param autoencoderSha256 the SHA-256 of that autoencoder's weights when the network was trained (null: unchecked):
 *                          another autoencoder's latents would decode to garbage without an error
 */
public record ModelConfig(Kind kind, UNetConfig unet, ScheduleConfig schedule, Parameterization parameterization,
                          StudentConfig student,
                          @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                          String autoencoder,
                          @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                          String autoencoderSha256) {
    /** What a model is; the JSON value is the lowercase name. */
    public enum Kind {
        TEACHER, STUDENT;

        @com.fasterxml.jackson.annotation.JsonValue
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        @com.fasterxml.jackson.annotation.JsonCreator
        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.id().equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("kind must be 'teacher' or 'student', got '" + s + "'");
        }

        @Override
        public String toString() {
            return id();
        }
    }

    /** A pixel-space teacher. */
    public static ModelConfig teacher(UNetConfig unet, ScheduleConfig schedule, Parameterization parameterization) {
        return new ModelConfig(Kind.TEACHER, unet, schedule, parameterization, null, null, null);
    }

    /** This model denoising the latents of the autoencoder in {@code dir} (weights' SHA-256 {@code sha256}, null: unchecked). */
    public ModelConfig onLatents(String dir, String sha256) {
        return new ModelConfig(kind, unet, schedule, parameterization, student, dir, sha256);
    }

    /** A distilled student of this model: the same architecture, schedule and latent space, predicting {@code prediction}. */
    public ModelConfig student(StudentConfig sampling, Parameterization prediction) {
        return new ModelConfig(Kind.STUDENT, unet, schedule, prediction, sampling, autoencoder, autoencoderSha256);
    }

    public ModelConfig {
        if (kind == null) {
            throw new IllegalArgumentException("kind must be 'teacher' or 'student'");
        }
        if (unet == null || schedule == null || parameterization == null) {
            throw new IllegalArgumentException("config.json must have unet, schedule and parameterization");
        }
        if (kind == Kind.STUDENT && student == null) {
            throw new IllegalArgumentException("a student config needs its 'student' section (timesteps, noise correction)");
        }
    }

    /** The range of x_0: images in [−1, 1], or the unbounded latents of a latent diffusion model. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public DataRange dataRange() {
        return autoencoder == null ? DataRange.PIXELS : DataRange.LATENTS;
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isStudent() {
        return student != null;
    }
}
