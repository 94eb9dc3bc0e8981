package org.imagineflash.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.List;

/**
 * The trainable part of a discriminator on frozen features (ADD, Sauer et al. 2023; LADD 2024): one small head per
 * feature map. Head i maps every position with a linear layer and leaky ReLU, averages over positions to h_i, and
 * scores with a class projection (Miyato &amp; Koyama 2018): s_i = w_i·h_i + b_i + ⟨embed_i(c), h_i⟩. D = Σ_i s_i.
 * With image conditioning (ADD's c_img: the embedding of the real image the student's input was made from) each head
 * adds a second projection ⟨P_i·e, h_i⟩, so the critic judges whether the image fits its source, not only its class.
 * Inputs: the feature maps ((B, C_i, H_i, W_i) or (B, C_i)), then the condition's code (B, K) ({@link org.imagineflash.model.Condition#code}), then the image embedding (B, E) when
 * conditioned. Output: (B) scores.
 */
public final class FeatureHeads extends AbstractBlock {
    private final int codeSize;
    private final int width;
    private final List<Linear> maps = new ArrayList<>();
    private final List<Linear> outs = new ArrayList<>();
    private final List<Linear> embeds = new ArrayList<>();
    private final List<Linear> imageProjections = new ArrayList<>();
    private final int imageEmbedding;

    /**
     * @param heads how many feature maps the network gives
     * @param codeSize K, the length of the condition's code
     * @param imageEmbedding size of the image embedding the critic is conditioned on (0: none)
     */
    public FeatureHeads(int heads, int codeSize, int width, int imageEmbedding) {
        super((byte) 1);
        this.codeSize = codeSize;
        this.width = width;
        this.imageEmbedding = imageEmbedding;
        for (int i = 0; i < heads; i++) {
            maps.add(addChildBlock("map" + i, Linear.builder().setUnits(width).build()));
            outs.add(addChildBlock("out" + i, Linear.builder().setUnits(1).build()));
            embeds.add(addChildBlock("embed" + i, Linear.builder().setUnits(width).optBias(false).build()));
            if (imageEmbedding > 0) {
                imageProjections.add(addChildBlock("image" + i, Linear.builder().setUnits(width).optBias(false).build()));
            }
        }
    }

    /** (B, C, H, W) → (B·H·W, C); (B, C) stays. */
    private static NDArray positions(NDArray f) {
        Shape s = f.getShape();
        return s.dimension() == 2 ? f : f.transpose(0, 2, 3, 1).reshape(-1, s.get(1));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        int heads = maps.size();
        NDArray code = inputs.get(heads);
        long b = code.getShape().get(0);
        NDArray score = null;
        for (int i = 0; i < heads; i++) {
            NDArray p = Activation.leakyRelu(maps.get(i).forward(ps, new NDList(positions(inputs.get(i))), training).head(), 0.2f);
            NDArray h = p.reshape(b, -1, width).mean(new int[] {1}); // (B, width)
            NDArray e = embeds.get(i).forward(ps, new NDList(code), training).head();
            NDArray s = outs.get(i).forward(ps, new NDList(h), training).head().reshape(-1).add(e.mul(h).sum(new int[] {1}));
            if (imageEmbedding > 0) {
                NDArray pi = imageProjections.get(i).forward(ps, new NDList(inputs.get(heads + 1)), training).head();
                s = s.add(pi.mul(h).sum(new int[] {1}));
            }
            score = score == null ? s : score.add(s);
        }
        return new NDList(score);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[maps.size()].get(0))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (int i = 0; i < maps.size(); i++) {
            maps.get(i).initialize(manager, dataType, new Shape(1, inputShapes[i].get(1)));
            outs.get(i).initialize(manager, dataType, new Shape(1, width));
            embeds.get(i).initialize(manager, dataType, new Shape(1, codeSize));
            if (imageEmbedding > 0) {
                imageProjections.get(i).initialize(manager, dataType, new Shape(1, imageEmbedding));
            }
        }
    }
}
