package org.imagineflash.cli;

import org.imagineflash.sampling.SamplerFamily;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code imagine-flash} command line. */
@Command(name = "imagine-flash", mixinStandardHelpOptions = true, version = "imagine-flash 0.1.0",
        description = "Class-conditional diffusion on Fashion-MNIST, Imagine Flash distillation and real-time serving.",
        subcommands = {DemoCommand.class, SampleCommand.class, TrainTeacherCommand.class, DistillCommand.class, TrainClassifierCommand.class, EvalCommand.class, ServeCommand.class, LoadTestCommand.class, ReportCommand.class, BenchmarkCommand.class, ScheduleCommand.class, ScenesCommand.class, TrainContrastiveCommand.class, TrainAutoencoderCommand.class, ExportCommand.class, ConvertCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** A CommandLine with the project's error handling; tests use it to run commands in-process. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return configure(new CommandLine(new Main()), out, err);
    }

    /**
     * Gives a command line the project's streams, its error handling (one line, typed exit codes; {@link ErrorHandler})
     * and its converters; the Spark module's command line uses it too.
     */
    public static CommandLine configure(CommandLine cl, PrintWriter out, PrintWriter err) {
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setParameterExceptionHandler(new ErrorHandler.Params());
        cl.registerConverter(SamplerFamily.class, s -> {
            try {
                return SamplerFamily.parse(s);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        });
        return cl;
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        int code = commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
        System.exit(code);
    }
}
