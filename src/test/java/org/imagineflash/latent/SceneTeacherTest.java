package org.imagineflash.latent;

import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.data.scenes.ScenesTest;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.TextEncoderConfig;
import org.imagineflash.model.UNetConfig;
import org.imagineflash.schedule.ScheduleConfig;
import org.imagineflash.train.TeacherTraining;
import org.imagineflash.train.TrainOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

class SceneTeacherTest {
    @Test
    void aTextTeacherLearnsToDenoiseSceneLatents() throws Exception {
        try (Autoencoder ae = Autoencoder.create(AutoencoderTest.tiny(), 1)) {
            UNetConfig u = UNetConfig.builder(ae.config().latentSize(), 1).inChannels(ae.config().latentChannels()).baseChannels(16)
                    .channelMults(1, 2).attentionResolutions(6).groups(4).heads(2)
                    .text(new TextEncoderConfig(CaptionParser.words(), 16, 1, 2, 12)).build();
            ModelConfig config = ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS).onLatents("tiny", null);
            TrainOptions opt = TrainOptions.builder(60).batchSize(16).lr(2e-3).warmup(5).emaDecay(0.9).labelDropout(0.1).seed(2).build();
            SceneLatents data = new SceneLatents(new SceneGenerator(ScenesTest.garments(10), false, 0), ae, 12);
            TeacherTraining.Result r = new TeacherTraining(config, opt).run(data, null, null, false, null);
            try (var ema = r.ema()) {
                List<Float> l = r.losses();
                double first = l.subList(0, 10).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
                double last = l.subList(50, 60).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
                assertTrue(last < 0.8 * first, "loss " + first + " → " + last);
                assertTrue(ema.config().unet().isTextConditioned());
            }
        }
    }
}
