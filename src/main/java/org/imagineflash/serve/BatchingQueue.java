package org.imagineflash.serve;

import org.imagineflash.Generator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A bounded queue in front of the models with one or more worker threads: requests for the same model and options that are
 * waiting together are generated in one batched forward pass (up to {@code maxBatch} images); when the queue is
 * full, {@link #submit} fails at once so the server can answer 429 instead of piling up work. After the first job of a
 * batch the worker waits up to {@code gatherMillis} for compatible jobs (the "max batch delay" of serving systems):
 * clients that were answered by the previous batch re-submit within a few milliseconds, and without the window they
 * would miss the batch and wait a whole pass.
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
    private final long gatherNanos;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean running = true;

    public BatchingQueue(int capacity, int maxBatch) {
        this(capacity, maxBatch, 0);
    }

    public BatchingQueue(int capacity, int maxBatch, double gatherMillis) {
        this(capacity, maxBatch, gatherMillis, 1);
    }

    /**
     * With {@code workers} > 1 several batches run at once (one per worker thread, e.g. one per core with one
     * intra-op thread each), so a request that misses a batch need not wait for it to finish.
     */
    public BatchingQueue(int capacity, int maxBatch, double gatherMillis, int workers) {
        if (capacity < 1 || maxBatch < 1 || !(gatherMillis >= 0 && gatherMillis <= 1000) || workers < 1 || workers > 64) {
            throw new IllegalArgumentException("queue capacity and batch size must be ≥ 1, gather window in 0..1000 ms, workers in 1..64");
        }
        this.gatherNanos = (long) (gatherMillis * 1e6);
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.maxBatch = maxBatch;
        for (int i = 0; i < workers; i++) {
            Thread worker = new Thread(this::loop, "generator-" + i);
            worker.setDaemon(true);
            worker.start();
            this.workers.add(worker);
        }
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
            // take waiting jobs that can share the forward pass, for up to the gather window
            long deadline = System.nanoTime() + gatherNanos;
            boolean full = false;
            while (true) {
                for (Job j : queue) {
                    if (images + j.n() > maxBatch) {
                        full = true;
                        break;
                    }
                    if (j.modelName().equals(first.modelName()) && j.options().equals(first.options()) && queue.remove(j)) {
                        batch.add(j);
                        images += j.n();
                    }
                }
                if (full || images >= maxBatch || System.nanoTime() >= deadline) {
                    break;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(500_000, deadline - System.nanoTime()));
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
        workers.forEach(Thread::interrupt);
    }
}
