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
        String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
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
