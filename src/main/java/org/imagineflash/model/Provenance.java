package org.imagineflash.model;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where an artifact came from: saved as provenance.json next to its weights.
 *
 * @param command the full command line that produced it
 * @param seed the seed
 * @param data the training data (path and split), or the teacher it was distilled from
 * @param steps optimisation steps
 * @param gitCommit the project's commit (with "-dirty" when the tree had changes)
 * @param wallSeconds wall time of the run (summed over resumed runs)
 * @param machine cores, OS and Java of the machine
 * @param created ISO-8601 time of writing
 * @param extra method-specific figures (final loss, flags)
 * @param weightsSha256 SHA-256 of weights.params, set by {@link ModelStore#save} and checked at load (null: unknown)
 */
public record Provenance(String command, long seed, String data, long steps, String gitCommit, double wallSeconds,
                         String machine, String created, Map<String, Object> extra, String weightsSha256) {

    /** The same provenance with the weights' checksum. */
    public Provenance withWeightsSha256(String sha256) {
        return new Provenance(command, seed, data, steps, gitCommit, wallSeconds, machine, created, extra, sha256);
    }

    /** Provenance with the git commit read now; use {@link #of(String, String, long, String, long, double, Map)} with a commit read at the start of a long run. */
    public static Provenance of(String command, long seed, String data, long steps, double wallSeconds, Map<String, Object> extra) {
        return of(currentGitCommit(), command, seed, data, steps, wallSeconds, extra);
    }

    public static Provenance of(String gitCommit, String command, long seed, String data, long steps, double wallSeconds,
                                Map<String, Object> extra) {
        return new Provenance(command, seed, data, steps, gitCommit, wallSeconds, machineDescription(), Instant.now().toString(), extra, null);
    }

    /** The processor, cores, OS and Java: wall times and speeds are only comparable on the same processor. */
    public static String machineDescription() {
        return cpuModel() + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
    }

    /** The processor's model name and ", " where Linux reports it, else "". */
    private static String cpuModel() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim() + ", ").orElse("");
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return "";
        }
    }

    /** The current git commit of the working directory, or "unknown". */
    public static String currentGitCommit() {
        try {
            String head = run("git", "rev-parse", "--short=12", "HEAD");
            if (head.isEmpty()) {
                return "unknown";
            }
            String dirty = run("git", "status", "--porcelain", "--untracked-files=no");
            return dirty.isEmpty() ? head : head + "-dirty";
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).directory(Path.of(".").toFile()).redirectErrorStream(false).start();
        try {
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "";
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
