package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Prompt conditioning: the token indices of each prompt, padded with 0 to L. The empty prompt (all padding) is ∅, as
 * the text-to-image models that drop captions for classifier-free guidance do.
 *
 * @param tokens (B, L) int64 token indices
 */
public record TextTokens(NDArray tokens) implements Condition {
    public TextTokens {
        if (tokens.getShape().dimension() != 2) {
            throw new IllegalArgumentException("prompt tokens must be (B, L), got shape " + tokens.getShape());
        }
    }

    /** B prompts of L tokens each, row-major. */
    public static TextTokens of(NDManager m, long[] ids, int batch, int length) {
        if (ids.length != (long) batch * length) {
            throw new IllegalArgumentException(ids.length + " token ids for " + batch + " prompts of " + length);
        }
        return new TextTokens(m.create(ids, new Shape(batch, length)));
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
        return new TextTokens(tokens.zerosLike());
    }

    @Override
    public TextTokens concat(Condition other) {
        if (!(other instanceof TextTokens t)) {
            throw new IllegalArgumentException("cannot batch prompts with " + other.getClass().getSimpleName());
        }
        return new TextTokens(tokens.concat(t.tokens()));
    }
}
