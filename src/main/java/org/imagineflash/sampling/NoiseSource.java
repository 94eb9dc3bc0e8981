package org.imagineflash.sampling;

import org.imagineflash.model.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.imagineflash.random.Seeds;

import java.util.SplittableRandom;

/** Standard normal noise from a seeded Java RNG: the same seed gives the same noise on every machine. */
public final class NoiseSource {
    private final SplittableRandom rng;

    public NoiseSource(long seed) {
        this.rng = Seeds.stream(seed, 0, 7);
    }

    public NDArray next(NDManager m, Shape shape) {
        return Tensors.floats(m, Seeds.gaussian(rng, (int) shape.size()), shape);
    }

    /** Per-image noise with an explicit seed per image (requests batched together keep their own seeds). */
    public static NDArray perImage(NDManager m, long[] seeds, Shape imageShape) {
        float[] all = perImage(seeds, (int) imageShape.size());
        long[] dims = new long[imageShape.dimension() + 1];
        dims[0] = seeds.length;
        System.arraycopy(imageShape.getShape(), 0, dims, 1, imageShape.dimension());
        return Tensors.floats(m, all, new Shape(dims));
    }

    /** The values of {@link #perImage(NDManager, long[], Shape)}: {@code n} standard normals per seed, image after image. */
    public static float[] perImage(long[] seeds, int n) {
        float[] all = new float[seeds.length * n];
        for (int i = 0; i < seeds.length; i++) {
            System.arraycopy(Seeds.gaussian(Seeds.stream(seeds[i], 0, 11), n), 0, all, i * n, n);
        }
        return all;
    }

    /** Per-image noise: image i of a batch gets the stream of seed + i, so a batch equals its images one by one. */
    public static NDArray perImage(NDManager m, long seed, int count, Shape imageShape) {
        long[] seeds = new long[count];
        for (int i = 0; i < count; i++) {
            seeds[i] = seed + i;
        }
        return perImage(m, seeds, imageShape);
    }
}
