import { closeSync, readSync } from 'node:fs';
import { fsError } from '../../errors.ts';
import { openInput } from '../../util/read-input.ts';

/**
 * A file read in bounded pieces with `readSync`, so that multi-gigabyte recordings never have to
 * fit in memory. Offsets are absolute file offsets, which is what error messages report.
 */
export class ChunkedFile {
  readonly path: string;
  readonly size: number;
  private readonly fd: number;

  /** Opens a regular file (anything else is refused at once: `openInput`). */
  constructor(path: string) {
    this.path = path;
    ({ fd: this.fd, size: this.size } = openInput(path, 'file'));
  }

  /**
   * Reads up to `length` bytes at `offset` into `into` (from its start) and returns the filled
   * part. Short only at the end of the file.
   */
  readAt(offset: number, length: number, into?: Uint8Array): Uint8Array {
    const want = Math.max(0, Math.min(length, this.size - offset));
    const buf = into && into.length >= want ? into : new Uint8Array(want);
    let done = 0;
    while (done < want) {
      let n: number;
      try {
        n = readSync(this.fd, buf, done, want - done, offset + done);
      } catch (err) {
        throw fsError(this.path, 'read the file', err);
      }
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Runs `fn` on an open file and closes it whatever happens. */
export function withFile<R>(path: string, fn: (file: ChunkedFile) => R): R {
  const file = new ChunkedFile(path);
  try {
    return fn(file);
  } finally {
    file.close();
  }
}
