/**
 * Errors a user can act on. Each kind has a documented exit code (README, "Exit codes"); the CLI
 * prints the message as one line and exits with that code, without a stack trace unless asked for.
 */
export const EXIT_CODES = {
  /** Unexpected failure: a bug. The CLI prints the stack trace. */
  internal: 1,
  /** Wrong command-line usage: unknown option, missing argument, value out of range. */
  usage: 2,
  /** A file exists but its bytes are wrong: truncated, wrong magic number, inconsistent sizes. */
  malformedInput: 3,
  /** A file or data set that is needed is not there. */
  missingInput: 4,
  /** A network spec that does not fit its input, or is not valid. */
  invalidSpec: 5,
  /** `verify`: a runtime fell below the parity thresholds. */
  parityFailed: 6,
  /** The network does not fit a hardware target's limits. */
  doesNotFit: 7,
  /** A file written by an incompatible version of snn-export, or of a format version we do not read. */
  incompatibleVersion: 8,
  /** Two inputs that must agree do not: an ONNX model whose inputs do not fit the checkpoint or the data. */
  mismatch: 9,
} as const;

export type ErrorKind = keyof typeof EXIT_CODES;

/** An error with a one-line message meant for the user and the exit code of its kind. */
export class SnnError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.name = 'SnnError';
    this.kind = kind;
  }
  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

/** A file's bytes are wrong. `where` names the file and, if known, the offset or field. */
export function malformed(where: string, what: string): SnnError {
  return new SnnError('malformedInput', `${where}: ${what}`);
}
