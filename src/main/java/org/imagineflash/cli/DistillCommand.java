package org.imagineflash.cli;

import org.imagineflash.train.TrainingData;
import org.imagineflash.distill.Adversarial;
import org.imagineflash.distill.AdversarialTerm;
import org.imagineflash.distill.DistillOptions;
import org.imagineflash.distill.Distillation;
import org.imagineflash.distill.DistillationData;
import org.imagineflash.distill.ShiftFunction;
import org.imagineflash.distill.baseline.AdversarialDiffusionDistillation;
import org.imagineflash.distill.baseline.LatentConsistencyDistillation;
import org.imagineflash.distill.imagineflash.ImagineFlashDistillation;
import org.imagineflash.distill.imagineflash.ImagineFlashOptions;
import org.imagineflash.distill.methods.DistillMethod;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Provenance;
import org.imagineflash.train.LrSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagine-flash distill}: distils a teacher into a few-step student. */
@Command(name = "distill", mixinStandardHelpOptions = true,
        description = {"Distil a teacher into a 1-8 step student.",
                "--method imagine-flash: backward distillation + shifted reconstruction loss + noise correction",
                "(+ an adversarial term with --adv-weight > 0). Each part has a switch for the ablation.",
                "Baselines: --method step (guided progressive step distillation, --start-steps → --steps),",
                "lcm (latent consistency distillation; samples with the LCM scheduler at 1..--steps steps),",
                "add (adversarial diffusion distillation). step, lcm and add train on real images (--data).",
                "--method guidance: stage one of guided distillation (one network matches the guided teacher at every",
                "timestep, in any parameterization); the baselines can start from it with --init."})
