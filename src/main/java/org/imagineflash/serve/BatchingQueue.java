package org.imagineflash.serve;

import org.imagineflash.Generator;

import java.awt.image.BufferedImage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The work queue in front of the models, with one or more worker threads.
 * <ul>
 *   <li><b>Admission by cost.</b> A request costs NFE × images. {@link #submit} fails at once ({@link Overloaded},
 *       HTTP 429) when the requests waiting would exceed {@code capacity} or their summed cost {@code maxQueuedCost},
 *       so the server never piles up more work than it can do.</li>
 *   <li><b>Fair service.</b> Each client (the server passes the remote address) has its own FIFO. A worker serves the
 *       client with the least cost served so far (start-time fair queuing: a client that arrives, or comes back
 *       after a pause, starts at the current virtual time), so one client's backlog does not hold up another's.</li>
 *   <li><b>A lane for cheap requests.</b> With two or more workers, worker 0 takes only requests costing at most
 *       {@code cheapCost}, so a one-image student request never waits behind a batch of teacher requests that may
 *       take seconds.</li>
 *   <li><b>Batching.</b> Waiting requests for the same model and options are generated in one forward pass (up to
 *       {@code maxBatch} images). After the first request of a batch the worker waits up to {@code gatherMillis} for
 *       compatible ones (the "max batch delay" of serving systems): clients answered by the previous batch re-submit
 *       within a few milliseconds, and without the window they would miss the batch and wait a whole pass.</li>
 *   <li><b>Dropped work.</b> A request whose deadline has passed, or whose future was cancelled (its client stopped
 *       waiting), is dropped before it runs.</li>
 * </ul>
 */
public final class BatchingQueue implements AutoCloseable {
    /** One request: n images of one class or caption from consecutive seeds, for one client, to start before a deadline. */
    record Job(String client, String modelName, Generator generator, Generator.Options options, Subject subject, int n, long seed,
                      long cost, long enqueuedNanos, long deadlineNanos, CompletableFuture<Done> result) {
    }

    /** Generated pixels of one job (count × channels × height × width bytes; grey or RGB) plus timings. */
    public record Done(byte[] pixels, int count, int channels, int height, int width, double batchMillis, double queueMillis,
                       int batchImages, int nfe) {
        /** Image i as a picture. */
        public BufferedImage image(int i) {
            int per = channels * height * width;
            byte[] px = java.util.Arrays.copyOfRange(pixels, i * per, (i + 1) * per);
            if (channels == 1) {
                BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
                img.getRaster().setDataElements(0, 0, width, height, px);
                return img;
            }
            return new Generator.Scenes(List.of(px), List.of(""), batchMillis, nfe).image(0);
        }
    }

    /** Thrown when the queue is full (by count or by cost). */
    public static final class Overloaded extends RuntimeException {
        public Overloaded(String why) {
            super("server busy: " + why + ", try again shortly");
        }
    }

    /** A request that was dropped before it ran because its deadline passed. */
    public static final class Expired extends RuntimeException {
        public Expired() {
            super("the request's deadline passed before the server could start it");
        }
    }

    /** How the queue admits and schedules work (see the class comment). */
    public record Policy(int capacity, long maxQueuedCost, long cheapCost, int maxBatch, double gatherMillis, int workers) {
        public Policy {
            if (capacity < 1 || maxQueuedCost < 1 || cheapCost < 0 || maxBatch < 1 || !(gatherMillis >= 0 && gatherMillis <= 1000)
                    || workers < 1 || workers > 64) {
                throw new IllegalArgumentException("queue capacity, cost budget and batch size must be ≥ 1, cheap cost ≥ 0, "
                        + "gather window in 0..1000 ms, workers in 1..64");
            }
        }
    }

    private final Policy policy;
    private final Object lock = new Object();
    private final Map<String, ArrayDeque<Job>> byClient = new LinkedHashMap<>();
    /** Virtual finish time of each client's last started job (cost units). */
    private final Map<String, Long> finish = new HashMap<>();
    private long virtualTime;
    private int waiting;
    private long queuedCost;
    private long dropped;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean running = true;

