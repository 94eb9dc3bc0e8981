package org.imagineflash.cli;

import picocli.CommandLine;

import java.util.Arrays;

/**
 * One clear line on stderr and a typed exit code; the stack trace only with --verbose.
 * Exit codes: 2 usage error, 3 bad input (data, model, option values), 4 I/O failure, 1 anything else.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    static final int USAGE = 2;
    static final int BAD_INPUT = 3;
    static final int IO = 4;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        boolean verbose = Arrays.asList(parsed.originalArgs().toArray(new String[0])).contains("--verbose");
        String msg = message(ex);
        cl.getErr().println("error: " + msg.lines().findFirst().orElse(msg));
        if (verbose) {
            ex.printStackTrace(cl.getErr());
        }
        cl.getErr().flush();
        if (ex instanceof IllegalArgumentException) {
            return BAD_INPUT;
        }
        if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
            return IO;
        }
        return 1;
    }

    /** The one-line message; a file-system error names its file and the reason (the JDK's message is only the path). */
    static String message(Throwable ex) {
        Throwable e = ex instanceof java.io.UncheckedIOException u && u.getCause() != null ? u.getCause() : ex;
        if (e instanceof java.nio.file.FileSystemException f) {
            return "cannot use " + f.getFile() + (f.getOtherFile() != null ? " → " + f.getOtherFile() : "") + ": "
                    + org.imagineflash.model.ModelStore.reason(f);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Option parsing errors: one line, a hint to --help, exit 2. */
    static final class Params implements CommandLine.IParameterExceptionHandler {
        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine cl = ex.getCommandLine();
            cl.getErr().println("error: " + ex.getMessage());
            cl.getErr().println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
            cl.getErr().flush();
            return USAGE;
        }
    }
}
