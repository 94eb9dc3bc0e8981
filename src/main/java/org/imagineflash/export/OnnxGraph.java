package org.imagineflash.export;

import com.google.protobuf.ByteString;
import org.imagineflash.export.onnx.Onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds an ONNX graph (the messages of {@code src/main/protobuf/onnx.proto}): named inputs, weights as initializers
 * (float32, raw little-endian), nodes with fresh output names, and the model around it (IR version 8, opset
 * {@value #OPSET}).
 */
public final class OnnxGraph {
    /** The ONNX operator set the graphs use. */
    public static final int OPSET = 17;
    static final int IR_VERSION = 8;
    /** The name of a dynamic batch dimension. */
    public static final String BATCH = "batch";

    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder();
    private final Map<String, Integer> counters = new HashMap<>();
    /** Constants already in the graph by content: a graph that runs a network several times holds its weights once. */
    private final Map<Constant, String> constants = new HashMap<>();

    /** A constant's element type, shape and values (floats as raw bits, so equality is bitwise). */
    private record Constant(int type, List<Long> dims, List<Long> values, int[] floats) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Constant c && type == c.type && dims.equals(c.dims) && java.util.Objects.equals(values, c.values)
                    && java.util.Arrays.equals(floats, c.floats);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(type, dims, values, java.util.Arrays.hashCode(floats));
        }
    }

    private static int[] bits(float[] data) {
        int[] b = new int[data.length];
        for (int i = 0; i < data.length; i++) {
            b[i] = Float.floatToRawIntBits(data[i]);
        }
        return b;
    }

    public OnnxGraph(String name) {
        graph.setName(name);
    }

    /** A graph input of element type {@code elemType} ({@link Onnx.TensorProto.DataType}); a null dimension is the batch. */
    public String input(String name, Onnx.TensorProto.DataType elemType, Long... dims) {
        graph.addInput(valueInfo(name, elemType, dims));
        return name;
    }

    /** Marks {@code value} as a graph output named {@code name}. */
    public void output(String value, String name, Onnx.TensorProto.DataType elemType, Long... dims) {
        node("Identity", new String[] {value}, new String[] {name});
        graph.addOutput(valueInfo(name, elemType, dims));
    }

    private static Onnx.ValueInfoProto valueInfo(String name, Onnx.TensorProto.DataType elemType, Long... dims) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        for (Long d : dims) {
            shape.addDim(d == null ? Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH)
                    : Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(elemType.getNumber()).setShape(shape))).build();
    }

    /** A float32 constant of the given shape (the existing one if the graph holds it already). */
    public String weight(String name, float[] data, long... dims) {
        Constant key = new Constant(Onnx.TensorProto.DataType.FLOAT_VALUE, java.util.Arrays.stream(dims).boxed().toList(), null, bits(data));
        String known = constants.get(key);
        if (known != null) {
            return known;
        }
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        String unique = fresh(name);
        graph.addInitializer(Onnx.TensorProto.newBuilder().setName(unique).setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(java.util.Arrays.stream(dims).boxed().toList()).setRawData(ByteString.copyFrom(b.array())));
        constants.put(key, unique);
        return unique;
    }

    /** An int64 constant (shapes, axes, indices). */
    public String int64s(String name, long... values) {
        Constant key = new Constant(Onnx.TensorProto.DataType.INT64_VALUE, List.of((long) values.length),
                java.util.Arrays.stream(values).boxed().toList(), null);
        String known = constants.get(key);
        if (known != null) {
            return known;
        }
        String unique = fresh(name);
        constants.put(key, unique);
        graph.addInitializer(Onnx.TensorProto.newBuilder().setName(unique).setDataType(Onnx.TensorProto.DataType.INT64_VALUE)
                .addDims(values.length).addAllInt64Data(java.util.Arrays.stream(values).boxed().toList()));
        return unique;
    }

    /** A float32 scalar constant. */
    public String scalar(String name, float value) {
        Constant key = new Constant(Onnx.TensorProto.DataType.FLOAT_VALUE, List.of(), null, bits(new float[] {value}));
        String known = constants.get(key);
        if (known != null) {
            return known;
        }
        String unique = fresh(name);
        constants.put(key, unique);
        graph.addInitializer(Onnx.TensorProto.newBuilder().setName(unique).setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                .addFloatData(value));
        return unique;
    }

    /** A node with one output; returns the output's name. */
    public String op(String opType, String[] inputs, Onnx.AttributeProto... attributes) {
        String out = fresh(opType.toLowerCase(java.util.Locale.ROOT));
        node(opType, inputs, new String[] {out}, attributes);
        return out;
    }

    public String op(String opType, String input, Onnx.AttributeProto... attributes) {
        return op(opType, new String[] {input}, attributes);
    }

    private void node(String opType, String[] inputs, String[] outputs, Onnx.AttributeProto... attributes) {
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(opType).setName(outputs[0]);
        for (String i : inputs) {
            n.addInput(i);
        }
        for (String o : outputs) {
            n.addOutput(o);
        }
        for (Onnx.AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
    }

    public static Onnx.AttributeProto attr(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(value).build();
    }

    public static Onnx.AttributeProto attr(String name, float value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    public static Onnx.AttributeProto attr(String name, String value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    public static Onnx.AttributeProto attr(String name, long... values) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    private String fresh(String base) {
        int n = counters.merge(base, 1, Integer::sum);
        return n == 1 ? base : base + "_" + n;
    }

    /** The model: this graph with its producer and metadata. */
    public Onnx.ModelProto model(String producerVersion, Map<String, String> metadata) {
        Onnx.ModelProto.Builder m = Onnx.ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("imagine-flash")
                .setProducerVersion(producerVersion).addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph);
        metadata.forEach((k, v) -> m.addMetadataProps(Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build();
    }
}
