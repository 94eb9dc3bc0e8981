package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Prompt conditioning: the token indices of each prompt, padded with 0 to L. The empty prompt (all padding) is ∅, as
 * the text-to-image models that drop captions for classifier-free guidance do.
 *
 * @param tokens (B, L) int64 token indices
 * @param vocabularySize V, the number of token indices (0 = padding)
 */
public record TextTokens(NDArray tokens, int vocabularySize) implements Condition {
    public TextTokens {
        if (tokens.getShape().dimension() != 2) {
            throw new IllegalArgumentException("prompt tokens must be (B, L), got shape " + tokens.getShape());
        }
        if (vocabularySize < 2) {
            throw new IllegalArgumentException("a vocabulary needs at least the padding token and one word, got " + vocabularySize);
        }
    }

    /** B prompts of L tokens each, row-major. */
    public static TextTokens of(NDManager m, long[] ids, int batch, int length, int vocabularySize) {
        if (ids.length != (long) batch * length) {
            throw new IllegalArgumentException(ids.length + " token ids for " + batch + " prompts of " + length);
        }
        return new TextTokens(m.create(ids, new Shape(batch, length)), vocabularySize);
    }

    @Override
    public long batchSize() {
        return tokens.getShape().get(0);
    }

    @Override
    public NDList inputs() {
        return new NDList(tokens);
    }

    @Override
    public TextTokens unconditional() {
        return new TextTokens(tokens.zerosLike(), vocabularySize);
    }

    @Override
    public TextTokens concat(Condition other) {
        if (!(other instanceof TextTokens t) || t.vocabularySize != vocabularySize) {
            throw new IllegalArgumentException("cannot batch these prompts with " + other);
        }
        return new TextTokens(tokens.concat(t.tokens()), vocabularySize);
    }

    /**
     * The bag of words (B, V − 1): 1 where a word occurs in the prompt, padding left out, so ∅ is all zeros. Word order
     * is lost ("a red bag left of a blue shirt" and "a blue shirt left of a red bag" share a code); the critic sees
     * the layout in the image.
     */
    @Override
    public NDArray code() {
        NDArray counts = tokens.toType(DataType.INT32, false).oneHot(vocabularySize).sum(new int[] {1});
        return counts.get(":, 1:").minimum(1f);
    }
}
