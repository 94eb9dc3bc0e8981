package org.imagineflash.serve;

import org.imagineflash.Generator;
import org.imagineflash.sampling.SamplerFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scheduling of the work queue: admission by cost, fairness between clients, the cheap lane, dropped work. */
class BatchingQueueTest {
    @TempDir
    static Path dir;
    static Generator teacher;
    static Generator student;
    static final Generator.Options HEAVY = new Generator.Options(SamplerFamily.DDIM, 40, 3.0, null); // cost 80 per image
    static final Generator.Options CHEAP = new Generator.Options(SamplerFamily.STUDENT, 2, 1.0, null); // cost 2

    @BeforeAll
    static void load() throws Exception {
        Path models = ServeFixtures.models(dir);
        teacher = Generator.load(models.resolve("teacher-tiny"));
        student = Generator.load(models.resolve("student-tiny"));
    }

    @AfterAll
    static void close() {
        teacher.close();
        student.close();
    }

    static long forever() {
        return System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    }

    static CompletableFuture<BatchingQueue.Done> heavy(BatchingQueue q, String client, int seed) {
        return q.submit(client, "teacher", teacher, HEAVY, new Subject(1, null), 4, seed, 80 * 4, forever());
    }

    /** Nanotime at which each future completes. */
    static List<long[]> stamps(List<CompletableFuture<BatchingQueue.Done>> fs) {
        List<long[]> t = new ArrayList<>();
        for (CompletableFuture<BatchingQueue.Done> f : fs) {
            long[] at = new long[1];
            t.add(at);
            f.whenComplete((d, e) -> at[0] = System.nanoTime());
        }
        return t;
    }

    @Test
    void aSecondClientIsServedBeforeTheFirstClientsBacklog() throws Exception {
        // before: one FIFO; a client's backlog of teacher requests made everyone behind it wait
        try (BatchingQueue q = new BatchingQueue(new BatchingQueue.Policy(64, 1_000_000, 0, 1, 0, 1))) {
            List<CompletableFuture<BatchingQueue.Done>> a = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                a.add(heavy(q, "A", i));
            }
            CompletableFuture<BatchingQueue.Done> b = heavy(q, "B", 99);
            List<long[]> ta = stamps(a);
            long[] tb = stamps(List.of(b)).get(0);
            CompletableFuture.allOf(a.toArray(new CompletableFuture[0])).get(2, TimeUnit.MINUTES);
            b.get();
            int aBeforeB = 0;
            for (long[] t : ta) {
                aBeforeB += t[0] < tb[0] ? 1 : 0;
            }
            // A's first job may already be running when B arrives; B goes next
            assertTrue(aBeforeB <= 2, "A jobs done before B: " + aBeforeB);
        }
    }

    @Test
    void aCheapRequestOvertakesHeavyOnesOnItsLane() throws Exception {
        // before: a one-image student request waited behind every teacher batch queued before it (58.5 s measured)
        try (BatchingQueue q = new BatchingQueue(new BatchingQueue.Policy(64, 1_000_000, 64, 1, 0, 2))) {
            List<CompletableFuture<BatchingQueue.Done>> hs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                hs.add(heavy(q, "A", i));
            }
            Thread.sleep(20);
            CompletableFuture<BatchingQueue.Done> cheap = q.submit("A", "student", student, CHEAP, new Subject(3, null), 1, 7, 2, forever());
            List<long[]> th = stamps(hs);
            long[] tc = stamps(List.of(cheap)).get(0);
            CompletableFuture.allOf(hs.toArray(new CompletableFuture[0])).get(2, TimeUnit.MINUTES);
            cheap.get();
            int heavyBefore = 0;
            for (long[] t : th) {
                heavyBefore += t[0] < tc[0] ? 1 : 0;
            }
            assertTrue(heavyBefore <= 1, "heavy jobs finished before the cheap one: " + heavyBefore);
        }
    }

    @Test
    void expiredAndCancelledRequestsAreDroppedBeforeTheyRun() throws Exception {
        // before: clients that hung up still had their work done (22 jobs ran for nobody)
        try (BatchingQueue q = new BatchingQueue(new BatchingQueue.Policy(64, 1_000_000, 0, 1, 0, 1))) {
            CompletableFuture<BatchingQueue.Done> running = heavy(q, "A", 0);
            CompletableFuture<BatchingQueue.Done> late = q.submit("B", "teacher", teacher, HEAVY, new Subject(1, null), 4, 1, 320, System.nanoTime() + 1_000_000);
            CompletableFuture<BatchingQueue.Done> abandoned = heavy(q, "C", 2);
            abandoned.cancel(false);
            running.get(2, TimeUnit.MINUTES);
            ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(2, TimeUnit.MINUTES));
            assertInstanceOf(BatchingQueue.Expired.class, e.getCause());
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((q.waiting() > 0 || q.queuedCost() > 0) && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertEquals(0, q.waiting());
            assertEquals(0, q.queuedCost());
        }
    }

    @Test
    void closingWaitsForTheBatchInProgress() throws Exception {
        // a worker still generating after close() used a model its owner had closed: a native crash
        CompletableFuture<BatchingQueue.Done> running;
        CompletableFuture<BatchingQueue.Done> queued;
        try (BatchingQueue q = new BatchingQueue(new BatchingQueue.Policy(64, 1_000_000, 0, 1, 0, 1))) {
            running = heavy(q, "A", 0);
            queued = heavy(q, "A", 1);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (q.waiting() > 1 && System.nanoTime() < until) {
                Thread.sleep(1); // the first job has started
            }
        }
        assertTrue(running.isDone(), "close() returned before the batch in progress finished");
        assertTrue(queued.isDone(), "a request left waiting forever");
    }

    @Test
    void admissionIsByCostAsWellAsByCount() {
        try (BatchingQueue q = new BatchingQueue(new BatchingQueue.Policy(64, 500, 0, 1, 0, 1))) {
            BatchingQueue.Overloaded e = assertThrows(BatchingQueue.Overloaded.class,
                    () -> q.submit("A", "teacher", teacher, HEAVY, new Subject(1, null), 8, 0, 640, forever()));
            assertTrue(e.getMessage().contains("budget of 500"), e.getMessage());
        }
        try (BatchingQueue q = new BatchingQueue(new BatchingQueue.Policy(1, 1_000_000, 0, 1, 0, 1))) {
            // the worker may take the first at once; of three quick submissions at least one is refused
            int refused = 0;
            List<CompletableFuture<BatchingQueue.Done>> accepted = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                try {
                    accepted.add(heavy(q, "A", i));
                } catch (BatchingQueue.Overloaded e) {
                    refused++;
                }
            }
            assertTrue(refused >= 1);
            for (CompletableFuture<BatchingQueue.Done> f : accepted) {
                f.join();
            }
        }
    }
}
