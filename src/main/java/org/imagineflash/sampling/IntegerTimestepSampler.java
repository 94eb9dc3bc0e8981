package org.imagineflash.sampling;

import java.util.Arrays;

/** Base of samplers that evaluate the denoiser once per integer timestep: NFE and timesteps come from the list. */
abstract class IntegerTimestepSampler implements Sampler {
    protected final int[] ts;

    IntegerTimestepSampler(int[] ts) {
        this.ts = ts;
    }

    @Override
    public int nfe() {
        return ts.length;
    }

    @Override
    public double[] timesteps() {
        return Arrays.stream(ts).asDoubleStream().toArray();
    }
}
