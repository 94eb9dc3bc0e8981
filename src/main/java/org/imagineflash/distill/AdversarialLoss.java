package org.imagineflash.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** Hinge GAN losses (Lim &amp; Ye 2017; as in ADD): D minimises E[relu(1 − D(real))] + E[relu(1 + D(fake))]; G minimises −E[D(fake)]. *
 * <p>Scalars enter only through {@code add} (which saves nothing for backward): a Java-number factor in a
 * multiplication would be saved for backward in memory DJL releases (see {@code Tensors}).
 */
public final class AdversarialLoss {
    private AdversarialLoss() {
    }

    public static NDArray discriminator(NDArray realScores, NDArray fakeScores) {
        return Activation.relu(realScores.neg().add(1)).mean().add(Activation.relu(fakeScores.add(1)).mean());
    }

    public static NDArray generator(NDArray fakeScores) {
        return fakeScores.mean().neg();
    }
}
