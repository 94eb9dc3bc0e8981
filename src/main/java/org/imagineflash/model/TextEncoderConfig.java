package org.imagineflash.model;

import java.util.List;

/**
 * The text encoder of a text-conditioned {@link UNet}, trained jointly with it (as GLIDE): token embedding plus a
 * learned position embedding, {@code layers} transformer blocks, giving the token sequence the UNet's cross-attention
 * reads and a pooled vector added to the timestep embedding (as Imagen).
 *
 * @param vocabulary the tokens, in index order (0 = padding, which also encodes the empty prompt ∅)
 * @param width W, the encoder's width
 * @param layers transformer blocks
 * @param heads attention heads
 * @param maxTokens L, the padded prompt length
 */
public record TextEncoderConfig(List<String> vocabulary, int width, int layers, int heads, int maxTokens) {
    public TextEncoderConfig {
        if (vocabulary == null || vocabulary.size() < 2 || vocabulary.size() > 1_000_000) {
            throw new IllegalArgumentException("a text encoder needs a vocabulary of 2..1000000 tokens");
        }
        vocabulary = List.copyOf(vocabulary);
        if (width < 2 || width > 4096 || layers < 1 || layers > 48 || heads < 1 || width % heads != 0 || maxTokens < 1 || maxTokens > 512) {
            throw new IllegalArgumentException("invalid text encoder: width " + width + ", layers " + layers + ", heads " + heads
                    + ", maxTokens " + maxTokens + " (width must be divisible by heads)");
        }
    }
}
