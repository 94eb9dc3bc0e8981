package org.imagineflash.distill.methods;

import org.imagineflash.train.TrainingData;
import org.imagineflash.distill.AdversarialTerm;
import org.imagineflash.distill.DistillOptions;
import org.imagineflash.distill.Distillation;
import org.imagineflash.distill.baseline.AdversarialDiffusionDistillation;
import org.imagineflash.distill.baseline.GuidanceDistillation;
import org.imagineflash.distill.baseline.LatentConsistencyDistillation;
import org.imagineflash.distill.baseline.StepDistillation;
import org.imagineflash.distill.imagineflash.ImagineFlashDistillation;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.sampling.LcmMultistep;
import org.imagineflash.schedule.TimestepSpacing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The registry of distillation methods: each method's id, its defaults (measured; see {@code report/FINDINGS.md}),
 * its timesteps, the validation of the switches that only some methods take, and its construction. The distill
 * command parses flags and delegates here.
 */
public enum DistillMethod {
    /** Imagine Flash: v students start from a reinterpreted output, so the larger rate; the pixel critic its students were trained with. */
    IMAGINE_FLASH(ImagineFlashDistillation.METHOD, 3e-4, "v", 0.0, AdversarialTerm.Critic.PIXELS),
    /** Step distillation fine-tunes the teacher's own function: 3e-4 measured FD 41.6 against 31.9 at 1e-4. */
    STEP(StepDistillation.METHOD, 1e-4, "same", 0.0, AdversarialTerm.Critic.TEACHER_FEATURES),
    /** Latent consistency distillation. */
    LCM(LatentConsistencyDistillation.METHOD, 3e-4, "same", 0.0, AdversarialTerm.Critic.TEACHER_FEATURES),
    /** Adversarial diffusion distillation: ADD's critic on frozen teacher features, λ_adv = 1. */
    ADD(AdversarialDiffusionDistillation.METHOD, 3e-5, "same", 1.0, AdversarialTerm.Critic.TEACHER_FEATURES),
    /** Guidance distillation (Meng et al.'s stage one). */
    GUIDANCE(GuidanceDistillation.METHOD, 1e-4, "same", 0.0, AdversarialTerm.Critic.TEACHER_FEATURES);

    /** The options only some methods take. */
    public record Extras(int startSteps, String lcmLoss, double lcmTargetDecay, AdversarialDiffusionDistillation.TeacherTime addTeacherTime) {
    }

    private final String id;
    private final double defaultLr;
    private final String defaultPrediction;
    private final double defaultAdvWeight;
    private final AdversarialTerm.Critic defaultCritic;

    DistillMethod(String id, double defaultLr, String defaultPrediction, double defaultAdvWeight, AdversarialTerm.Critic defaultCritic) {
        this.id = id;
        this.defaultLr = defaultLr;
        this.defaultPrediction = defaultPrediction;
        this.defaultAdvWeight = defaultAdvWeight;
        this.defaultCritic = defaultCritic;
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

    public double defaultAdvWeight() {
        return defaultAdvWeight;
    }

    public AdversarialTerm.Critic defaultCritic() {
        return defaultCritic;
    }

    /** The student's timesteps for {@code steps} steps: LCM's skipping schedule, else trailing. */
    public int[] timesteps(int numTrain, int steps) {
        if (steps < 1 || steps > 8) {
            throw new IllegalArgumentException("--steps must be in 1..8, got " + steps);
        }
        return this == LCM ? LcmMultistep.skippingTimesteps(numTrain, LatentConsistencyDistillation.ORIGINAL_STEPS, steps)
                : TimestepSpacing.TRAILING.timesteps(numTrain, steps, 0);
    }

    /**
     * The options this method runs with: refuses the switches it does not take (each message names the flag), and
     * turns noise correction, an Imagine Flash switch that defaults to on, off for the others.
     */
    public DistillOptions forRun(DistillOptions o, boolean criticChosen, boolean hasInit) {
        if (this != IMAGINE_FLASH && (o.inputs() != DistillOptions.Inputs.BACKWARD || o.target() != DistillOptions.Target.SRL
                || !o.noiseCorrection())) {
            throw new IllegalArgumentException("--inputs, --target and --noise-correction are Imagine Flash switches; not for --method " + id);
        }
        if ((this == STEP || this == LCM || this == GUIDANCE) && o.advWeight() != 0) {
            throw new IllegalArgumentException("--adv-weight is for imagine-flash and add, not --method " + id);
        }
        if (criticChosen && o.advWeight() == 0) {
            throw new IllegalArgumentException("--disc needs an adversarial term (--adv-weight > 0, or --method add)");
        }
        if (hasInit && this == GUIDANCE) {
            throw new IllegalArgumentException("--init is for the methods that start from it, not --method guidance");
        }
        return this == IMAGINE_FLASH ? o : o.toBuilder().noiseCorrection(false).build();
    }

    /** Whether the method trains on real images with these options (Imagine Flash only for forward inputs or a critic). */
    public boolean needsData(DistillOptions o) {
        return this != IMAGINE_FLASH || o.inputs() == DistillOptions.Inputs.FORWARD || o.advWeight() > 0;
    }

    /** The method's run on a teacher, from {@code init}'s weights (null: the teacher's). */
    public Distillation create(DiffusionModel teacher, DistillOptions o, TrainingData data, DiffusionModel init, Extras e) {
        return switch (this) {
            case STEP -> new StepDistillation(teacher, o, data, e.startSteps(), init);
            case LCM -> new LatentConsistencyDistillation(teacher, o, data, e.lcmLoss(), e.lcmTargetDecay(), init);
            case ADD -> new AdversarialDiffusionDistillation(teacher, o, data, init, e.addTeacherTime());
            case GUIDANCE -> new GuidanceDistillation(teacher, o, data);
            case IMAGINE_FLASH -> new ImagineFlashDistillation(teacher, o, data, init);
        };
    }

    /** The method-specific options for the model's provenance. */
    public Map<String, Object> provenance(Extras e) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (this == STEP) {
            m.put("startSteps", e.startSteps());
        } else if (this == LCM) {
            m.put("lcmLoss", e.lcmLoss());
            m.put("lcmTargetDecay", e.lcmTargetDecay());
        } else if (this == ADD) {
            m.put("addTeacherTime", e.addTeacherTime().name().toLowerCase(java.util.Locale.ROOT));
        }
        return m;
    }
}
