package org.imagineflash.distill.methods;

import org.imagineflash.train.TrainingData;
import org.imagineflash.distill.Adversarial;
import org.imagineflash.distill.AdversarialTerm;
import org.imagineflash.distill.DistillOptions;
import org.imagineflash.distill.Distillation;
import org.imagineflash.distill.baseline.AdversarialDiffusionDistillation;
import org.imagineflash.distill.baseline.GuidanceDistillation;
import org.imagineflash.distill.baseline.LatentConsistencyDistillation;
import org.imagineflash.distill.baseline.StepDistillation;
import org.imagineflash.distill.imagineflash.ImagineFlashDistillation;
import org.imagineflash.distill.imagineflash.ImagineFlashOptions;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Provenance;
import org.imagineflash.sampling.LcmMultistep;
import org.imagineflash.schedule.TimestepSpacing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The registry of distillation methods: each method's id, its defaults (measured; see {@code report/FINDINGS.md}),
 * its timesteps, the validation of the switches that only some methods take, and its construction. The distill
 * command parses flags and delegates here.
 */
public enum DistillMethod {
    /** Imagine Flash: v students start from a reinterpreted output, so the larger rate; the pixel critic its students were trained with. */
    IMAGINE_FLASH(ImagineFlashDistillation.METHOD, 3e-4, "v", Adversarial.none()),
    /** Step distillation fine-tunes the teacher's own function: 3e-4 measured FD 41.6 against 31.9 at 1e-4. */
    STEP(StepDistillation.METHOD, 1e-4, "same", Defaults.NO_CRITIC),
    /** Latent consistency distillation. */
    LCM(LatentConsistencyDistillation.METHOD, 3e-4, "same", Defaults.NO_CRITIC),
    /**
     * Adversarial diffusion distillation: the paper's adversarial term ({@link AdversarialDiffusionDistillation.Options#paper}:
     * λ_adv = 1, the critic on frozen teacher features at {@link AdversarialDiffusionDistillation#CRITIC_LR}); the student
     * at 1e-5 (on Fashion-MNIST at 3e-5 it collapsed, FD 95.5 against 49.1 at 800 iterations).
     */
    ADD(AdversarialDiffusionDistillation.METHOD, 1e-5, "same", AdversarialDiffusionDistillation.Options.paper().adversarial()),
    /** Guidance distillation (Meng et al.'s stage one). */
    GUIDANCE(GuidanceDistillation.METHOD, 1e-4, "same", Defaults.NO_CRITIC);

    /** Constants the enum's constructors may name (an enum cannot refer to its own static fields there). */
    private static final class Defaults {
        /** No adversarial term; a critic named with --adv-weight > 0 defaults to teacher features. */
        static final Adversarial NO_CRITIC = new Adversarial(0, Adversarial.DEFAULT_DISC_LR, AdversarialTerm.Critic.TEACHER_FEATURES);
    }

    /**
     * The options each method takes besides the common ones; a run passes its method only that method's own.
     *
     * @param imagineFlash Imagine Flash's switches
     * @param startSteps step distillation's first stage's teacher steps
     * @param lcm LCM's distance and target network
     * @param add ADD's adversarial term and teacher time
     */
    public record MethodOptions(ImagineFlashOptions imagineFlash, int startSteps, LatentConsistencyDistillation.Options lcm,
                                AdversarialDiffusionDistillation.Options add) {
        /** The options of the method as its paper (or the training script its authors published) runs it. */
        public static MethodOptions defaults(int studentSteps) {
            return new MethodOptions(ImagineFlashOptions.builder(studentSteps).build(), 16, LatentConsistencyDistillation.Options.script(),
                    AdversarialDiffusionDistillation.Options.paper());
        }
    }

    /** The flags of the options that only some methods take, by method. */
    private static final Map<String, Set<DistillMethod>> FLAG_METHODS = flagMethods();

    private final String id;
    private final double defaultLr;
    private final String defaultPrediction;
    private final Adversarial defaultAdversarial;

    DistillMethod(String id, double defaultLr, String defaultPrediction, Adversarial defaultAdversarial) {
        this.id = id;
        this.defaultLr = defaultLr;
        this.defaultPrediction = defaultPrediction;
        this.defaultAdversarial = defaultAdversarial;
    }

