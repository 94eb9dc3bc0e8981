package org.imagineflash.distill;

import java.util.Arrays;

/**
 * Options of an Imagine Flash distillation run, validated with messages that name the flag; saved in provenance.
 *
 * @param timesteps the student's descending timesteps (e.g. [999, 666, 333])
 * @param inputs where the student's inputs come from
 * @param target what the student regresses onto
 * @param shift γ of the SRL
 * @param studentPrediction what the student's network predicts: "same" as the teacher, or eps / v / x0 (x0 is far
 *                          better conditioned at t = T for ε-teachers without zero terminal SNR: x̂_0 = (x_T − σ ε̂)/α
 *                          with α_T ≈ 0.006 amplifies the network's error 150×)
 * @param srlNoise noise used to re-noise x̂_0^Θ for the SRL
 * @param teacherSteps k, teacher DDIM steps for the target
 * @param cfg guidance scale inside the teacher
 * @param noiseCorrection ε = x_T at t = T in rollouts and at inference
 * @param advWeight λ of the adversarial term (0 disables the discriminator)
 * @param iterations optimisation steps
 * @param batchSize batch size
 * @param lr student learning rate (AdamW, constant after a short warm-up)
 * @param discLr discriminator learning rate
 * @param emaDecay EMA decay of the student
 * @param seed seed of every random stream
 * @param checkpointEvery steps between checkpoints (0: only at the end)
 * @param discriminator what the adversarial term's critic looks at (used when advWeight &gt; 0)
 */