    public BatchingQueue(Policy policy) {
        this.policy = policy;
        for (int i = 0; i < policy.workers(); i++) {
            boolean cheapLane = i == 0 && policy.workers() > 1;
            Thread worker = new Thread(() -> loop(cheapLane), "generator-" + i + (cheapLane ? "-cheap" : ""));
            worker.setDaemon(true);
            worker.start();
            this.workers.add(worker);
        }
    }

    public int waiting() {
        synchronized (lock) {
            return waiting;
        }
    }

    /** Requests dropped before they ran (cancelled, or past their deadline). */
    public long dropped() {
        synchronized (lock) {
            return dropped;
        }
    }

    public long queuedCost() {
        synchronized (lock) {
            return queuedCost;
        }
    }

    /**
     * Queues a request.
     *
     * @param cost NFE × images
     * @param deadlineNanos {@link System#nanoTime()} after which the request is dropped if it has not started
     * @throws Overloaded when the request does not fit in the queue
     */
    CompletableFuture<Done> submit(String client, String modelName, Generator g, Generator.Options o, Subject subject, int n,
                                   long seed, long cost, long deadlineNanos) {
        Job j = new Job(client, modelName, g, o, subject, n, seed, cost, System.nanoTime(), deadlineNanos, new CompletableFuture<>());
        synchronized (lock) {
            if (waiting >= policy.capacity()) {
                throw new Overloaded("too many requests waiting");
            }
            if (queuedCost + cost > policy.maxQueuedCost()) {
                throw new Overloaded("the queued work (" + queuedCost + " + " + cost + " image-steps) exceeds its budget of "
                        + policy.maxQueuedCost());
            }
            byClient.computeIfAbsent(client, c -> new ArrayDeque<>()).add(j);
            waiting++;
            queuedCost += cost;
            lock.notifyAll();
        }
        return j.result();
    }

