package org.imagineflash.model;

import org.imagineflash.data.LabeledImages;
import org.imagineflash.schedule.ScheduleConfig;

/** Small architectures and synthetic data for fast tests. */
public final class TinyModels {
    private TinyModels() {
    }

    public static UNetConfig unet() {
        return UNetConfig.builder(8, 3).baseChannels(8).channelMults(1, 2)
                .numResBlocks(1).attentionResolutions(4).groups(4).heads(2).build();
    }

    /** A tiny text-conditioned UNet on the scene task's 4×12×12 latents, reading the scene vocabulary. */
    public static UNetConfig sceneUnet() {
        return UNetConfig.builder(12, 1).inChannels(4).baseChannels(16).channelMults(1, 2).attentionResolutions(6)
                .groups(4).heads(2).text(new TextEncoderConfig(org.imagineflash.data.scenes.CaptionParser.words(), 16, 1, 2, 12)).build();
    }

    public static ModelConfig teacher() {
        return ModelConfig.teacher(unet(), ScheduleConfig.ddpmLinear(), Parameterization.EPS);
    }

    /** Three classes of 8×8 images: a bright left half, a bright right half, a bright square in the middle. */
    public static LabeledImages shapes(int perClass) {
        int n = 3 * perClass;
        byte[] px = new byte[n * 64];
        int[] labels = new int[n];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < n; i++) {
            int k = i % 3;
            labels[i] = k;
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    boolean on = k == 0 ? x < 4 : k == 1 ? x >= 4 : (x >= 2 && x < 6 && y >= 2 && y < 6);
                    int v = on ? 220 + r.nextInt(30) : r.nextInt(30);
                    px[i * 64 + y * 8 + x] = (byte) v;
                }
            }
        }
        return new LabeledImages(px, labels, 8, 8, 3);
    }
}
