package org.imagineflash.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * Java arrays → tensors, the one place where Java data enters the engine: allocated by PyTorch ({@code zeros}) and
 * filled with {@code set}, which points the tensor at a direct buffer that the returned NDArray keeps alive.
 *
 * <p>Note: DJL's CPU tensors made from Java data live in JVM direct buffers that are only kept alive by their
 * NDArray. A tensor closed right after use while autograd still holds it (e.g. the scalar DJL creates for
 * {@code x.mul(0.2f)}) can be read after the buffer is freed; losses and blocks here therefore use tensors from this
 * class that live until the step's sub-manager closes. (Session 1 blamed this for the training NaNs; the measured
 * cause was PyTorch's CPU convolution, see {@link org.imagineflash.kernel.Conv2dBlock}.)
 */
public final class Tensors {
    private Tensors() {
    }

    public static NDArray floats(NDManager m, float[] data, Shape shape) {
        NDArray a = m.zeros(shape, DataType.FLOAT32);
        a.set(FloatBuffer.wrap(data));
        return a;
    }

    public static NDArray floats(NDManager m, float[] data) {
        return floats(m, data, new Shape(data.length));
    }

    /** Images of bytes (C·H·W each, 0..255) as a (B, C, H, W) tensor scaled to [−1, 1]. */
    public static NDArray pixels(NDManager m, java.util.List<byte[]> images, int c, int h, int w) {
        int n = c * h * w;
        float[] x = new float[images.size() * n];
        for (int i = 0; i < images.size(); i++) {
            byte[] s = images.get(i);
            if (s.length != n) {
                throw new IllegalArgumentException("an image of " + c + "×" + h + "×" + w + " has " + n + " bytes, got " + s.length);
            }
            for (int j = 0; j < n; j++) {
                x[i * n + j] = (s[j] & 0xff) / 127.5f - 1f;
            }
        }
        return floats(m, x, new Shape(images.size(), c, h, w));
    }

    public static NDArray ints(NDManager m, int[] data) {
        NDArray a = m.zeros(new Shape(data.length), DataType.INT32);
        a.set(IntBuffer.wrap(data));
        return a;
    }

    /** Writes shape and float32 values. */
    public static void write(DataOutputStream out, NDArray a) throws IOException {
        write(out, a, WeightPrecision.FLOAT32);
    }

    /** Writes shape and values at {@code precision} (float32, or IEEE half: {@link Float16}). */
    public static void write(DataOutputStream out, NDArray a, WeightPrecision precision) throws IOException {
        long[] dims = a.getShape().getShape();
        out.writeInt(dims.length);
        for (long d : dims) {
            out.writeLong(d);
        }
        float[] f = a.toType(DataType.FLOAT32, false).toFloatArray();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(f.length * precision.bytes());
        if (precision == WeightPrecision.FLOAT16) {
            for (float v : f) {
                b.putShort(Float16.encode(v));
            }
        } else {
            b.asFloatBuffer().put(f);
        }
        out.write(b.array());
    }

    /** Reads what {@link #write} wrote (float32) into an existing array of the same shape (copying into PyTorch's memory). */
    public static void readInto(DataInputStream in, NDArray target, String name) throws IOException {
        readInto(in, target, name, WeightPrecision.FLOAT32);
    }

    /** Reads what {@link #write} wrote at {@code precision} into an existing array of the same shape, as float32. */
    public static void readInto(DataInputStream in, NDArray target, String name, WeightPrecision precision) throws IOException {
        int rank = in.readInt();
        if (rank < 0 || rank > 8) {
            throw new IOException("corrupt array header for " + name);
        }
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = in.readLong();
        }
        Shape s = new Shape(dims);
        if (!s.equals(target.getShape())) {
            throw new IOException(name + " has shape " + s + " but config.json's architecture needs " + target.getShape());
        }
        byte[] b = new byte[Math.toIntExact(s.size() * precision.bytes())];
        in.readFully(b);
        float[] f = new float[Math.toIntExact(s.size())];
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b);
        if (precision == WeightPrecision.FLOAT16) {
            for (int i = 0; i < f.length; i++) {
                f[i] = Float16.decode(buf.getShort());
            }
        } else {
            buf.asFloatBuffer().get(f);
        }
        for (float v : f) {
            if (!Float.isFinite(v)) {
                throw new IOException(name + " holds non-finite values (NaN or ∞): the weights are corrupt or training diverged");
            }
        }
        target.set(FloatBuffer.wrap(f));
    }
}
