/**
 * The exit codes of every `virtiokit` command, in one place so that the same failure gives the same code in
 * every command.
 *
 * @module
 */

/** Exit codes (documented in the README and in `virtiokit --help`). */
export const ExitCode = {
  /** Done; the spec is clean (warnings and notes do not count). */
  ok: 0,
  /** Done, and what was asked found problems: the spec has errors, a check failed, a diff has a `--fail-on` change. */
  findings: 1,
  /** Nothing useful was done: bad usage, or an input or output that cannot be read, applied or written. */
  unusable: 2,
  /** A bug in virtiokit itself (BSD `EX_SOFTWARE`): the message says what to report. */
  internal: 70,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Where to report an internal error (printed with it). */
export const REPORT_BUG =
  "this is a bug in virtiokit, not in your input: please report it with the command line, the virtiokit version " +
  "(virtiokit --version) and this message; VIRTIOKIT_DEBUG=1 prints the stack";