public record DistillOptions(int[] timesteps, Inputs inputs, Target target, ShiftFunction shift, SrlNoise srlNoise, String studentPrediction, int teacherSteps,
                             double cfg, boolean noiseCorrection, double advWeight, long iterations, int batchSize,
                             double lr, double discLr, double emaDecay, long seed, long checkpointEvery,
                             AdversarialTerm.Critic discriminator) {
    /** Where the student's inputs come from. */
    public enum Inputs {
        /** x^Θ_{T→t}: the student's own rollout from pure noise (backward distillation, the method). */
        BACKWARD,
        /** q(x_t | x_0) on real images (the ablation). */
        FORWARD;

        public static Inputs parse(String s) {
            return Options.parse(Inputs.class, s, "--inputs");
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
            return Options.parse(Target.class, s, "--target");
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
            return Options.parse(SrlNoise.class, s, "--srl-noise");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Parsing of the lowercase option values. */
    static final class Options {
        private Options() {
        }

        static <E extends Enum<E>> E parse(Class<E> type, String s, String flag) {
            for (E e : type.getEnumConstants()) {
                if (e.toString().equals(s == null ? null : s.trim().toLowerCase(java.util.Locale.ROOT))) {
                    return e;
                }
            }
            throw new IllegalArgumentException(flag + " must be one of " + java.util.Arrays.toString(type.getEnumConstants())
                    .replaceAll("[\\[\\]]", "").replace(", ", " | ") + ", got " + s);
        }
    }

    public DistillOptions {
        if (timesteps == null || timesteps.length < 1 || timesteps.length > 8) {
            throw new IllegalArgumentException("the student needs 1..8 timesteps");
        }
        if (inputs == null || target == null || srlNoise == null || shift == null) {
            throw new IllegalArgumentException("--inputs, --target, --srl-noise and --shift are required");
        }
        if (!"same".equals(studentPrediction)) {
            org.imagineflash.model.Parameterization.parse(studentPrediction);
        }
        if (teacherSteps < 1 || teacherSteps > 50) {
            throw new IllegalArgumentException("--teacher-steps must be in 1..50, got " + teacherSteps);
        }
        if (!(cfg >= 0 && cfg <= 20)) {
            throw new IllegalArgumentException("--cfg must be in [0, 20], got " + cfg);
        }
        if (!(advWeight >= 0 && advWeight <= 10)) {
            throw new IllegalArgumentException("--adv-weight must be in [0, 10], got " + advWeight);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("--iterations must be ≥ 1, got " + iterations);
        }
        if (batchSize < 1 || batchSize > 1024) {
            throw new IllegalArgumentException("--batch-size must be in 1..1024, got " + batchSize);
        }
        if (!(lr > 0 && lr < 1) || !(discLr > 0 && discLr < 1)) {
            throw new IllegalArgumentException("--lr and --disc-lr must be in (0, 1)");
        }
        if (!(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("--ema-decay must be in [0, 1), got " + emaDecay);
        }
        if (discriminator == null) {
            throw new IllegalArgumentException("--disc must be teacher-features or pixels");
        }
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("--checkpoint-every must be ≥ 0, got " + checkpointEvery);
        }
    }

    /** The same options with another iteration budget. */
    public DistillOptions withIterations(long n) {
        return toBuilder().iterations(n).build();
    }

    /** A builder with the distill command's defaults for Imagine Flash: 3 trailing steps, backward inputs, SRL. */
    public static Builder builder(int[] timesteps) {
        return new Builder(timesteps);
    }

    public Builder toBuilder() {
        Builder b = new Builder(timesteps);
        b.inputs = inputs;
        b.target = target;
        b.shift = shift;
        b.srlNoise = srlNoise;
        b.studentPrediction = studentPrediction;
        b.teacherSteps = teacherSteps;
        b.cfg = cfg;
        b.noiseCorrection = noiseCorrection;
        b.advWeight = advWeight;
        b.iterations = iterations;
        b.batchSize = batchSize;
        b.lr = lr;
        b.discLr = discLr;
        b.emaDecay = emaDecay;
        b.seed = seed;
        b.checkpointEvery = checkpointEvery;
        b.discriminator = discriminator;
        return b;
    }

    /** Builds {@link DistillOptions}; the constructor validates. */
    public static final class Builder {
        private final int[] timesteps;
        private Inputs inputs = Inputs.BACKWARD;
        private Target target = Target.SRL;
        private ShiftFunction shift = ShiftFunction.parse("identity", false);
        private SrlNoise srlNoise = SrlNoise.STUDENT;
        private String studentPrediction = "same";
        private int teacherSteps = 2;
        private double cfg = 3.0;
        private boolean noiseCorrection = true;
        private double advWeight;
        private long iterations = 600;
        private int batchSize = 32;
        private double lr = 3e-4;
        private double discLr = 2e-4;
        private double emaDecay = 0.99;
        private long seed;
        private long checkpointEvery;
        private AdversarialTerm.Critic discriminator = AdversarialTerm.Critic.PIXELS;

        private Builder(int[] timesteps) {
            this.timesteps = timesteps;
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

        public Builder studentPrediction(String v) {
            studentPrediction = v;
            return this;
        }

        public Builder teacherSteps(int v) {
            teacherSteps = v;
            return this;
        }

        public Builder cfg(double v) {
            cfg = v;
            return this;
        }

        public Builder noiseCorrection(boolean v) {
            noiseCorrection = v;
            return this;
        }

        public Builder advWeight(double v) {
            advWeight = v;
            return this;
        }

        public Builder iterations(long v) {
            iterations = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder lr(double v) {
            lr = v;
            return this;
        }

        public Builder discLr(double v) {
            discLr = v;
            return this;
        }

        public Builder emaDecay(double v) {
            emaDecay = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder checkpointEvery(long v) {
            checkpointEvery = v;
            return this;
        }

        public Builder discriminator(AdversarialTerm.Critic v) {
            discriminator = v;
            return this;
        }

        public DistillOptions build() {
            return new DistillOptions(timesteps, inputs, target, shift, srlNoise, studentPrediction, teacherSteps, cfg, noiseCorrection,
                    advWeight, iterations, batchSize, lr, discLr, emaDecay, seed, checkpointEvery, discriminator);
        }
    }

    @Override
    public String toString() {
        return "DistillOptions[timesteps=" + Arrays.toString(timesteps) + ", inputs=" + inputs + ", target=" + target
                + ", shift=" + shift + ", srlNoise=" + srlNoise + ", studentPrediction=" + studentPrediction + ", k=" + teacherSteps + ", cfg=" + cfg + ", noiseCorrection=" + noiseCorrection
                + ", adv=" + advWeight + (advWeight > 0 ? ", disc=" + discriminator : "") + ", iterations=" + iterations + ", batch=" + batchSize + ", lr=" + lr + "]";
    }
}
