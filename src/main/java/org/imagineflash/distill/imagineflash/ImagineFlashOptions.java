package org.imagineflash.distill.imagineflash;

import org.imagineflash.distill.Adversarial;
import org.imagineflash.distill.OptionIds;
import org.imagineflash.distill.ShiftFunction;

/**
 * Imagine Flash's own switches (each one a row of the paper's ablation), beside the options every method takes.
 *
 * @param inputs where the student's inputs come from (backward distillation, or forward-noised real images)
 * @param target what the student regresses onto (the shifted reconstruction loss, or the direct target)
 * @param shift γ of the SRL
 * @param srlNoise noise used to re-noise x̂_0^Θ for the SRL
 * @param teacherSteps k, teacher DDIM steps for the target
 * @param noiseCorrection ε = x_T at t = T in rollouts and at inference
 * @param adversarial the optional adversarial term (weight 0: none)
 */
public record ImagineFlashOptions(Inputs inputs, Target target, ShiftFunction shift, SrlNoise srlNoise, int teacherSteps,
                                  boolean noiseCorrection, Adversarial adversarial) {
    /** Where the student's inputs come from. */
    public enum Inputs {
        /** x^Θ_{T→t}: the student's own rollout from pure noise (backward distillation, the method). */
        BACKWARD,
        /** q(x_t | x_0) on real images (the ablation). */
        FORWARD;

        public static Inputs parse(String s) {
            return OptionIds.parse(Inputs.class, s, "--inputs");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What the student regresses onto. */
    public enum Target {
        /** The shifted reconstruction loss: the teacher denoises the student's x̂_0 re-noised to γ(t). */
        SRL,
        /** The teacher denoises the student's own input. */
        DIRECT;

        public static Target parse(String s) {
            return OptionIds.parse(Target.class, s, "--target");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The noise that re-noises x̂_0^Θ for the SRL. */
    public enum SrlNoise {
        /** A new ε, as the paper's figure. */
        FRESH,
        /** The student's own ε̂ at its input: deterministic, so the target stays a function of the student's trajectory. */
        STUDENT;

        public static SrlNoise parse(String s) {
            return OptionIds.parse(SrlNoise.class, s, "--srl-noise");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ImagineFlashOptions {
        if (inputs == null || target == null || srlNoise == null || shift == null || adversarial == null) {
            throw new IllegalArgumentException("--inputs, --target, --srl-noise and --shift are required");
        }
        if (teacherSteps < 1 || teacherSteps > 50) {
            throw new IllegalArgumentException("--teacher-steps must be in 1..50, got " + teacherSteps);
        }
    }

    /** The method as the paper describes it, with γ chosen for the student's step count ({@link ImagineFlashDistillation#defaultShift}). */
    public static Builder builder(int studentSteps) {
        return new Builder(ShiftFunction.parse(ImagineFlashDistillation.defaultShift(studentSteps), false));
    }

    /** Builds {@link ImagineFlashOptions}: backward inputs, SRL, the student's own noise, k = 2, noise correction, no critic. */
    public static final class Builder {
        private Inputs inputs = Inputs.BACKWARD;
        private Target target = Target.SRL;
        private ShiftFunction shift;
        private SrlNoise srlNoise = SrlNoise.STUDENT;
        private int teacherSteps = 2;
        private boolean noiseCorrection = true;
        private Adversarial adversarial = Adversarial.none();

        private Builder(ShiftFunction shift) {
            this.shift = shift;
        }

        public Builder inputs(Inputs v) {
            inputs = v;
            return this;
        }

        public Builder target(Target v) {
            target = v;
            return this;
        }

        public Builder shift(ShiftFunction v) {
            shift = v;
            return this;
        }

        public Builder srlNoise(SrlNoise v) {
            srlNoise = v;
            return this;
        }

        public Builder teacherSteps(int v) {
            teacherSteps = v;
            return this;
        }

        public Builder noiseCorrection(boolean v) {
            noiseCorrection = v;
            return this;
        }

        public Builder adversarial(Adversarial v) {
            adversarial = v;
            return this;
        }

        public ImagineFlashOptions build() {
            return new ImagineFlashOptions(inputs, target, shift, srlNoise, teacherSteps, noiseCorrection, adversarial);
        }
    }

    @Override
    public String toString() {
        return "ImagineFlashOptions[inputs=" + inputs + ", target=" + target + ", shift=" + shift + ", srlNoise=" + srlNoise
                + ", k=" + teacherSteps + ", noiseCorrection=" + noiseCorrection + ", " + adversarial + "]";
    }
}
