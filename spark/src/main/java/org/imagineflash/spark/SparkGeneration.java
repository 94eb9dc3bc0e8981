package org.imagineflash.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.imagineflash.Generator;
import org.imagineflash.data.IdxFile;
import org.imagineflash.sampling.SamplerFamily;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Batch generation on Spark: one task per partition generates that partition's whole batches of the
 * {@link GenerationPlan} with the model's sampler and writes them as one shard; the driver writes the manifest.
 * The model directory and the output directory must be reachable at the same path on every executor (local mode, or
 * a shared file system).
 */
public final class SparkGeneration {
    private SparkGeneration() {
    }

    /** How to sample: null fields take the model's defaults, as {@code sample} does. */
    public record Sampling(SamplerFamily sampler, Integer steps, Double cfg) implements java.io.Serializable {
    }

    /** What a run produced. */
    public record Result(List<Shards.Shard> shards, int images, double wallSeconds, double generateSeconds) {
    }

    public static Result run(JavaSparkContext sc, Path model, GenerationPlan plan, Sampling sampling, int partitions, Path out) throws IOException {
        if (partitions < 1 || partitions > 100_000) {
            throw new IllegalArgumentException("--partitions must be in 1..100000, got " + partitions);
        }
        requireFresh(out);
        Files.createDirectories(out);
        long t0 = System.nanoTime();
        List<Integer> ids = IntStream.range(0, partitions).boxed().toList();
        List<ShardTiming> done = sc.parallelize(ids, partitions)
                .map(new GenerateShard(model.toAbsolutePath().toString(), plan, sampling, partitions, out.toAbsolutePath().toString()))
                .collect();
        List<Shards.Shard> shards = done.stream().map(ShardTiming::shard).filter(s -> s.count() > 0).toList();
        Shards.writeManifest(out, plan, shards);
        double busy = done.stream().mapToDouble(ShardTiming::seconds).sum();
        return new Result(shards, plan.size(), (System.nanoTime() - t0) / 1e9, busy);
    }

    /** Refuses an output directory that already holds a set, rather than mixing two. */
    public static void requireFresh(Path out) {
        if (Files.exists(out.resolve(Shards.MANIFEST))) {
            throw new IllegalArgumentException(out + " already holds a generated set (" + Shards.MANIFEST + "); choose another --out");
        }
    }

    record ShardTiming(Shards.Shard shard, double seconds) implements java.io.Serializable {
    }

    /** One partition's task: loads the model on the executor, generates its batches, writes its shard atomically. */
    static final class GenerateShard implements Function<Integer, ShardTiming> {
        private static final long serialVersionUID = 1L;
        private final String model;
        private final GenerationPlan plan;
        private final Sampling sampling;
        private final int partitions;
        private final String out;

        GenerateShard(String model, GenerationPlan plan, Sampling sampling, int partitions, String out) {
            this.model = model;
            this.plan = plan;
            this.sampling = sampling;
            this.partitions = partitions;
            this.out = out;
        }

        @Override
        public ShardTiming call(Integer p) throws Exception {
            GenerationPlan.Range r = plan.range(p, partitions);
            Shards.Shard shard = new Shards.Shard(p, r.from(), r.count());
            if (r.count() == 0) {
                return new ShardTiming(shard, 0);
            }
            Executor.configure();
            long t0 = System.nanoTime();
            try (Generator g = Generator.load(Path.of(model))) {
                Generator.Options o = g.options(sampling.sampler(), sampling.steps(), sampling.cfg(), null);
                if (plan.scenes()) {
                    writeScenes(g, o, p, r);
                } else {
                    writeClasses(g, o, p, r);
                }
            }
            return new ShardTiming(shard, (System.nanoTime() - t0) / 1e9);
        }

        /** Class images: one IDX file of images and one of classes, each written atomically. */
        private void writeClasses(Generator g, Generator.Options o, int p, GenerationPlan.Range r) throws IOException {
            byte[] pixels = null;
            int h = 0;
            int w = 0;
            for (int s = r.from(); s < r.to(); s += GenerationPlan.BATCH) {
                int e = Math.min(r.to(), s + GenerationPlan.BATCH);
                Generator.Images im = g.generate(java.util.Arrays.copyOfRange(plan.labels(), s, e), plan.seed() + s, o);
                if (pixels == null) {
                    h = im.height();
                    w = im.width();
                    pixels = new byte[r.count() * h * w];
                }
                System.arraycopy(im.pixels(), 0, pixels, (s - r.from()) * h * w, im.pixels().length);
            }
            byte[] lb = new byte[r.count()];
            for (int i = 0; i < lb.length; i++) {
                lb[i] = (byte) plan.labels()[r.from() + i];
            }
            Path dir = Path.of(out);
            IdxFile.writeAtomically(dir.resolve(Shards.labels(p)), new IdxFile(new int[] {r.count()}, lb).toBytes());
            IdxFile.writeAtomically(dir.resolve(Shards.images(p)), new IdxFile(new int[] {r.count(), h, w}, pixels).toBytes());
        }

        /**
         * Scenes: one PNG per image in a temporary folder that is renamed to the shard's folder when it is complete, so a
         * shard folder always holds all its images (a task that is retried starts again from an empty folder).
         */
        private void writeScenes(Generator g, Generator.Options o, int p, GenerationPlan.Range r) throws IOException {
            Path dir = Path.of(out);
            Path tmp = dir.resolve("." + Shards.scenes(p) + ".tmp");
            deleteTree(tmp);
            Files.createDirectories(tmp);
            for (int s = r.from(); s < r.to(); s += GenerationPlan.BATCH) {
                int e = Math.min(r.to(), s + GenerationPlan.BATCH);
                List<String> prompts = IntStream.range(s, e).mapToObj(plan::prompt).toList();
                long[] seeds = IntStream.range(s, e).mapToLong(plan::seedOf).toArray();
                Generator.Scenes sc = g.generateScenes(prompts, seeds, o);
                for (int i = s; i < e; i++) {
                    String name = Shards.scene(p, i);
                    javax.imageio.ImageIO.write(sc.image(i - s), "png", tmp.resolve(name.substring(name.indexOf('/') + 1)).toFile());
                }
            }
            Path target = dir.resolve(Shards.scenes(p));
            deleteTree(target);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }

        private static void deleteTree(Path p) throws IOException {
            if (Files.exists(p)) {
                try (var walk = Files.walk(p)) {
                    for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(q);
                    }
                }
            }
        }
    }
}
