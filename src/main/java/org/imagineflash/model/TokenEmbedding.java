package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.transformer.IdEmbedding;
import ai.djl.training.ParameterStore;

/**
 * The token embeddings (B, L, W) of ids (B, L) from an {@link IdEmbedding}'s table, safe when several threads run the
 * model at once. {@code IdEmbedding.forward} attaches the shared table to a scope of the caller's for the lookup and
 * hands it back afterwards; two server workers at once handed it back to another's closed scope, releasing the
 * weights, and every later request failed. Here the lookup is a one-hot product (exact: one product by 1, the rest by
 * 0) whose result belongs to the ids' manager, with the same gradient for the table.
 */
public final class TokenEmbedding {
    private TokenEmbedding() {
    }

    public static NDArray lookup(ParameterStore ps, IdEmbedding embedding, NDArray ids, boolean training) {
        NDArray table = ps.getValue(embedding.getParameters().get("embedding"), ids.getDevice(), training); // (V, W)
        return ids.oneHot((int) table.getShape().get(0)).matMul(table);
    }
}
