import { SnnError, EXIT_CODES, oneLine } from '../errors.ts';

/**
 * Wraps a command's action: an SnnError becomes one line on stderr and its exit code; anything
 * else is a bug and prints its stack. `SNN_EXPORT_DEBUG=1` prints stacks for every error.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof SnnError) {
        process.stderr.write(`snn-export: ${oneLine(err.message)}\n`);
        if (process.env.SNN_EXPORT_DEBUG) process.stderr.write(`${err.stack}\n`);
        process.exit(err.exitCode);
      }
      process.stderr.write(`snn-export: internal error: ${(err as Error)?.stack ?? err}\n`);
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
