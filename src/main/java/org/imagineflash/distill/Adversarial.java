package org.imagineflash.distill;

/**
 * The options of an adversarial term (Imagine Flash's optional one, ADD's own).
 *
 * @param weight λ_adv (0: no adversarial term)
 * @param discLr the critic's learning rate
 * @param critic what the critic looks at
 */
public record Adversarial(double weight, double discLr, AdversarialTerm.Critic critic) {
    public static final double DEFAULT_DISC_LR = 2e-4;

    public Adversarial {
        if (!(weight >= 0 && weight <= 10)) {
            throw new IllegalArgumentException("--adv-weight must be in [0, 10], got " + weight);
        }
        if (!(discLr > 0 && discLr < 1)) {
            throw new IllegalArgumentException("--disc-lr must be in (0, 1), got " + discLr);
        }
        if (critic == null) {
            throw new IllegalArgumentException("--disc is required (teacher-features, teacher-features-source or pixels)");
        }
    }

    /** No adversarial term. */
    public static Adversarial none() {
        return new Adversarial(0, DEFAULT_DISC_LR, AdversarialTerm.Critic.PIXELS);
    }

    public boolean enabled() {
        return weight > 0;
    }

    @Override
    public String toString() {
        return enabled() ? "adv=" + weight + ", disc=" + critic + ", discLr=" + discLr : "adv=0";
    }
}
