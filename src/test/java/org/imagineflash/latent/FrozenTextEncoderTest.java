package org.imagineflash.latent;

import ai.djl.nn.Parameter;
import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.data.scenes.ScenesTest;
import org.imagineflash.eval.ContrastiveModel;
import org.imagineflash.model.BlockWeights;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.TextEncoderConfig;
import org.imagineflash.model.UNet;
import org.imagineflash.model.UNetConfig;
import org.imagineflash.schedule.ScheduleConfig;
import org.imagineflash.train.TeacherTraining;
import org.imagineflash.train.TrainOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A teacher whose text encoder is a contrastive model's text tower, frozen: it starts from it and keeps it. */
class FrozenTextEncoderTest {
    @Test
    void theTeacherStartsFromThePretrainedEncoderAndNeverChangesIt(@TempDir Path dir) throws Exception {
        ContrastiveModel.Config cc = new ContrastiveModel.Config("contrastive", 16, 16, 1, 2, 12, CaptionParser.words());
        Path pre = dir.resolve("text-encoder");
        List<float[]> pretrained;
        try (ContrastiveModel m = ContrastiveModel.create(cc, 3)) {
            m.save(pre, Map.of());
            pretrained = m.textEncoderParameters().stream().map(p -> p.getArray().toFloatArray()).toList();
        }
        try (Autoencoder ae = Autoencoder.create(AutoencoderTest.tiny(), 1)) {
            TextEncoderConfig text = new TextEncoderConfig(CaptionParser.words(), 16, 1, 2, 12, true, true);
            UNetConfig u = UNetConfig.builder(ae.config().latentSize(), 1).inChannels(ae.config().latentChannels()).baseChannels(16)
                    .channelMults(1, 2).attentionResolutions(6).groups(4).heads(2).text(text).build();
            ModelConfig config = ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS).onLatents("tiny", null);
            TrainOptions opt = TrainOptions.builder(12).batchSize(8).lr(2e-3).warmup(2).emaDecay(0.5).labelDropout(0.1).seed(2).build();
            SceneLatents data = new SceneLatents(new SceneGenerator(ScenesTest.garments(10), false, 0), ae, 12);
            TeacherTraining.Result r = new TeacherTraining(config, opt).textEncoder(pre).run(data, null, null, false, null);
            try (var ema = r.ema()) {
                UNet unet = (UNet) ema.network();
                List<Parameter> encoder = BlockWeights.parameters(unet.textEncoder());
                for (int i = 0; i < encoder.size(); i++) { // the EMA of an unchanging weight rounds in its last bit
                    assertArrayEquals(pretrained.get(i), encoder.get(i).getArray().toFloatArray(), 1e-6f, encoder.get(i).getName());
                }
                // the rest of the network did learn
                float[] conv = BlockWeights.parameters(unet).get(0).getArray().toFloatArray();
                try (var fresh = org.imagineflash.model.DiffusionModel.create(config, opt.seed())) {
                    assertFalse(Arrays.equals(conv, BlockWeights.parameters(fresh.network()).get(0).getArray().toFloatArray()));
                }
            }
            // an encoder of another width does not fit, and says so
            TextEncoderConfig wide = new TextEncoderConfig(CaptionParser.words(), 32, 1, 2, 12, true, true);
            UNetConfig w = UNetConfig.builder(ae.config().latentSize(), 1).inChannels(ae.config().latentChannels()).baseChannels(16)
                    .channelMults(1, 2).attentionResolutions(6).groups(4).heads(2).text(wide).build();
            ModelConfig wc = ModelConfig.teacher(w, ScheduleConfig.ddpmLinear(), Parameterization.EPS).onLatents("tiny", null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TeacherTraining(wc, opt).textEncoder(pre).run(data, null, null, false, null));
            assertTrue(e.getMessage().contains("--text-encoder"), e.getMessage());
        }
    }
}