    private void loop(boolean cheapLane) {
        List<Job> batch = new ArrayList<>();
        while (running) {
            batch.clear();
            try {
                if (!take(cheapLane, batch)) {
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            }
            run(batch);
        }
    }

    /** Fills {@code batch} with the next fair job and compatible ones; false when nothing was runnable in 200 ms. */
    private boolean take(boolean cheapLane, List<Job> batch) throws InterruptedException {
        long gatherNanos = (long) (policy.gatherMillis() * 1e6);
        synchronized (lock) {
            Job first = next(cheapLane);
            if (first == null) {
                lock.wait(200);
                first = next(cheapLane);
                if (first == null) {
                    return false;
                }
            }
            remove(first);
            long start = Math.max(finish.getOrDefault(first.client(), 0L), virtualTime);
            virtualTime = start;
            finish.put(first.client(), start + first.cost());
            batch.add(first);
            int images = first.n();
            // take waiting jobs that can share the forward pass, for up to the gather window
            long deadline = System.nanoTime() + gatherNanos;
            while (images < policy.maxBatch()) {
                for (ArrayDeque<Job> q : byClient.values()) {
                    for (Iterator<Job> it = q.iterator(); it.hasNext() && images < policy.maxBatch(); ) {
                        Job j = it.next();
                        if (images + j.n() <= policy.maxBatch() && j.modelName().equals(first.modelName())
                                && j.options().equals(first.options()) && live(j)) {
                            it.remove();
                            waiting--;
                            queuedCost -= j.cost();
                            finish.merge(j.client(), j.cost(), Long::sum);
                            batch.add(j);
                            images += j.n();
                        }
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                lock.wait(Math.max(1, left / 1_000_000), (int) (left % 1_000_000));
            }
            byClient.values().removeIf(ArrayDeque::isEmpty);
            return true;
        }
    }

    /**
     * The job to start next: among each client's first eligible job (any job for a general worker, one of cost ≤
     * cheapCost for the cheap lane), the one whose client has the earliest virtual finish time. Drops dead jobs.
     */
    private Job next(boolean cheapLane) {
        Job best = null;
        long bestTag = Long.MAX_VALUE;
        for (ArrayDeque<Job> q : byClient.values()) {
            for (Iterator<Job> it = q.iterator(); it.hasNext(); ) {
                Job j = it.next();
                if (!live(j)) {
                    it.remove();
                    waiting--;
                    queuedCost -= j.cost();
                    dropped++;
                    continue;
                }
                if (cheapLane && j.cost() > policy.cheapCost()) {
                    continue;
                }
                long tag = Math.max(finish.getOrDefault(j.client(), 0L), virtualTime);
                if (tag < bestTag || (tag == bestTag && j.enqueuedNanos() < best.enqueuedNanos())) {
                    best = j;
                    bestTag = tag;
                }
                break; // one candidate per client: its first eligible job
            }
        }
        return best;
    }

    /** False (and the job completed) when it was cancelled or its deadline passed. */
    private static boolean live(Job j) {
        if (j.result().isDone()) {
            return false;
        }
        if (System.nanoTime() > j.deadlineNanos()) {
            j.result().completeExceptionally(new Expired());
            return false;
        }
        return true;
    }

    private void remove(Job j) {
        ArrayDeque<Job> q = byClient.get(j.client());
        q.remove(j);
        waiting--;
        queuedCost -= j.cost();
    }

    private static void run(List<Job> batch) {
        int images = batch.stream().mapToInt(Job::n).sum();
        int[] labels = new int[images];
        List<String> captions = new ArrayList<>();
        long[] seeds = new long[images];
        int k = 0;
        for (Job j : batch) {
            for (int i = 0; i < j.n(); i++) {
                labels[k] = j.subject().label();
                captions.add(j.subject().caption());
                seeds[k++] = j.seed() + i;
            }
        }
        long start = System.nanoTime();
        Generator g = batch.get(0).generator();
        try {
            byte[] pixels;
            int channels;
            int side;
            double millis;
            int nfe;
            if (g.isTextToImage()) {
                Generator.Scenes out = g.generateScenes(captions, seeds, batch.get(0).options());
                channels = 3;
                side = out.image(0).getWidth();
                pixels = new byte[images * channels * side * side];
                for (int i = 0; i < images; i++) {
                    System.arraycopy(out.images().get(i), 0, pixels, i * channels * side * side, channels * side * side);
                }
                millis = out.millis();
                nfe = out.nfe();
            } else {
                Generator.Images out = g.generate(labels, seeds, batch.get(0).options());
                channels = 1;
                side = out.width();
                pixels = out.pixels();
                millis = out.millis();
                nfe = out.nfe();
            }
            int px = channels * side * side;
            int off = 0;
            for (Job j : batch) {
                byte[] mine = new byte[j.n() * px];
                System.arraycopy(pixels, off * px, mine, 0, mine.length);
                off += j.n();
                j.result().complete(new Done(mine, j.n(), channels, side, side, millis, (start - j.enqueuedNanos()) / 1e6, images, nfe));
            }
        } catch (RuntimeException e) {
            for (Job j : batch) {
                j.result().completeExceptionally(e);
            }
        }
    }

    /**
     * Stops the workers and waits (up to 60 s each) for a batch in progress to finish, so that the models it uses can
     * be closed after this returns; requests still queued are failed.
     */
    @Override
    public void close() {
        running = false;
        workers.forEach(Thread::interrupt);
        for (Thread w : workers) {
            try {
                w.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        synchronized (lock) {
            for (ArrayDeque<Job> q : byClient.values()) {
                for (Job j : q) {
                    j.result().completeExceptionally(new IllegalStateException("the server is shutting down"));
                }
            }
            byClient.clear();
            waiting = 0;
            queuedCost = 0;
        }
    }
}