public final class DistillCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Verbose verbose;
    @Option(names = "--method", defaultValue = "imagine-flash", description = "imagine-flash | step | lcm | add | guidance") String method;
    @Option(names = "--init", description = "the student's starting weights: a model directory (e.g. from --method guidance) "
            + "with the teacher's architecture and the student's parameterization (default: the teacher)") Path initDir;
    @Option(names = "--teacher", required = true, description = "teacher model directory") Path teacherDir;
    @Option(names = "--out", required = true, description = "student model directory to write") Path out;
    @Option(names = "--steps", defaultValue = "3", description = "student steps (trailing timesteps, e.g. 3 → 999,666,332)") int steps;
    @Option(names = "--timesteps", split = ",", description = "explicit descending student timesteps (overrides --steps)") int[] timesteps;
    @Option(names = "--inputs", defaultValue = "backward", description = "backward | forward") String inputs;
    @Option(names = "--target", defaultValue = "srl", description = "srl | direct") String target;
    @Option(names = "--shift", defaultValue = "auto", description = "γ: auto | identity | affine:a,b | snr:s (auto, measured: "
            + "identity for 3 or more student steps, affine:0.5,0 for 1–2)") String shift;
    @Option(names = "--srl-noise", description = "fresh | student: noise that re-noises x̂_0 for the SRL (default: ${DEFAULT-VALUE})") String srlNoise = ImagineFlashOptions.SrlNoise.STUDENT.toString();
    @Option(names = "--student-prediction", description = "x0 | eps | v | same (as the teacher): what the student network predicts. "
            + "Default for the baselines (step, lcm, add): same, so the student starts as its teacher; a v or x0 head on "
            + "ε weights reinterprets the output and starts as noise (stage 16→8 at 100 iterations measured FD 87.5 "
            + "with v vs 34.2 with ε, n = 500). Default for imagine-flash: v (an ε network cannot express x̂_0 at "
            + "t = T, where x̂_0 = (x_T − σ ε̂)/α amplifies its error 156×; 3-step at 400 iterations: v FD 195 vs x0 FD 288)")
    String studentPrediction;
    @Option(names = "--shift-jitter", description = "move t_Φ by ±1 step at random") boolean shiftJitter;
    @Option(names = "--teacher-steps", defaultValue = "2", description = "k, teacher DDIM steps for the target") int teacherSteps;
    @Option(names = "--cfg", defaultValue = "3", description = "guidance scale inside the teacher") double cfg;
    @Option(names = "--noise-correction", defaultValue = "on", description = "on | off") String noiseCorrection;
    @Option(names = "--adv-weight", description = "λ of the adversarial term (0: none; default 0, and 1 for add)") Double advWeight;
    @Option(names = "--start-steps", defaultValue = "16", description = "step: the first stage's teacher steps (halved each stage down to --steps)") int startSteps;
    @Option(names = "--disc", description = "critic of the adversarial term: teacher-features (frozen teacher encoder + "
            + "trainable heads, ADD's design; default for add) | teacher-features-source (also conditioned on the source "
            + "image, ADD's c_img; add only) | pixels (a discriminator trained from scratch; default for imagine-flash, as the "
            + "shipped students were trained)") String disc;
    @Option(names = "--add-teacher-time", defaultValue = "uniform",
            description = "add: the distillation term's teacher time, uniform (t ~ U{1..T-1}, the paper) | student (the student's own timestep)")
    String addTeacherTime;
    @Option(names = "--add-weighting", defaultValue = "exponential",
            description = "add: c(t) of the distillation term, exponential (ᾱ_t, the paper) | sds (α_t·σ_t, score distillation's weight)")
    String addWeighting;
    @Option(names = "--add-distance", defaultValue = "x0",
            description = "add: where the distillation distance is measured, x0 (the paper's ‖x̂_θ − x̂_ψ‖², scaled per student "
                    + "timestep as the adversarial term) | output (the student's output space; SNR-weighted x̂_0 error for an ε student)")
    String addDistance;
    @Option(names = "--lcm-loss", defaultValue = "huber", description = "lcm: huber (pseudo-Huber, the LCM scripts' default) | l2") String lcmLoss;
    @Option(names = "--lcm-target-decay", defaultValue = "0.95", description = "lcm: EMA decay of the target network") double lcmTargetDecay;
    @Option(names = "--lcm-original-steps", defaultValue = "50", description = "lcm: N of the skipping schedule, whose solver step spans "
            + "k = T/N timesteps (the LCM default 50: k = 20); the student records N and samples on the same schedule") int lcmOriginalSteps;
    @Option(names = "--lcm-gradient", defaultValue = "script", description = "lcm: script (the distance's gradient reaches the "
            + "output through dx̂_0/doutput, 152 at t = 999 for an ε student) | even (divided by it per example: every timestep alike)")
    String lcmGradient;
    @Option(names = "--iterations", defaultValue = "600") long iterations;
    @Option(names = "--batch-size", defaultValue = "32") int batchSize;
    @Option(names = "--lr", description = "student learning rate (default, by measurement: 3e-4 for imagine-flash and lcm, "
            + "whose v students start from a reinterpreted output; 1e-4 for step and guidance, 1e-5 for add, which fine-tune "
            + "the teacher's own function: step distillation at 3e-4 measured FD 41.6 vs 31.9 at 1e-4)") Double lr;
    @Option(names = "--lr-schedule", defaultValue = "constant", description = "constant (after a short warm-up, as every "
            + "method's paper) | cosine (to 0 over --iterations)") String lrSchedule;
    @Option(names = "--disc-lr", description = "the critic's learning rate (default 1e-3 for add, whose critic on frozen teacher "
            + "features lags the student at 2e-4; 2e-4 for imagine-flash)") Double discLr;
    @Option(names = "--ema-decay", defaultValue = "0.99") double emaDecay;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--checkpoint-every", defaultValue = "100") long checkpointEvery;
    @Option(names = "--checkpoint-dir", description = "default: .<out name>.checkpoint next to --out") Path checkpointDir;
    @Option(names = "--resume", description = "continue from the checkpoint") boolean resume;
    @Option(names = "--data", description = "Fashion-MNIST directory: for a class-conditional teacher with step, lcm, add, --inputs forward or "
            + "--adv-weight > 0; for a text-to-image teacher always (its scenes and captions)") Path data;
    @Option(names = "--image-folder", description = "PNG image folder instead of Fashion-MNIST") Path imageFolder;

    @Override
    public Integer call() throws Exception {
        Engines.configure();
        ModelStore.requireWritable(out);
        DistillMethod m = DistillMethod.parse(method);
        if (studentPrediction == null) {
            studentPrediction = m.defaultPrediction();
        }
        if (lr == null) {
            lr = m.defaultLr();
        }
        if (advWeight == null) {
            advWeight = m.defaultAdversarial().weight();
        }
        if (discLr == null) {
            discLr = m.defaultAdversarial().discLr();
        }
        m.requireTakes(spec.commandLine().getParseResult().matchedOptions().stream().map(o -> o.longestName()).toList());
        AdversarialTerm.Critic critic = disc != null ? AdversarialTerm.Critic.parse(disc) : m.defaultAdversarial().critic();
        if (disc != null && advWeight == 0) {
            throw new IllegalArgumentException("--disc needs an adversarial term (--adv-weight > 0, or --method add)");
        }
        if (!noiseCorrection.equals("on") && !noiseCorrection.equals("off")) {
            throw new IllegalArgumentException("--noise-correction must be on or off, got " + noiseCorrection);
        }
        if (out.toAbsolutePath().normalize().equals(teacherDir.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--out must differ from --teacher");
        }
        String commit = Provenance.currentGitCommit();
        DiffusionModel teacher = ModelStore.load(teacherDir);
        DiffusionModel init = initDir == null ? null : ModelStore.load(initDir);
        try (teacher; init) {
            if (teacher.config().isStudent()) {
                throw new IllegalArgumentException(teacherDir + " is a distilled student, not a teacher");
            }
            if (timesteps == null) {
                timesteps = m.timesteps(teacher.schedule().numTrainTimesteps(), steps, lcmOriginalSteps);
            }
            DistillMethod.requireGuidable(teacherDir, cfg);
            String gamma = shift.equals("auto") ? ImagineFlashDistillation.defaultShift(timesteps.length) : shift;
            DistillOptions opts = DistillOptions.builder(timesteps).studentPrediction(studentPrediction).cfg(cfg).iterations(iterations)
                    .batchSize(batchSize).lr(lr).lrSchedule(LrSchedule.Kind.parse(lrSchedule)).emaDecay(emaDecay).seed(seed).checkpointEvery(checkpointEvery).build();
            Adversarial adversarial = new Adversarial(advWeight, discLr, critic);
            DistillMethod.MethodOptions own = new DistillMethod.MethodOptions(
                    ImagineFlashOptions.builder(timesteps.length).inputs(ImagineFlashOptions.Inputs.parse(inputs))
                            .target(ImagineFlashOptions.Target.parse(target)).shift(ShiftFunction.parse(gamma, shiftJitter))
                            .srlNoise(ImagineFlashOptions.SrlNoise.parse(srlNoise)).teacherSteps(teacherSteps)
                            .noiseCorrection(noiseCorrection.equals("on")).adversarial(adversarial).build(),
                    startSteps,
                    new LatentConsistencyDistillation.Options(LatentConsistencyDistillation.Distance.parse(lcmLoss), lcmTargetDecay, lcmOriginalSteps,
                            LatentConsistencyDistillation.Gradient.parse(lcmGradient)),
                    m == DistillMethod.ADD ? new AdversarialDiffusionDistillation.Options(adversarial,
                            AdversarialDiffusionDistillation.TeacherTime.parse(addTeacherTime),
                            AdversarialDiffusionDistillation.Weighting.parse(addWeighting),
                            AdversarialDiffusionDistillation.Distance.parse(addDistance)) : null);
            if (init != null) {
                Distillation.requireCompatible(teacher, init, Distillation.prediction(teacher, studentPrediction));
            }
            try (DistillationData d = DistillationData.forTeacher(teacher, teacherDir, m.needsData(own), data, imageFolder, seed)) {
                save(m, opts, own, d.data(), d.description(), teacher, init, commit);
            }
        }
        return 0;
    }

    /** Runs the method on the training data and writes the EMA student with its provenance. */
    private void save(DistillMethod m, DistillOptions opts, DistillMethod.MethodOptions own, TrainingData trainingData, String dataDesc,
                      DiffusionModel teacher, DiffusionModel init, String commit) throws Exception {
        Distillation run = m.create(teacher, opts, own, trainingData, init);
        Path ckpt = checkpointDir != null ? checkpointDir : org.imagineflash.train.Checkpoint.defaultDir(out);
        Distillation.Result r = run.run(ckpt, resume, System.err);
        try (DiffusionModel ema = r.ema()) {
            String cmd = "imagine-flash " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
            double tail = r.tailLoss(100);
            Map<String, Object> extra = m.provenance(teacherDir, initDir, timesteps, opts, own, tail);
            ModelStore.save(ema, out, Provenance.of(commit, cmd, seed, dataDesc, r.steps(), r.wallSeconds(), extra));
            spec.commandLine().getOut().printf("wrote %s: %s student %s, %d iterations, %.0f s (%.2f s/iteration), loss (last 100) %.4f%n",
                    out, method, Arrays.toString(timesteps), r.steps(), r.wallSeconds(), r.wallSeconds() / Math.max(1, r.steps()), tail);
        }
    }
}
