package org.imagineflash.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.imagineflash.export.onnx.Onnx;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelConfig;
import org.imagineflash.model.ModelStore;
import org.imagineflash.model.Parameterization;
import org.imagineflash.model.Tensors;
import org.imagineflash.model.UNetConfig;
import org.imagineflash.sampling.SamplerFamily;
import org.imagineflash.schedule.ScheduleConfig;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exported graph, run by ONNX Runtime, computes what the DJL network computes. */
class OnnxExportTest {
    /** Max |ONNX Runtime − DJL| over a batch of random inputs (every class, ∅ included, and timesteps over the range). */
    static double maxDifference(DiffusionModel m, int batch, long seed) throws Exception {
        UNetConfig u = m.config().unet();
        byte[] onnx = OnnxExport.unet(m, Map.of()).toByteArray();
        SplittableRandom r = new SplittableRandom(seed);
        int per = u.inChannels() * u.imageSize() * u.imageSize();
        float[] x = org.imagineflash.random.Seeds.gaussian(r, batch * per);
        float[] t = new float[batch];
        long[] labels = new long[batch];
        int[] labelInts = new int[batch];
        for (int i = 0; i < batch; i++) {
            t[i] = r.nextInt(1000);
            labels[i] = i % (u.numClasses() + 1); // the last is the null class
            labelInts[i] = (int) labels[i];
        }
        float[] expected;
        try (NDManager sub = m.manager().newSubManager()) {
            NDArray out = m.forward(Tensors.floats(sub, x, new Shape(batch, u.inChannels(), u.imageSize(), u.imageSize())),
                    Tensors.floats(sub, t), m.classLabels(sub, labelInts), false);
            expected = out.toFloatArray();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
             OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, u.inChannels(), u.imageSize(), u.imageSize()});
             OnnxTensor tt = OnnxTensor.createTensor(env, FloatBuffer.wrap(t), new long[] {batch});
             OnnxTensor ct = OnnxTensor.createTensor(env, LongBuffer.wrap(labels), new long[] {batch});
             OrtSession.Result res = s.run(Map.of("x", xt, "t", tt, "class", ct))) {
            FloatBuffer out = ((OnnxTensor) res.get("out").orElseThrow()).getFloatBuffer();
            float[] got = new float[out.remaining()];
            out.get(got);
            return maxAbsDifference(expected, got);
        }
    }

    @Test
    void aTinyModelWithAttentionAndEveryResampleMatches() throws Exception {
        UNetConfig u = UNetConfig.builder(8, 3).baseChannels(8).channelMults(1, 2, 2).numResBlocks(2).attentionResolutions(4, 2)
                .groups(4).heads(2).build();
        try (DiffusionModel m = DiffusionModel.create(ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS), 5)) {
            double d = maxDifference(m, 5, 1);
            assertTrue(d < 1e-4, "max |ORT − DJL| = " + d);
        }
    }

    @Test
    void theShippedStudentMatches() throws Exception {
        try (DiffusionModel m = ModelStore.load(Path.of("models/if-3step"))) {
            double d = maxDifference(m, 4, 2);
            System.out.printf("if-3step: max |ORT − DJL| = %.2e%n", d);
            assertTrue(d < 1e-4, "max |ORT − DJL| = " + d);
        }
    }

    @Test
    void theModelDeclaresItsOpsetAndAClassModelHasNoTextEncoder() throws Exception {
        try (DiffusionModel m = ModelStore.load(Path.of("models/if-1step"))) {
            Onnx.ModelProto p = OnnxExport.unet(m, Map.of("kind", "student"));
            assertEquals(OnnxGraph.OPSET, p.getOpsetImport(0).getVersion());
            assertEquals("x", p.getGraph().getInput(0).getName());
            assertEquals("out", p.getGraph().getOutput(0).getName());
            assertThrows(IllegalArgumentException.class, () -> OnnxExport.textEncoder(m, Map.of()));
        }
    }

    /**
     * Max |ONNX Runtime − DJL| of a text-to-image network run as its two graphs (text encoder, then UNet) on random
     * latents, timesteps over the range and real captions, the empty prompt included.
     */
    static double maxTextDifference(DiffusionModel m, int batch, long seed) throws Exception {
        UNetConfig u = m.config().unet();
        int length = u.text().maxTokens();
        List<String> captions = List.of("a red sneaker left of a blue bag", "", "a purple trouser", "a white coat and a green dress",
                "an orange sandal below a yellow shirt");
        long[] ids = new long[batch * length];
        for (int i = 0; i < batch; i++) {
            String c = captions.get(i % captions.size());
            if (!c.isEmpty()) {
                System.arraycopy(org.imagineflash.data.scenes.CaptionParser.ids(c, length), 0, ids, i * length, length);
            }
        }
        SplittableRandom r = new SplittableRandom(seed);
        int per = u.inChannels() * u.imageSize() * u.imageSize();
        float[] x = org.imagineflash.random.Seeds.gaussian(r, batch * per);
        float[] t = new float[batch];
        for (int i = 0; i < batch; i++) {
            t[i] = r.nextInt(1000);
        }
        Shape xs = new Shape(batch, u.inChannels(), u.imageSize(), u.imageSize());
        try (NDManager sub = m.manager().newSubManager(); OrtNetwork ort = OrtNetwork.of(m)) {
            var tokens = m.textTokens(sub, ids, batch);
            float[] expected = m.forward(Tensors.floats(sub, x, xs), Tensors.floats(sub, t), tokens, false).toFloatArray();
            return maxAbsDifference(expected, ort.forward(Tensors.floats(sub, x, xs), Tensors.floats(sub, t), tokens).toFloatArray());
        }
    }

    /** max_i |expected_i − got_i| over arrays of the same length. */
    static double maxAbsDifference(float[] expected, float[] got) {
        assertEquals(expected.length, got.length);
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - got[i]));
        }
        return max;
    }

    @Test
    void aTinyTextModelsTwoGraphsMatch() throws Exception {
        try (DiffusionModel m = DiffusionModel.create(org.imagineflash.model.TextConditionedUNetTest.tiny(), 1)) {
            double d = maxTextDifference(m, 5, 3);
            assertTrue(d < 1e-4, "max |ORT − DJL| = " + d);
        }
    }

    @Test
    void aTextModelWithoutThePooledPromptReadsItThroughCrossAttentionOnly() throws Exception {
        var t = org.imagineflash.model.TextConditionedUNetTest.tiny();
        var text = t.unet().text();
        UNetConfig u = UNetConfig.builder(8, 1).inChannels(4).baseChannels(16).channelMults(1, 2).attentionResolutions(4)
                .groups(4).heads(2).text(new org.imagineflash.model.TextEncoderConfig(text.vocabulary(), text.width(), text.layers(),
                        text.heads(), text.maxTokens(), false)).build();
        try (DiffusionModel m = DiffusionModel.create(ModelConfig.teacher(u, ScheduleConfig.ddpmLinear(), Parameterization.EPS)
                .onLatents("models/autoencoder-scenes", null), 2)) {
            var inputs = OnnxExport.unet(m, Map.of()).getGraph().getInputList().stream().map(Onnx.ValueInfoProto::getName).toList();
            assertEquals(List.of("x", "t", "context"), inputs);
            double d = maxTextDifference(m, 5, 6);
            assertTrue(d < 1e-4, "max |ORT − DJL| = " + d);
        }
    }

    @Test
    void theShippedSceneStudentAndItsDecoderMatch() throws Exception {
        try (DiffusionModel m = ModelStore.load(Path.of("models/if-scenes-3step"))) {
            double d = maxTextDifference(m, 5, 4);
            System.out.printf("if-scenes-3step (text encoder + UNet): max |ORT − DJL| = %.2e%n", d);
            assertTrue(d < 1e-4, "max |ORT − DJL| = " + d);
        }
        try (org.imagineflash.latent.Autoencoder ae = org.imagineflash.latent.Autoencoder.load(Path.of("models/autoencoder-scenes"));
             OrtDecoder ort = OrtDecoder.of(ae); NDManager sub = ae.manager().newSubManager()) {
            float[] z = org.imagineflash.random.Seeds.gaussian(new SplittableRandom(5), 3 * 4 * 12 * 12);
            float[] expected = ae.decode(new ai.djl.training.ParameterStore(sub, false), Tensors.floats(sub, z, new Shape(3, 4, 12, 12))).toFloatArray();
            double max = maxAbsDifference(expected, ort.decode(z, 3));
            System.out.printf("autoencoder-scenes decoder: max |ORT − DJL| = %.2e%n", max);
            assertTrue(max < 1e-4, "max |ORT − DJL| = " + max);
        }
    }

    @Test
    void aDecoderWithResidualUnitsMatches() throws Exception {
        var gen = new org.imagineflash.data.scenes.SceneGenerator(org.imagineflash.data.scenes.ScenesTest.garments(10), false, 0);
        try (var base = org.imagineflash.latent.Autoencoder.create(org.imagineflash.latent.Autoencoder.Config.scenes(new int[] {8, 8, 16}, 4), 1);
             var ae = base.withDecoderDepth(2)) {
            // a few decoder steps so that the residual units are no longer the identity
            org.imagineflash.latent.AutoencoderTraining.train(ae, org.imagineflash.latent.AutoencoderTraining.Part.DECODER, 0, org.imagineflash.latent.AutoencoderTraining.KL_WEIGHT, gen, 5, 4, 1e-2, 1, null, 0, false, null);
            try (OrtDecoder ort = OrtDecoder.of(ae); NDManager sub = ae.manager().newSubManager()) {
                float[] z = org.imagineflash.random.Seeds.gaussian(new SplittableRandom(6), 2 * 4 * 12 * 12);
                float[] expected = ae.decode(new ai.djl.training.ParameterStore(sub, false), Tensors.floats(sub, z, new Shape(2, 4, 12, 12))).toFloatArray();
                double max = maxAbsDifference(expected, ort.decode(z, 2));
                assertTrue(max < 1e-4, "max |ORT − DJL| = " + max);
            }
        }
    }

    @Test
    void theSceneStudentsImagesOnOnnxRuntimeAreTheDjlImagesWithinOneGreyLevel() throws Exception {
        List<String> prompts = List.of("a red sneaker left of a blue bag", "a green dress", "a cyan bag above a white coat");
        long[] seeds = {3, 4, 5};
        try (org.imagineflash.Generator djl = org.imagineflash.Generator.load(Path.of("models/if-scenes-3step"));
             org.imagineflash.Generator ort = org.imagineflash.Generator.load(Path.of("models/if-scenes-3step"), org.imagineflash.Generator.Engine.ORT)) {
            // its own steps (the whole graph), and other steps (the per-step network and decoder, exported when first asked for)
            for (var o : List.of(djl.defaults(), new org.imagineflash.Generator.Options(SamplerFamily.STUDENT, 2, 1.0, null))) {
                var a = djl.generateScenes(prompts, seeds, o).images();
                var b = ort.generateScenes(prompts, seeds, o).images();
                int max = 0;
                for (int i = 0; i < a.size(); i++) {
                    for (int p = 0; p < a.get(i).length; p++) {
                        max = Math.max(max, Math.abs((a.get(i)[p] & 0xff) - (b.get(i)[p] & 0xff)));
                    }
                }
                assertTrue(max <= 1, "DJL and ONNX Runtime scenes differ by " + max + " grey levels at " + o);
            }
        }
    }

    /** The largest difference in grey levels between the two engines' images of the same classes and seeds. */
    static int maxGreyDifference(Path model, org.imagineflash.Generator.Options o) throws Exception {
        int[] labels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        try (org.imagineflash.Generator djl = org.imagineflash.Generator.load(model);
             org.imagineflash.Generator ort = org.imagineflash.Generator.load(model, org.imagineflash.Generator.Engine.ORT)) {
            assertEquals(org.imagineflash.Generator.Engine.ORT, ort.engine());
            org.imagineflash.Generator.Options opt = o == null ? djl.defaults() : o;
            byte[] a = djl.generate(labels, 7, opt).pixels();
            byte[] b = ort.generate(labels, 7, opt).pixels();
            int max = 0;
            for (int i = 0; i < a.length; i++) {
                max = Math.max(max, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
            }
            return max;
        }
    }

    @Test
    void theStudentsImagesOnOnnxRuntimeAreTheDjlImagesWithinOneGreyLevel() throws Exception {
        assertTrue(maxGreyDifference(Path.of("models/if-3step"), null) <= 1);
        // other steps than its own: the per-step network, exported at the first such call
        assertTrue(maxGreyDifference(Path.of("models/if-3step"), new org.imagineflash.Generator.Options(SamplerFamily.STUDENT, 2, 1.0, null)) <= 1);
        // a guided teacher: both branches in one batch on either engine
        assertTrue(maxGreyDifference(Path.of("models/teacher-fmnist"), new org.imagineflash.Generator.Options(SamplerFamily.DDIM, 4, 3.0, null)) <= 1);
    }
}
