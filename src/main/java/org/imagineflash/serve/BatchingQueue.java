package org.imagineflash.serve;

import org.imagineflash.Generator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A bounded queue in front of the models with one worker thread: requests for the same model and options that are
 * waiting together are generated in one batched forward pass (up to {@code maxBatch} images); when the queue is
 * full, {@link #submit} fails at once so the server can answer 429 instead of piling up work.
 */
public final class BatchingQueue implements AutoCloseable {
    /** One request: n images of one class from consecutive seeds. */
    public record Job(String modelName, Generator generator, Generator.Options options, int label, int n, long seed,
                      long enqueuedNanos, CompletableFuture<Done> result) {
    }

    /** Generated pixels of one job plus timings. */
    public record Done(byte[] pixels, int count, int height, int width, double batchMillis, double queueMillis,
                       int batchImages, int nfe) {
    }

    /** Thrown when the queue is full. */
    public static final class Overloaded extends RuntimeException {
        public Overloaded() {
            super("server busy: too many requests waiting, try again shortly");
        }
    }

    private final BlockingQueue<Job> queue;
    private final int maxBatch;
    private final Thread worker;
    private volatile boolean running = true;

    public BatchingQueue(int capacity, int maxBatch) {
        if (capacity < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("queue capacity and batch size must be ≥ 1");
        }
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.maxBatch = maxBatch;
        this.worker = new Thread(this::loop, "generator");
        worker.setDaemon(true);
        worker.start();
    }

    public int waiting() {
        return queue.size();
    }

    public CompletableFuture<Done> submit(String modelName, Generator g, Generator.Options o, int label, int n, long seed) {
        Job j = new Job(modelName, g, o, label, n, seed, System.nanoTime(), new CompletableFuture<>());
        if (!queue.offer(j)) {
            throw new Overloaded();
        }
        return j.result();
    }

    private void loop() {
        List<Job> batch = new ArrayList<>();
        while (running) {
            Job first;
            try {
                first = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                continue;
            }
            batch.clear();
            batch.add(first);
            int images = first.n();
            // take waiting jobs that can share the forward pass
            for (Job j : queue) {
                if (images + j.n() > maxBatch) {
                    break;
                }
                if (j.modelName().equals(first.modelName()) && j.options().equals(first.options()) && queue.remove(j)) {
                    batch.add(j);
                    images += j.n();
                }
            }
            run(batch, images);
        }
    }

    private static void run(List<Job> batch, int images) {
        int[] labels = new int[images];
        long[] seeds = new long[images];
        int k = 0;
        for (Job j : batch) {
            for (int i = 0; i < j.n(); i++) {
                labels[k] = j.label();
                seeds[k++] = j.seed() + i;
            }
        }
        long start = System.nanoTime();
        try {
            Generator.Images out = batch.get(0).generator().generate(labels, seeds, batch.get(0).options());
            int px = out.height() * out.width();
            int off = 0;
            for (Job j : batch) {
                byte[] mine = new byte[j.n() * px];
                System.arraycopy(out.pixels(), off * px, mine, 0, mine.length);
                off += j.n();
                j.result().complete(new Done(mine, j.n(), out.height(), out.width(), out.millis(),
                        (start - j.enqueuedNanos()) / 1e6, images, out.nfe()));
            }
        } catch (RuntimeException e) {
            for (Job j : batch) {
                j.result().completeExceptionally(e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
    }
}
