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
  /**
   * The file system refused: an output that cannot be written (disk full, read-only folder, a
   * folder where a file is wanted, a path below a regular file), an input that cannot be read, or
   * an output that another running snn-export is writing.
   */
  io: 10,
  /** `train` stopped by SIGINT or SIGTERM after writing a checkpoint it can resume from. */
  interrupted: 130,
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

const FS_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'no such file or folder',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  EBUSY: 'device or resource busy (a mount point?)',
  EXDEV: 'the rename crosses file systems',
  ENOTEMPTY: 'folder not empty',
};

/**
 * A Node file-system error as the one-line `io` error: `<path>: cannot <doing>: <reason>`.
 * Anything that is not a file-system error is returned unchanged, so callers can rethrow it.
 */
export function fsError(path: string, doing: string, err: unknown): unknown {
  if (err instanceof SnnError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return err;
  return new SnnError('io', `${path}: cannot ${doing}: ${FS_REASONS[code] ?? code.toLowerCase()}`);
}

/** The longest message line printed; a hostile file can put a 100 kB value into a message. */
export const MAX_MESSAGE_CHARS = 1000;

/**
 * One line for the terminal: carriage returns, line feeds and other control characters become
 * spaces or escapes, and a line over MAX_MESSAGE_CHARS is cut, saying how much was cut.
 */
export function oneLine(text: string): string {
  const line = text.replace(/\r\n|\r|\n/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS)}… (${line.length - MAX_MESSAGE_CHARS} more characters)` : line;
}
