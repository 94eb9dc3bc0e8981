package org.imagineflash.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import org.imagineflash.model.Tensors;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * AdamW (Loshchilov &amp; Hutter 2019) over a fixed list of parameters, using the engine's fused Adam kernel.
 * Unlike DJL's {@code Optimizer.adamW()}, its moment estimates can be saved and restored, so training resumes
 * exactly. The fused kernel also zeroes each gradient after the update.
 */
public final class AdamW {
    private final List<Parameter> params;
    private final NDManager manager;
    private final NDArray[] mean;
    private final NDArray[] var;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private long updates;

    public AdamW(List<Parameter> params, float beta1, float beta2, float eps, float weightDecay) {
        this.params = params;
        this.manager = params.get(0).getArray().getManager().newSubManager();
        this.mean = new NDArray[params.size()];
        this.var = new NDArray[params.size()];
        for (int i = 0; i < params.size(); i++) {
            NDArray w = params.get(i).getArray();
            mean[i] = manager.zeros(w.getShape());
            var[i] = manager.zeros(w.getShape());
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    public static AdamW standard(List<Parameter> params, float weightDecay) {
        return new AdamW(params, 0.9f, 0.999f, 1e-8f, weightDecay);
    }

    /** One update with learning rate lr for every parameter that has a gradient. */
    public void step(float lr) {
        updates++;
        float corr = (float) (lr * Math.sqrt(1 - Math.pow(beta2, updates)) / (1 - Math.pow(beta1, updates)));
        for (int i = 0; i < params.size(); i++) {
            NDArray w = params.get(i).getArray();
            if (!w.hasGradient()) {
                continue;
            }
            try (NDArray g = w.getGradient()) {
                w.getNDArrayInternal().adamUpdate(new NDList(w, g, mean[i], var[i]), new NDList(w), lr, corr,
                        weightDecay, 1f, -1f, beta1, beta2, eps, true, true);
            }
        }
    }

    public long updates() {
        return updates;
    }

    /** Writes the update count and both moments (see {@link Tensors} for why not NDList decoding). */
    public void save(Path file) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeLong(updates);
            out.writeInt(mean.length);
            for (int i = 0; i < mean.length; i++) {
                Tensors.write(out, mean[i]);
                Tensors.write(out, var[i]);
            }
        }
    }

    public void load(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            updates = in.readLong();
            int n = in.readInt();
            if (n != mean.length) {
                throw new IOException(file + ": optimizer state has " + n + " parameters, expected " + mean.length);
            }
            for (int i = 0; i < n; i++) {
                Tensors.readInto(in, mean[i], "adam mean " + i);
                Tensors.readInto(in, var[i], "adam variance " + i);
            }
        } catch (java.io.EOFException e) {
            throw new IOException(file + ": truncated optimizer state");
        }
    }
}
