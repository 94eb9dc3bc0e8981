package org.imagineflash.model;

import java.util.List;

/**
 * The text encoder of a text-conditioned {@link UNet}, trained jointly with it (as GLIDE) or pre-trained and frozen (as
 * Imagen's T5 and Stable Diffusion's CLIP encoder): token embedding plus a
 * learned position embedding, {@code layers} transformer blocks, giving the token sequence the UNet's cross-attention
 * reads and, with {@code pooled}, a pooled vector added to the timestep embedding (as Imagen). Without it (as Stable
 * Diffusion) cross-attention is the network's only way to the prompt: the pooled mean is blind to word order, and a
 * network that has it can lean on it and ignore relations and which colour goes with which garment (report/FINDINGS.md).
 *
 * @param vocabulary the tokens, in index order (0 = padding, which also encodes the empty prompt ∅)
 * @param width W, the encoder's width
 * @param layers transformer blocks
 * @param heads attention heads
 * @param maxTokens L, the padded prompt length
 * @param pooled whether the pooled prompt joins the timestep embedding (absent in older config.json files: yes)
 * @param frozen whether the encoder was pre-trained (contrastively, {@code train-contrastive --hard-negatives}) and is
 *               frozen: the UNet reads it in inference mode and no gradient reaches it, in the teacher's training and in
 *               its students' (absent in older config.json files: no, it is trained jointly)
 */
public record TextEncoderConfig(List<String> vocabulary, int width, int layers, int heads, int maxTokens, Boolean pooled, Boolean frozen) {
    /** A jointly trained encoder whose pooled prompt joins the timestep embedding. */
    public TextEncoderConfig(List<String> vocabulary, int width, int layers, int heads, int maxTokens) {
        this(vocabulary, width, layers, heads, maxTokens, true, false);
    }

    /** A jointly trained encoder. */
    public TextEncoderConfig(List<String> vocabulary, int width, int layers, int heads, int maxTokens, Boolean pooled) {
        this(vocabulary, width, layers, heads, maxTokens, pooled, false);
    }

    public TextEncoderConfig {
        if (pooled == null) {
            pooled = true;
        }
        if (frozen == null) {
            frozen = false;
        }
        if (vocabulary == null || vocabulary.size() < 2 || vocabulary.size() > 1_000_000) {
            throw new IllegalArgumentException("a text encoder needs a vocabulary of 2..1000000 tokens");
        }
        vocabulary = List.copyOf(vocabulary);
        if (width < 2 || width > 4096 || layers < 1 || layers > 48 || heads < 1 || width % heads != 0 || maxTokens < 1 || maxTokens > 512) {
            throw new IllegalArgumentException("invalid text encoder: width " + width + ", layers " + layers + ", heads " + heads
                    + ", maxTokens " + maxTokens + " (width must be divisible by heads)");
        }
    }

    /** This encoder, frozen (a warm start from a jointly trained teacher whose encoder is then replaced and frozen). */
    public TextEncoderConfig asFrozen() {
        return new TextEncoderConfig(vocabulary, width, layers, heads, maxTokens, pooled, true);
    }
}
