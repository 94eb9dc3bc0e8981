package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * What a batch is conditioned on: the c of ε̂(x_t, t, c). The network receives {@link #inputs()} after x_t and t.
 * Classifier-free guidance (Ho &amp; Salimans 2022) needs only the null condition ∅ of the same batch
 * ({@link #unconditional()}) and a batch that holds both ({@link #concat}), so samplers, guidance and every
 * distillation method work unchanged for any kind of condition: class labels ({@link ClassLabels}) or a prompt's
 * tokens ({@link TextTokens}).
 */
public interface Condition {
    /** B, the number of images conditioned. */
    long batchSize();

    /** The network's condition inputs, each with B as its first dimension. */
    NDList inputs();

    /** ∅ for every image of the batch: what the network was trained on when the condition was dropped. */
    Condition unconditional();

    /** This batch followed by {@code other}'s (same kind of condition). */
    Condition concat(Condition other);

    /**
     * (B, K) float32: each condition as a fixed-length vector, for a critic that projects its features onto the
     * condition (projection discriminator, Miyato &amp; Koyama 2018): a class's one-hot, a prompt's bag of words; ∅ is
     * all zeros. K is the same for every batch of a model.
     */
    NDArray code();
}
