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
 * loadable model), optimizer moments and a JSON map (step, RNG seed, wall time, the run's options). Written into a temporary directory and renamed, so an interrupted save leaves the previous
 * checkpoint intact.
 */
public final class Checkpoint {
    public static final String STATE = "state.json";

    private Checkpoint() {
    }

    public static void save(Path dir, DiffusionModel model, DiffusionModel ema, AdamW opt, Map<String, Object> state,
                            Extra extra) throws IOException {
        ModelStore.writeDirAtomically(dir, tmp -> {
            ModelStore.writeWeights(model, tmp.resolve("model.params"));
            // the EMA weights with config.json make the checkpoint directory a loadable model (sample/eval mid-run)
            ModelStore.writeWeights(ema, tmp.resolve(ModelStore.WEIGHTS));
            ModelStore.JSON.writeValue(tmp.resolve(ModelStore.CONFIG).toFile(), ema.config());
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
        if (!Files.isRegularFile(dir.resolve(STATE))) {
            throw new IOException("no checkpoint to resume in " + dir + " (missing " + STATE + ")");
        }
        ModelStore.readWeights(model, dir.resolve("model.params"));
        ModelStore.readWeights(ema, dir.resolve(ModelStore.WEIGHTS));
        opt.load(dir.resolve("adam.bin"));
        if (extra != null) {
            extra.load(dir);
        }
        return ModelStore.JSON.readValue(dir.resolve(STATE).toFile(), new TypeReference<Map<String, Object>>() { });
    }

    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(STATE));
    }

    /** Additional state a method saves with the checkpoint (e.g. a discriminator and its optimizer). */
    public interface Extra {
        void save(Path dir) throws IOException;

        void load(Path dir) throws IOException;
    }
}
