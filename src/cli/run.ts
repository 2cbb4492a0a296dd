import { SnnError, EXIT_CODES, fsError, oneLine } from '../errors.ts';

/** What a failed system call was doing, in the words of `fsError` ("cannot <doing>"). */
const SYSCALL_DOING: Record<string, string> = {
  open: 'open', read: 'read', write: 'write', close: 'write', fsync: 'write', ftruncate: 'write',
  stat: 'read', lstat: 'read', fstat: 'read', access: 'read', scandir: 'list the folder', opendir: 'list the folder',
  mkdir: 'create the folder', rmdir: 'remove the folder', unlink: 'remove', rename: 'rename', copyfile: 'copy',
  readlink: 'read the link', realpath: 'resolve', symlink: 'create the link', link: 'create the link',
};

/**
 * A last safety net for file-system errors that no caller turned into an SnnError: Node's own
 * error (with `code`, `syscall` and `path`) becomes the one-line error of its kind, a missing file
 * exit 4, anything else the file system refused exit 10, instead of an "internal error" with a
 * stack. The callers that know what the file is for still say it better.
 */
export function fromSystemError(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException | undefined;
  if (err instanceof SnnError || typeof e?.syscall !== 'string' || typeof e.code !== 'string') return err;
  const path = e.path ?? (e as { dest?: string }).dest ?? 'a file (name not known)';
  const asIo = fsError(path, SYSCALL_DOING[e.syscall] ?? e.syscall, err);
  if (asIo instanceof SnnError && e.code === 'ENOENT') return new SnnError('missingInput', asIo.message);
  return asIo;
}

/**
 * Wraps a command's action: an SnnError becomes one line on stderr and its exit code; anything
 * else is a bug and prints its stack. `SNN_EXPORT_DEBUG=1` prints stacks for every error.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (caught) {
      const err = fromSystemError(caught);
      if (err instanceof SnnError) {
        process.stderr.write(`snn-export: ${oneLine(err.message)}\n`);
        if (process.env.SNN_EXPORT_DEBUG) process.stderr.write(`${err.stack}\n`);
        process.exit(err.exitCode);
      }
      process.stderr.write(`snn-export: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(EXIT_CODES.internal);
    }
  };
}

/** Parses a numeric option, refusing anything that is not a finite number. */
export function num(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || v.trim() === '') throw new SnnError('usage', `option --${name}: '${v}' is not a number`);
    return n;
  };
}

export function int(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || v.trim() === '') throw new SnnError('usage', `option --${name}: '${v}' is not an integer`);
    return n;
  };
}