    public static DistillMethod parse(String s) {
        for (DistillMethod m : values()) {
            if (m.id.equals(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown --method '" + s + "' (known: imagine-flash, step, lcm, add, guidance)");
    }

    public String id() {
        return id;
    }

    public double defaultLr() {
        return defaultLr;
    }

    public String defaultPrediction() {
        return defaultPrediction;
    }

    /** The adversarial term a run gets where --adv-weight, --disc and --disc-lr are not given. */
    public Adversarial defaultAdversarial() {
        return defaultAdversarial;
    }

    /** The student's timesteps for {@code steps} steps: LCM's skipping schedule (its default N = 50), else trailing. */
    public int[] timesteps(int numTrain, int steps) {
        return timesteps(numTrain, steps, LatentConsistencyDistillation.ORIGINAL_STEPS);
    }

    /** The same, LCM's skipping schedule taken from N = {@code lcmOriginalSteps}. */
    public int[] timesteps(int numTrain, int steps, int lcmOriginalSteps) {
        if (steps < 1 || steps > 8) {
            throw new IllegalArgumentException("--steps must be in 1..8, got " + steps);
        }
        return this == LCM ? LcmMultistep.skippingTimesteps(numTrain, lcmOriginalSteps, steps)
                : TimestepSpacing.TRAILING.timesteps(numTrain, steps, 0);
    }

    private static Map<String, Set<DistillMethod>> flagMethods() {
        Map<String, Set<DistillMethod>> m = new LinkedHashMap<>();
        for (String f : List.of("--inputs", "--target", "--shift", "--shift-jitter", "--srl-noise", "--teacher-steps", "--noise-correction")) {
            m.put(f, EnumSet.of(IMAGINE_FLASH));
        }
        for (String f : List.of("--adv-weight", "--disc", "--disc-lr")) {
            m.put(f, EnumSet.of(IMAGINE_FLASH, ADD));
        }
        m.put("--start-steps", EnumSet.of(STEP));
        m.put("--lcm-loss", EnumSet.of(LCM));
        m.put("--lcm-target-decay", EnumSet.of(LCM));
        m.put("--lcm-original-steps", EnumSet.of(LCM));
        m.put("--lcm-gradient", EnumSet.of(LCM));
        m.put("--add-teacher-time", EnumSet.of(ADD));
        m.put("--add-weighting", EnumSet.of(ADD));
        m.put("--add-distance", EnumSet.of(ADD));
        m.put("--init", EnumSet.complementOf(EnumSet.of(GUIDANCE)));
        return m;
    }

    /** Refuses a flag that this method does not take (the message names the flag and the methods that take it). */
    public void requireTakes(Collection<String> givenFlags) {
        for (String f : givenFlags) {
            Set<DistillMethod> takers = FLAG_METHODS.get(f);
            if (takers != null && !takers.contains(this)) {
                throw new IllegalArgumentException(f + " is for --method " + takers.stream().map(DistillMethod::id)
                        .collect(java.util.stream.Collectors.joining(" or ")) + ", not --method " + id);
            }
        }
    }

    /** Whether the method trains on real images (Imagine Flash only for forward inputs or a critic). */
    public boolean needsData(MethodOptions own) {
        ImagineFlashOptions f = own.imagineFlash();
        return this != IMAGINE_FLASH || f.inputs() == ImagineFlashOptions.Inputs.FORWARD || f.adversarial().enabled();
    }

    /** The method's run on a teacher, from {@code init}'s weights (null: the teacher's), with its own options. */
    public Distillation create(DiffusionModel teacher, DistillOptions o, MethodOptions own, TrainingData data, DiffusionModel init) {
        return switch (this) {
            case STEP -> new StepDistillation(teacher, o, data, own.startSteps(), init);
            case LCM -> new LatentConsistencyDistillation(teacher, o, own.lcm(), data, init);
            case ADD -> new AdversarialDiffusionDistillation(teacher, o, own.add(), data, init);
            case GUIDANCE -> new GuidanceDistillation(teacher, o, data);
            case IMAGINE_FLASH -> new ImagineFlashDistillation(teacher, o, own.imagineFlash(), data, init);
        };
    }

    /**
     * What a student's provenance records besides the command line: the method, its teacher (and the teacher's
     * commit), the student's timesteps, its starting weights and how they were made, the options and the final loss.
     */
    public Map<String, Object> provenance(Path teacherDir, Path initDir, int[] timesteps, DistillOptions options, MethodOptions own,
                                          double finalLossMean100) throws IOException {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("method", id);
        extra.put("teacher", teacherDir.toString());
        Provenance tp = ModelStore.readProvenance(teacherDir);
        extra.put("teacherCommit", tp == null ? null : tp.gitCommit());
        extra.put("timesteps", java.util.Arrays.toString(timesteps));
        if (initDir != null) {
            extra.put("init", initDir.toString());
            Provenance ip = ModelStore.readProvenance(initDir);
            extra.put("initCommand", ip == null ? null : ip.command());
            extra.put("initSteps", ip == null ? null : ip.steps());
            extra.put("initWallSeconds", ip == null ? null : ip.wallSeconds());
        }
        extra.put("options", options.toString());
        extra.putAll(ownProvenance(own));
        extra.put("finalLossMean100", finalLossMean100);
        return extra;
    }

    /**
     * Refuses guidance (cfg ≠ 1) inside a teacher whose provenance says it was trained without label dropout: it has
     * no null class to guide against. A teacher whose provenance does not say is trusted.
     */
    public static void requireGuidable(Path teacherDir, double cfg) throws IOException {
        if (cfg == 1.0) {
            return;
        }
        Provenance p = ModelStore.readProvenance(teacherDir);
        Object dropout = p != null && p.extra() != null && p.extra().get("options") instanceof Map<?, ?> o ? o.get("labelDropout") : null;
        if (dropout instanceof Number n && n.doubleValue() == 0) {
            throw new IllegalArgumentException("--cfg " + cfg + " needs a teacher trained with label dropout (a null class); "
                    + teacherDir + " was trained with --label-dropout 0; use --cfg 1");
        }
    }

    /** This method's own options, for the model's provenance. */
    private Map<String, Object> ownProvenance(MethodOptions own) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (this) {
            case STEP -> m.put("startSteps", own.startSteps());
            case LCM -> {
                m.put("lcmLoss", own.lcm().distance().toString());
                m.put("lcmTargetDecay", own.lcm().targetDecay());
                m.put("lcmOriginalSteps", own.lcm().originalSteps());
                m.put("lcmGradient", own.lcm().gradient().toString());
            }
            case ADD -> m.put("methodOptions", own.add().toString());
            case IMAGINE_FLASH -> m.put("methodOptions", own.imagineFlash().toString());
            case GUIDANCE -> { }
        }
        return m;
    }
}
