import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Times ONNX graphs at several batch sizes and thread counts (median of repeated runs), and with --profile writes
 * ONNX Runtime's per-node profile of one batch size. Usage (docs/performance.md):
 * java -cp 'target/imagine-flash.jar:target/lib/*' tools/ort-profile/Profile.java [--profile B] GRAPH.onnx...
 * Every dynamic dimension is the batch; float inputs are 0.1, int64 inputs (token ids) 2, a scalar-like input 500.
 */
public class Profile {
    public static void main(String[] args) throws Exception {
        int profileBatch = 0;
        int first = 0;
        if (args.length > 1 && args[0].equals("--profile")) {
            profileBatch = Integer.parseInt(args[1]);
            first = 2;
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int[] batches = {1, 4, 8, 16};
        System.out.printf("%-48s %7s %10s %10s %12s%n", "graph", "threads", "batch", "ms/call", "ms/image");
        for (int a = first; a < args.length; a++) {
            byte[] onnx = Files.readAllBytes(Path.of(args[a]));
            for (int threads : new int[] {1, 2}) {
                try (OrtSession.SessionOptions o = options(threads, null); OrtSession s = env.createSession(onnx, o)) {
                    for (int b : batches) {
                        double ms = time(env, s, b);
                        System.out.printf("%-48s %7d %10d %10.2f %12.2f%n", Path.of(args[a]).getFileName(), threads, b, ms, ms / b);
                    }
                }
            }
            if (profileBatch > 0) {
                String prefix = "/tmp/ort-profile-" + Path.of(args[a]).getFileName();
                try (OrtSession.SessionOptions o = options(1, prefix); OrtSession s = env.createSession(onnx, o)) {
                    time(env, s, profileBatch);
                    System.out.println("profile: " + s.endProfiling());
                }
            }
        }
    }

    static OrtSession.SessionOptions options(int threads, String profile) throws Exception {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (profile != null) {
            o.enableProfiling(profile);
        }
        return o;
    }

    /** Median ms of one run at batch b, after warm-up. */
    static double time(OrtEnvironment env, OrtSession s, int b) throws Exception {
        Map<String, OnnxTensor> in = new HashMap<>();
        for (Map.Entry<String, NodeInfo> e : s.getInputInfo().entrySet()) {
            TensorInfo ti = (TensorInfo) e.getValue().getInfo();
            long[] shape = ti.getShape().clone();
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0) {
                    shape[i] = b;
                }
            }
            int n = (int) Arrays.stream(shape).reduce(1, (x, y) -> x * y);
            if (ti.type == ai.onnxruntime.OnnxJavaType.INT64) {
                long[] v = new long[n];
                Arrays.fill(v, 2);
                in.put(e.getKey(), OnnxTensor.createTensor(env, LongBuffer.wrap(v), shape));
            } else {
                float[] v = new float[n];
                Arrays.fill(v, shape.length == 1 ? 500f : 0.1f);
                in.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape));
            }
        }
        for (int i = 0; i < 3; i++) {
            s.run(in).close();
        }
        int reps = Math.max(5, 40 / b);
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            s.run(in).close();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        in.values().forEach(OnnxTensor::close);
        Arrays.sort(ms);
        return ms[reps / 2];
    }
}
