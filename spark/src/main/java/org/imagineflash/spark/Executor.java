package org.imagineflash.spark;

/**
 * What every task needs of its JVM before the first model loads: the CLI's engine settings (DJL offline; one intra-op
 * thread per task unless {@code -Dai.djl.pytorch.num_threads} says otherwise). On a cluster the JVM options come from
 * {@code spark.executor.extraJavaOptions} and the oneDNN cap from {@code spark.executorEnv.ONEDNN_MAX_CPU_ISA}.
 */
final class Executor {
    private Executor() {
    }

    static synchronized void configure() {
        org.imagineflash.cli.Engines.configure();
    }
}
