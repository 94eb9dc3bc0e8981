package org.imagineflash.cli;

import picocli.CommandLine.Option;

/** --verbose: stack traces on errors (picocli mixin; the error handler looks for the flag). */
public final class Verbose {
    @Option(names = "--verbose", description = "show stack traces on errors")
    boolean verbose;
}
