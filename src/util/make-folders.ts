import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates `dir` and its missing ancestors one at a time, outermost first, and returns the folders
 * it created. Unlike `mkdirSync(dir, { recursive: true })`, which reports ENOENT when a read-only
 * or full file system refuses, the error thrown is the one the file system gave (EROFS, ENOSPC,
 * ENOTDIR, ...), so that the message says why.
 */
export function makeFolders(dir: string): string[] {
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    try {
      statSync(p);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw err;
      if (dirname(p) === p) break;
      missing.unshift(p);
    }
  }
  const created: string[] = [];
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // made by someone else meanwhile
      throw err;
    }
    created.push(p);
  }
  return created;
}
