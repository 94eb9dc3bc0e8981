package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.transformer.IdEmbedding;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.List;

/**
 * A small transformer text encoder from DJL's blocks ({@link TextEncoderConfig}). Input: tokens (B, L). Output: the
 * token sequence (B, L, W) and its mean over non-padding tokens (B, W); for the empty prompt, the mean over all.
 */
public final class TextEncoder extends AbstractBlock {
    private final TextEncoderConfig config;
    private final IdEmbedding tokens;
    private final Parameter positions;
    private final List<TransformerEncoderBlock> layers = new ArrayList<>();

    public TextEncoder(TextEncoderConfig config) {
        super((byte) 1);
        this.config = config;
        tokens = addChildBlock("tokens", new IdEmbedding.Builder().setDictionarySize(config.vocabulary().size())
                .setEmbeddingSize(config.width()).build());
        positions = addParameter(Parameter.builder().setName("positions").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(config.maxTokens(), config.width())).build());
        for (int i = 0; i < config.layers(); i++) {
            layers.add(addChildBlock("layer" + i, new TransformerEncoderBlock(config.width(), config.heads(), 2 * config.width(), 0f,
                    Activation::gelu)));
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        NDArray h = TokenEmbedding.lookup(ps, tokens, ids, training)
                .add(ps.getValue(positions, ids.getDevice(), training).expandDims(0)); // (B, L, W)
        for (TransformerEncoderBlock layer : layers) {
            h = layer.forward(ps, new NDList(h), training).head();
        }
        NDArray real = ids.neq(0).toType(DataType.FLOAT32, false); // (B, L)
        NDArray weights = real.add(real.sum(new int[] {1}, true).eq(0).toType(DataType.FLOAT32, false)).expandDims(2); // ∅: all
        NDArray pooled = h.mul(weights).sum(new int[] {1}).div(weights.sum(new int[] {1}));
        return new NDList(h, pooled);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {new Shape(s.get(0), s.get(1), config.width()), new Shape(s.get(0), config.width())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        tokens.initialize(manager, dataType, s);
        for (TransformerEncoderBlock layer : layers) {
            layer.initialize(manager, dataType, new Shape(s.get(0), s.get(1), config.width()));
        }
    }
}
