package org.imagineflash.distill;

import java.util.Arrays;

/**
 * Options of an Imagine Flash distillation run, validated with messages that name the flag; saved in provenance.
 *
 * @param timesteps the student's descending timesteps (e.g. [999, 666, 333])
 * @param inputs "backward" (x^Θ_{T→t}, the method) or "forward" (q(x_t | x_0) on real images, ablation)
 * @param target "srl" (shifted reconstruction loss) or "direct" (teacher denoises the student's own input)
 * @param shift γ of the SRL
 * @param studentPrediction what the student's network predicts: "same" as the teacher, or eps / v / x0 (x0 is far
 *                          better conditioned at t = T for ε-teachers without zero terminal SNR: x̂_0 = (x_T − σ ε̂)/α
 *                          with α_T ≈ 0.006 amplifies the network's error 150×)
 * @param srlNoise noise used to re-noise x̂_0^Θ: "fresh" (a new ε, as the paper's figure) or "student" (the student's
 *                 own ε̂ at its input: deterministic, so the target stays a function of the student's trajectory)
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
public record DistillOptions(int[] timesteps, String inputs, String target, ShiftFunction shift, String srlNoise, String studentPrediction, int teacherSteps,
                             double cfg, boolean noiseCorrection, double advWeight, long iterations, int batchSize,
                             double lr, double discLr, double emaDecay, long seed, long checkpointEvery,
                             AdversarialTerm.Critic discriminator) {
    public DistillOptions {
        if (timesteps == null || timesteps.length < 1 || timesteps.length > 8) {
            throw new IllegalArgumentException("the student needs 1..8 timesteps");
        }
        if (!inputs.equals("backward") && !inputs.equals("forward")) {
            throw new IllegalArgumentException("--inputs must be backward or forward, got " + inputs);
        }
        if (!target.equals("srl") && !target.equals("direct")) {
            throw new IllegalArgumentException("--target must be srl or direct, got " + target);
        }
        if (!"fresh".equals(srlNoise) && !"student".equals(srlNoise)) {
            throw new IllegalArgumentException("--srl-noise must be fresh or student, got " + srlNoise);
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
        return new DistillOptions(timesteps, inputs, target, shift, srlNoise, studentPrediction, teacherSteps, cfg, noiseCorrection,
                advWeight, n, batchSize, lr, discLr, emaDecay, seed, checkpointEvery, discriminator);
    }

    @Override
    public String toString() {
        return "DistillOptions[timesteps=" + Arrays.toString(timesteps) + ", inputs=" + inputs + ", target=" + target
                + ", shift=" + shift + ", srlNoise=" + srlNoise + ", studentPrediction=" + studentPrediction + ", k=" + teacherSteps + ", cfg=" + cfg + ", noiseCorrection=" + noiseCorrection
                + ", adv=" + advWeight + (advWeight > 0 ? ", disc=" + discriminator : "") + ", iterations=" + iterations + ", batch=" + batchSize + ", lr=" + lr + "]";
    }
}
