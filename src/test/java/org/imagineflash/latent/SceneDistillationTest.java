package org.imagineflash.latent;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.imagineflash.data.scenes.CaptionParser;
import org.imagineflash.data.scenes.SceneGenerator;
import org.imagineflash.data.scenes.ScenesTest;
import org.imagineflash.distill.Adversarial;
import org.imagineflash.distill.AdversarialTerm;
import org.imagineflash.distill.DistillOptions;
import org.imagineflash.distill.methods.DistillMethod;
import org.imagineflash.model.ClassLabels;
import org.imagineflash.model.Condition;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.TextEncoderConfig;
import org.imagineflash.model.TextTokens;
import org.imagineflash.model.UNetConfig;
import org.imagineflash.schedule.ScheduleConfig;
import org.imagineflash.distill.baseline.AdversarialDiffusionDistillation;
import org.imagineflash.distill.baseline.LatentConsistencyDistillation;
import org.imagineflash.distill.imagineflash.ImagineFlashOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every distillation method on a text-to-image latent teacher: the condition is a prompt, the examples are latents. */
class SceneDistillationTest {
    private static Autoencoder ae;
    private static DiffusionModel teacher;
    private static SceneLatents data;

    @BeforeAll
    static void setUp() {
        ae = Autoencoder.create(AutoencoderTest.tiny(), 1);
        UNetConfig u = UNetConfig.builder(ae.config().latentSize(), 1).inChannels(ae.config().latentChannels()).baseChannels(16)
                .channelMults(1, 2).attentionResolutions(6).groups(4).heads(2)
                .text(new TextEncoderConfig(CaptionParser.words(), 16, 1, 2, 12)).build();
        teacher = DiffusionModel.create(ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS).onLatents("tiny", null), 3);
        data = new SceneLatents(new SceneGenerator(ScenesTest.garments(10), false, 0), ae, 12);
    }

    @AfterAll
    static void tearDown() {
        teacher.close();
        ae.close();
    }

    @Test
    void conditionsAreTrainingCaptionsAndExamplesTheirLatents() {
        try (NDManager sub = teacher.manager().newSubManager()) {
            Condition c = data.conditions(teacher, new SplittableRandom(5), 64, sub);
            long[] ids = ((TextTokens) c).tokens().toLongArray();
            assertEquals(64 * 12, ids.length);
            for (int i = 0; i < 64; i++) {
                assertNotEquals(0, ids[i * 12], "every drawn prompt has words (none is dropped to ∅)");
            }
            // the same draws as the examples' captions: conditions(r) is examples(r) without the images
            TextTokens fromExamples = (TextTokens) data.examples(teacher, new SplittableRandom(5), 64, sub).condition();
            assertArrayEquals(ids, fromExamples.tokens().toLongArray());
            assertEquals(new ai.djl.ndarray.types.Shape(64, 4, 12, 12), data.examples(teacher, new SplittableRandom(5), 64, sub).x0().getShape());
        }
    }

    @Test
    void aPromptsCodeIsItsBagOfWordsAndTheNullConditionIsZero() {
        try (NDManager sub = teacher.manager().newSubManager()) {
            long[] ids = new long[24];
            System.arraycopy(CaptionParser.ids("a red bag", 12), 0, ids, 0, 12);
            TextTokens t = teacher.textTokens(sub, ids, 2);
            float[] code = t.code().toFloatArray();
            int v = CaptionParser.words().size() - 1;
            assertEquals(2 * v, code.length);
            double first = 0;
            double second = 0;
            for (int i = 0; i < v; i++) {
                first += code[i];
                second += code[v + i];
            }
            assertEquals(3, first, "a, red, bag");
            assertEquals(0, second, "the empty prompt ∅ codes as zeros");
            ClassLabels l = ClassLabels.of(sub, new int[] {2, 10}, 10);
            assertArrayEquals(new float[] {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, l.code().toFloatArray());
        }
    }

    @Test
    void everyMethodDistilsATextTeacherIntoAPromptFollowingStudent() throws Exception {
        int[] lcm = DistillMethod.LCM.timesteps(1000, 2);
        for (DistillMethod m : new DistillMethod[] {DistillMethod.IMAGINE_FLASH, DistillMethod.STEP, DistillMethod.LCM, DistillMethod.ADD}) {
            int[] ts = m == DistillMethod.LCM ? lcm : m.timesteps(1000, 2);
            DistillOptions o = DistillOptions.builder(ts).studentPrediction(m == DistillMethod.IMAGINE_FLASH ? "v" : "same").cfg(2.0)
                    .iterations(3).batchSize(4).lr(1e-4).emaDecay(0.5).build();
            Adversarial critic = new Adversarial(0.1, Adversarial.DEFAULT_DISC_LR, AdversarialTerm.Critic.PIXELS);
            DistillMethod.MethodOptions own = new DistillMethod.MethodOptions(
                    ImagineFlashOptions.builder(ts.length).teacherSteps(1).adversarial(critic).build(), 4,
                    LatentConsistencyDistillation.Options.script(),
                    new AdversarialDiffusionDistillation.Options(critic, AdversarialDiffusionDistillation.TeacherTime.UNIFORM));
            var r = m.create(teacher, o, own, data, null).run(null, false, null);
            try (DiffusionModel s = r.ema(); NDManager sub = s.manager().newSubManager()) {
                assertTrue(s.config().isStudent() && s.config().unet().isTextConditioned(), m + " gives a text-to-image student");
                assertEquals(3, r.losses().size());
                long[] ids = new long[24];
                System.arraycopy(CaptionParser.ids("a red bag", 12), 0, ids, 0, 12);
                System.arraycopy(CaptionParser.ids("a blue sneaker left of a white coat", 12), 0, ids, 12, 12);
                NDArray z = sub.ones(new ai.djl.ndarray.types.Shape(2, 4, 12, 12));
                float[] x0 = s.predict(z, ts[0], s.textTokens(sub, ids, 2)).x0().toFloatArray();
                int half = x0.length / 2;
                boolean differs = false;
                for (int i = 0; i < half; i++) {
                    assertFalse(Float.isNaN(x0[i]) || Float.isNaN(x0[half + i]), m + ": finite x̂_0");
                    differs |= Math.abs(x0[i] - x0[half + i]) > 1e-6;
                }
                assertTrue(differs, m + ": the prompt changes the student's prediction");
            }
        }
    }
}
