package org.imagineflash.serve;

/**
 * Limits and policies of a {@link GenerationServer}; build with {@link #builder()} (the defaults of
 * {@code imagine-flash serve}).
 *
 * @param maxImages images per request
 * @param maxSteps teacher steps per request (a student's limit is its trained steps)
 * @param maxPromptLength characters of a prompt
 * @param queueCapacity requests that may wait
 * @param maxQueuedCost image-steps (NFE × images) that may wait
 * @param cheapCost the most a request may cost to use the cheap lane
 * @param maxBatch images per batched forward pass
 * @param workers generator threads
 * @param maxBodyBytes bytes of a request body
 * @param maxBodyReaders requests that may be receiving their bodies at once
 * @param readTimeoutMillis time to receive a whole body (also the connections' idle timeout)
 * @param maxConnections open connections
 * @param host the address to listen on
 */
public record ServerLimits(int maxImages, int maxSteps, int maxPromptLength, int queueCapacity, long maxQueuedCost, long cheapCost,
                           int maxBatch, int workers, long maxBodyBytes, int maxBodyReaders, long readTimeoutMillis,
                           int maxConnections, String host) {
    /** How long a worker waits for more requests to join a batch (see {@link BatchingQueue}). */
    static final double GATHER_MILLIS = 5;

    public ServerLimits {
        if (maxImages < 1 || maxSteps < 1 || maxPromptLength < 1 || maxBodyBytes < 64 || maxBodyReaders < 1
                || readTimeoutMillis < 100 || maxConnections < 2 || host == null || host.isBlank()) {
            throw new IllegalArgumentException("server limits must be ≥ 1 (body ≥ 64 bytes, read timeout ≥ 100 ms, connections ≥ 2, a host)");
        }
        new BatchingQueue.Policy(queueCapacity, maxQueuedCost, cheapCost, maxBatch, GATHER_MILLIS, workers); // validates
    }

    public static ServerLimits defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    BatchingQueue.Policy policy() {
        return new BatchingQueue.Policy(queueCapacity, maxQueuedCost, cheapCost, maxBatch, GATHER_MILLIS, workers);
    }

    /** Builder with the defaults of {@code imagine-flash serve}. */
    public static final class Builder {
        private int maxImages = 8;
        private int maxSteps = 50;
        private int maxPromptLength = 100;
        private int queueCapacity = 64;
        private long maxQueuedCost = 4000; // five of the heaviest teacher requests (8 images × 50 steps × 2 NFE)
        private long cheapCost = 64;       // up to 8 images of an 8-step student
        private int maxBatch = 32;
        private int workers = 1;
        private long maxBodyBytes = 4096;
        private int maxBodyReaders = 32;
        private long readTimeoutMillis = 5000;
        private int maxConnections = 512;
        private String host = "127.0.0.1";

        public Builder maxImages(int v) {
            maxImages = v;
            return this;
        }

        public Builder maxSteps(int v) {
            maxSteps = v;
            return this;
        }

        public Builder maxPromptLength(int v) {
            maxPromptLength = v;
            return this;
        }

        public Builder queueCapacity(int v) {
            queueCapacity = v;
            return this;
        }

        public Builder maxQueuedCost(long v) {
            maxQueuedCost = v;
            return this;
        }

        public Builder cheapCost(long v) {
            cheapCost = v;
            return this;
        }

        public Builder maxBatch(int v) {
            maxBatch = v;
            return this;
        }

        public Builder workers(int v) {
            workers = v;
            return this;
        }

        public Builder maxBodyBytes(long v) {
            maxBodyBytes = v;
            return this;
        }

        public Builder maxBodyReaders(int v) {
            maxBodyReaders = v;
            return this;
        }

        public Builder readTimeoutMillis(long v) {
            readTimeoutMillis = v;
            return this;
        }

        public Builder maxConnections(int v) {
            maxConnections = v;
            return this;
        }

        public Builder host(String v) {
            host = v;
            return this;
        }

        public ServerLimits build() {
            return new ServerLimits(maxImages, maxSteps, maxPromptLength, queueCapacity, maxQueuedCost, cheapCost, maxBatch, workers,
                    maxBodyBytes, maxBodyReaders, readTimeoutMillis, maxConnections, host);
        }
    }
}
