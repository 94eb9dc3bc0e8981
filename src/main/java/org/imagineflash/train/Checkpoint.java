package org.imagineflash.train;

import com.fasterxml.jackson.core.type.TypeReference;
import org.imagineflash.model.DiffusionModel;
import org.imagineflash.model.ModelStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A resumable training state: raw weights, EMA weights (as weights.params + config.json, so the directory is also a
 * loadable model), optimizer moments and a JSON map (step, RNG seed, wall time, the run's options). Saved with
 * {@link ModelStore#writeDirAtomically}, so a crash at any instant leaves this checkpoint or the previous one.
 */
public final class Checkpoint {
    public static final String STATE = "state.json";

    private Checkpoint() {
    }

    public static void save(Path dir, DiffusionModel model, DiffusionModel ema, AdamW opt, Map<String, Object> state,
                            Extra extra) throws IOException {
        ModelStore.writeDirAtomically(dir, tmp -> {
            if (model != null) { // null: a network that is not a diffusion model keeps its weights in extra
                ModelStore.writeWeights(model, tmp.resolve("model.params"));
                // the EMA weights with config.json make the checkpoint directory a loadable model (sample/eval mid-run)
                ModelStore.writeWeights(ema, tmp.resolve(ModelStore.WEIGHTS));
                ModelStore.JSON.writeValue(tmp.resolve(ModelStore.CONFIG).toFile(), ema.config());
            }
            opt.save(tmp.resolve("adam.bin"));
            if (extra != null) {
                extra.save(tmp);
            }
            ModelStore.JSON.writeValue(tmp.resolve(STATE).toFile(), state);
        });
    }

    /** Restores weights and optimizer; returns the saved state map. */
    public static Map<String, Object> load(Path dir, DiffusionModel model, DiffusionModel ema, AdamW opt, Extra extra)
            throws IOException {
        ModelStore.recover(dir);
        if (!Files.isRegularFile(dir.resolve(STATE))) {
            throw new IOException("no checkpoint to resume in " + dir + " (missing " + STATE + ")");
        }
        if (model != null) {
            ModelStore.readWeights(model, dir.resolve("model.params"));
            ModelStore.readWeights(ema, dir.resolve(ModelStore.WEIGHTS));
        }
        opt.load(dir.resolve("adam.bin"));
        if (extra != null) {
            extra.load(dir);
        }
        return ModelStore.JSON.readValue(dir.resolve(STATE).toFile(), new TypeReference<Map<String, Object>>() { });
    }

    /** Where a resumed run starts: the next step and the wall time already spent. */
    public record Resumed(long step, double wallSeconds) {
        public static final Resumed FRESH = new Resumed(0, 0);
    }

    /** What must match between a checkpoint and the run that resumes it. */
    public record Run(long seed, long totalSteps, int batchSize, double lr, LrSchedule.Kind lrSchedule) {
        void into(Map<String, Object> st) {
            st.put("seed", seed);
            st.put("batchSize", batchSize);
            st.put("lr", lr);
            st.put("lrSchedule", lrSchedule.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /**
     * Restores a checkpoint and checks that the resuming run is the same run: same seed, batch size, learning rate and
     * schedule kind (checkpoints written before these were recorded check the seed only), and a step count not below the
     * checkpoint's (a longer run continues it).
     */
    public static Resumed resume(Path dir, DiffusionModel model, DiffusionModel ema, AdamW opt, Extra extra, Run run)
            throws IOException {
        Map<String, Object> st = load(dir, model, ema, opt, extra);
        if (((Number) st.get("seed")).longValue() != run.seed()) {
            throw new IllegalArgumentException("--seed " + run.seed() + " differs from the checkpoint's seed " + st.get("seed"));
        }
        if (st.get("batchSize") instanceof Number b && b.intValue() != run.batchSize()) {
            throw new IllegalArgumentException("--batch-size " + run.batchSize() + " differs from the checkpoint's " + b);
        }
        if (st.get("lr") instanceof Number lr && lr.doubleValue() != run.lr()) {
            throw new IllegalArgumentException("--lr " + run.lr() + " differs from the checkpoint's " + lr);
        }
        if (st.get("lrSchedule") instanceof String k && LrSchedule.Kind.parse(k) != run.lrSchedule()) {
            throw new IllegalArgumentException("--lr-schedule " + run.lrSchedule().name().toLowerCase(java.util.Locale.ROOT)
                    + " differs from the checkpoint's " + k);
        }
        long step = ((Number) st.get("step")).longValue();
        if (step > run.totalSteps()) {
            throw new IllegalArgumentException("the checkpoint in " + dir + " is at step " + step + ", past the " + run.totalSteps()
                    + " steps asked for; resume with at least " + step);
        }
        return new Resumed(step, ((Number) st.get("wallSeconds")).doubleValue());
    }

    /** Whether to checkpoint after {@code done} of {@code total} steps: every {@code every} steps (0: never) and at the end. */
    public static boolean due(Path dir, long done, long total, long every) {
        return dir != null && (done == total || (every > 0 && done % every == 0));
    }

    /** Saves the state a resume needs (step, the run's settings, wall time) plus the last value of a loss. */
    public static void save(Path dir, DiffusionModel model, DiffusionModel ema, AdamW opt, Extra extra, long done, Run run,
                            double wallSeconds, String lossName, float loss) throws IOException {
        Map<String, Object> st = new java.util.LinkedHashMap<>();
        st.put("step", done);
        run.into(st);
        st.put("wallSeconds", wallSeconds);
        st.put(lossName, loss);
        save(dir, model, ema, opt, st, extra);
    }

    /**
     * The checkpoint folder of a run writing {@code out} when none is given: the hidden sibling {@code .NAME.checkpoint}
     * (next to the output wherever the command runs; not served or listed as a model).
     */
    public static Path defaultDir(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        return abs.resolveSibling("." + abs.getFileName() + ".checkpoint");
    }

    /** Whether {@code dir} holds a checkpoint (after completing or rolling back a save that a crash interrupted). */
    public static boolean exists(Path dir) throws IOException {
        ModelStore.recover(dir);
        return Files.isRegularFile(dir.resolve(STATE));
    }

    /** Additional state a method saves with the checkpoint (e.g. a discriminator and its optimizer). */
    public interface Extra {
        void save(Path dir) throws IOException;

        void load(Path dir) throws IOException;
    }
}
