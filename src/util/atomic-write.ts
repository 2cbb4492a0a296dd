import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SnnError, fsError } from '../errors.ts';
import { makeFolders } from './make-folders.ts';

export { claimOutput, lockPathOf } from './output-claim.ts';
export type { ClaimOptions, OutputClaim, OutputKind } from './output-claim.ts';

export interface AtomicWriteOptions {
  /**
   * Create the missing folders of `path` (default true). Writers that fill a staging folder turn
   * it off, so that a write racing the folder's removal (a run stopped by a signal) fails instead
   * of bringing the folder back.
   */
  createFolders?: boolean;
}

/**
 * The temporary sibling a write goes through: unique per call (pid, a random tag per module
 * instance, so that worker threads of one process differ, and a counter), hidden, and ending in
 * `.tmp` so that a reader never mistakes it for the output.
 */
const instanceTag = randomBytes(4).toString('hex');
let counter = 0;
function temporaryPathFor(path: string): string {
  return join(dirname(path) || '.', `.${basename(path)}.${process.pid}.${instanceTag}.${counter++}.tmp`);
}

/**
 * Writes `chunks` to `path` through a temporary file in the same folder, then renames it, so that
 * an interrupted run never leaves a half-written file where a good one was expected, and the file
 * that was there stays untouched when the write fails. On every failure (open, write, fsync,
 * close, rename) the temporary file is removed and the file-system error is thrown as the one-line
 * `io` error (`<path>: cannot write: no space left on the device`, exit 10).
 */
export function writeFileAtomic(path: string, chunks: Uint8Array | string | (Uint8Array | string)[], options: AtomicWriteOptions = {}): void {
  const parts = Array.isArray(chunks) ? chunks : [chunks];
  try {
    // Renaming onto a folder fails only after all the bytes were written; say it first.
    const st = statSync(path);
    if (st.isDirectory()) throw new SnnError('io', `${path}: cannot write: it is a folder, not a file`);
    // The rename would replace a device (/dev/null, as root) or a pipe with a regular file.
    if (!st.isFile()) throw new SnnError('io', `${path}: cannot write: it is a device, pipe or socket, not a regular file`);
  } catch (err) {
    if (err instanceof SnnError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw fsError(path, 'write', err);
  }
  if (options.createFolders ?? true) {
    try {
      makeFolders(dirname(path) || '.');
    } catch (err) {
      throw fsError(path, 'write', err);
    }
  }
  const tmp = temporaryPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    for (const part of parts) {
      const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    }
    fsyncSync(fd);
    const closing = fd;
    fd = undefined;
    closeSync(closing);
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* the error that matters is err */ }
    try { unlinkSync(tmp); } catch { /* never created, or already renamed */ }
    throw fsError(path, 'write', err);
  }
}
