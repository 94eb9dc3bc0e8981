package org.imagineflash.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** The Spark context of a job: embedded local mode by default, quiet, without the web UI. */
public final class SparkContexts {
    private SparkContexts() {
    }

    /** A context on {@link #master}(requested), quiet, without the web UI. */
    public static JavaSparkContext create(String requested, String appName) {
        String master = master(requested);
        SparkConf conf = new SparkConf().setMaster(master).setAppName(appName).set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false");
        if (master.startsWith("local")) {
            // an embedded run talks to itself only: bind to the loopback, whatever the host name resolves to
            conf.set("spark.driver.bindAddress", "127.0.0.1").set("spark.driver.host", "127.0.0.1");
        }
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel("ERROR");
        return sc;
    }

    /**
     * The master a job runs on: the one asked for; else the one spark-submit passed (its {@code spark.master}
     * property); else, run directly, embedded local mode with one task per core. Refuses what Spark cannot start.
     */
    static String master(String requested) {
        String master = requested != null ? requested : System.getProperty("spark.master", "local[*]");
        if (!(master.startsWith("local") || master.startsWith("spark://") || master.startsWith("yarn")
                || master.startsWith("k8s://"))) {
            throw new IllegalArgumentException("--master must be local[N], local[*], spark://HOST:PORT, yarn or k8s://…, got " + master);
        }
        return master;
    }
}
