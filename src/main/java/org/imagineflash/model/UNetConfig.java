package org.imagineflash.model;

import java.util.Arrays;

/**
 * Architecture of the {@link UNet}, validated; saved as part of config.json next to the weights.
 *
 * @param imageSize H = W of the input
 * @param inChannels image channels (1 for grayscale)
 * @param baseChannels channels of the first level
 * @param channelMults channel multiplier per resolution level (each level after the first halves H and W)
 * @param numResBlocks residual blocks per level on the way down (one more on the way up)
 * @param attentionResolutions resolutions (H) at which self-attention follows each residual block
 * @param numClasses number of real classes; index numClasses is the null class for classifier-free guidance
 * @param groups GroupNorm groups
 * @param heads attention heads
 * @param text null for a class-conditional network; else its text encoder, and cross-attention to the prompt's tokens
 *             follows every self-attention (numClasses is then unused)
 */
public record UNetConfig(int imageSize, int inChannels, int baseChannels, int[] channelMults, int numResBlocks,
                         int[] attentionResolutions, int numClasses, int groups, int heads,
                         @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                         TextEncoderConfig text) {
    public UNetConfig {
        if (imageSize < 4 || imageSize > 1024) {
            throw new IllegalArgumentException("imageSize must be in 4..1024, got " + imageSize);
        }
        if (inChannels < 1 || inChannels > 64) {
            throw new IllegalArgumentException("inChannels must be in 1..64, got " + inChannels);
        }
        if (baseChannels < 1 || baseChannels > 1024) {
            throw new IllegalArgumentException("baseChannels must be in 1..1024, got " + baseChannels);
        }
        if (channelMults == null || channelMults.length == 0 || channelMults.length > 8) {
            throw new IllegalArgumentException("channelMults must list 1..8 levels");
        }
        int size = imageSize;
        for (int i = 0; i < channelMults.length; i++) {
            if (channelMults[i] < 1 || channelMults[i] > 16) {
                throw new IllegalArgumentException("channelMults must be in 1..16, got " + Arrays.toString(channelMults));
            }
            if ((baseChannels * channelMults[i]) % groups != 0) {
                throw new IllegalArgumentException("channels " + baseChannels * channelMults[i] + " of level " + i
                        + " are not divisible by groups=" + groups);
            }
            if (i < channelMults.length - 1) {
                if (size % 2 != 0) {
                    throw new IllegalArgumentException("imageSize " + imageSize + " cannot be halved "
                            + (channelMults.length - 1) + " times (channelMults " + Arrays.toString(channelMults) + ")");
                }
                size /= 2;
            }
        }
        if (numResBlocks < 1 || numResBlocks > 16) {
            throw new IllegalArgumentException("numResBlocks must be in 1..16, got " + numResBlocks);
        }
        // a rough count (two 3×3 convolutions per residual block, down and up paths) so that an absurd config.json is
        // refused here rather than by the native allocator
        double params = 0;
        for (int m : channelMults) {
            params += 3.0 * numResBlocks * 2 * 9 * Math.pow((double) baseChannels * m, 2);
        }
        if (params > 2e9) {
            throw new IllegalArgumentException(String.format("the architecture is too large (about %.1e parameters; baseChannels %d, channelMults %s)",
                    params, baseChannels, Arrays.toString(channelMults)));
        }
        if (attentionResolutions == null) {
            attentionResolutions = new int[0];
        }
        if (numClasses < 1 || numClasses > 100_000) {
            throw new IllegalArgumentException("numClasses must be in 1..100000, got " + numClasses);
        }
        if (groups < 1 || baseChannels % groups != 0) {
            throw new IllegalArgumentException("groups must divide baseChannels (" + baseChannels + "), got " + groups);
        }
        if (heads < 1 || heads > 64) {
            throw new IllegalArgumentException("heads must be in 1..64, got " + heads);
        }
    }

    /** A builder for {@code imageSize}×{@code imageSize} images of {@code numClasses} classes; defaults: 1 channel, base 32, ×1,2,2, one residual block, attention at 7, 8 groups, 4 heads. */
    public static Builder builder(int imageSize, int numClasses) {
        return new Builder(imageSize, numClasses);
    }

    /** Builds {@link UNetConfig}; the constructor validates. */
    public static final class Builder {
        private final int imageSize;
        private final int numClasses;
        private int inChannels = 1;
        private int baseChannels = 32;
        private int[] channelMults = {1, 2, 2};
        private int numResBlocks = 1;
        private int[] attentionResolutions = {7};
        private int groups = 8;
        private int heads = 4;
        private TextEncoderConfig text;

        private Builder(int imageSize, int numClasses) {
            this.imageSize = imageSize;
            this.numClasses = numClasses;
        }

        public Builder inChannels(int v) {
            inChannels = v;
            return this;
        }

        public Builder baseChannels(int v) {
            baseChannels = v;
            return this;
        }

        public Builder channelMults(int... v) {
            channelMults = v;
            return this;
        }

        public Builder numResBlocks(int v) {
            numResBlocks = v;
            return this;
        }

        public Builder attentionResolutions(int... v) {
            attentionResolutions = v;
            return this;
        }

        public Builder groups(int v) {
            groups = v;
            return this;
        }

        public Builder heads(int v) {
            heads = v;
            return this;
        }

        /** A text-conditioned network with this text encoder. */
        public Builder text(TextEncoderConfig v) {
            text = v;
            return this;
        }

        public UNetConfig build() {
            return new UNetConfig(imageSize, inChannels, baseChannels, channelMults, numResBlocks, attentionResolutions, numClasses, groups, heads, text);
        }
    }

    /** The shipped teacher's architecture: base 32, multipliers 1,2,2, attention at 7×7. */
    public static UNetConfig fashionMnist() {
        return builder(28, 10).numResBlocks(2).build();
    }

    /** Whether the network is conditioned on prompt tokens rather than a class. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isTextConditioned() {
        return text != null;
    }

    public int nullClass() {
        return numClasses;
    }

    public int embDim() {
        return 4 * baseChannels;
    }

    public boolean attentionAt(int resolution) {
        return Arrays.stream(attentionResolutions).anyMatch(r -> r == resolution);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UNetConfig c && imageSize == c.imageSize && inChannels == c.inChannels
                && baseChannels == c.baseChannels && Arrays.equals(channelMults, c.channelMults)
                && numResBlocks == c.numResBlocks && Arrays.equals(attentionResolutions, c.attentionResolutions)
                && numClasses == c.numClasses && groups == c.groups && heads == c.heads && java.util.Objects.equals(text, c.text);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(channelMults) * 31 + imageSize * 7 + baseChannels + numResBlocks * 13;
    }

    @Override
    public String toString() {
        return "UNetConfig[imageSize=" + imageSize + ", base=" + baseChannels + ", mults=" + Arrays.toString(channelMults)
                + ", resBlocks=" + numResBlocks + ", attention=" + Arrays.toString(attentionResolutions)
                + (text == null ? ", classes=" + numClasses : ", text encoder width " + text.width() + " × " + text.layers()) + "]";
    }
}
