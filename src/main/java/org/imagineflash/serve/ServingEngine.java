package org.imagineflash.serve;

import org.imagineflash.Generator;
import org.imagineflash.model.ModelConfig;

import java.util.Locale;

/**
 * Which engine runs each served model's networks. {@link #AUTO} puts students on ONNX Runtime, where they answer
 * faster at the batch sizes a server sees (docs/performance.md), and keeps teachers on DJL; {@link #ORT} puts every
 * model on ONNX Runtime; {@link #DJL} runs all of them on DJL.
 */
public enum ServingEngine {
    AUTO, DJL, ORT;

    public static ServingEngine parse(String s) {
        return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> AUTO;
            case "djl" -> DJL;
            case "ort" -> ORT;
            default -> throw new IllegalArgumentException("--engine must be auto, djl or ort, got " + s);
        };
    }

    /** The engine for a model of this configuration. */
    public Generator.Engine forModel(ModelConfig c) {
        return switch (this) {
            case DJL -> Generator.Engine.DJL;
            case ORT -> Generator.Engine.ORT;
            case AUTO -> c.isStudent() ? Generator.Engine.ORT : Generator.Engine.DJL;
        };
    }
}
