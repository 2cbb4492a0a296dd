import { closeSync, linkSync, openSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SnnError, fsError } from '../errors.ts';
import { makeFolders } from './make-folders.ts';

/** An output this process has claimed; `release()` removes its lock (safe to call more than once). */
export interface OutputClaim {
  /** The output path as given. */
  readonly path: string;
  /** The lock file next to it (`.NAME.lock`). */
  readonly lockPath: string;
  /**
   * Names a scratch file or folder (a staging copy of the output) to remove, recursively, when the
   * claim is released, including on exit: a run that fails half-way leaves nothing.
   */
  discardOnRelease(scratch: string): void;
  release(): void;
}

/** Whether the output is one file (export, checkpoint, report) or a folder the command fills (data emulate). */
export type OutputKind = 'file' | 'folder';

export interface ClaimOptions {
  /** Default 'file'. */
  kind?: OutputKind;
}

/** Locks held by this process, by absolute lock path, so that exit can release them. */
const held = new Map<string, () => void>();
let exitHandlerInstalled = false;

/** The lock file of an output: a hidden sibling, so that every run writing that path meets it. */
export function lockPathOf(path: string): string {
  return join(dirname(path) || '.', `.${basename(path)}.lock`);
}

function refuse(flag: string, path: string, why: string): SnnError {
  return new SnnError('io', `option ${flag}: ${path}: cannot write: ${why}`);
}

/** The first part of `dir` (itself or an ancestor) that exists, or undefined if none can be stat'ed. */
function nearestExisting(dir: string): { path: string; isDirectory: boolean } | undefined {
  let p = dir;
  for (;;) {
    try {
      return { path: p, isDirectory: statSync(p).isDirectory() };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: some ancestor is a file; keep going up to name it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { path: p, isDirectory: true };
      const up = dirname(p);
      if (up === p) return undefined;
      p = up;
    }
  }
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When a process started, in clock ticks since boot (Linux /proc/PID/stat, field 22), or undefined
 * where there is no /proc. With the pid it names one process for good: after a kill -9 and a
 * restart the pid may belong to another process (containers reuse small pids), whose start differs.
 */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; the fields after its ')' do not.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The pid of the process holding a lock whose text is `PID [START]`, or undefined if that process is gone. */
function lockOwner(text: string): number | undefined {
  const [pidText, start] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!pidAlive(pid)) return undefined;
  if (start !== undefined) {
    const now = startTicks(pid);
    if (now !== undefined && now !== start) return undefined;
  }
  return pid;
}

function releaseAll(): void {
  for (const release of [...held.values()]) release();
}

function releaseOnExit(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', releaseAll);
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The text of an existing lock, or undefined if it vanished. A lock is created empty and its pid
 * written just after, so an empty one is read again for a moment before it counts as stale.
 */
function readLockText(lockPath: string): string | undefined {
  for (let attempt = 0; ; attempt++) {
    let text: string;
    try {
      text = readFileSync(lockPath, 'utf8');
    } catch {
      return undefined;
    }
    if (text.trim() !== '' || attempt === 10) return text;
    sleepMs(20);
  }
}

/**
 * Removes a lock judged stale (its text `judged`). It is first moved aside and checked: if another
 * run took it over between our reading and the move, the lock moved is that run's fresh one, so it
 * is put back and the claim fails, instead of both runs going on as writers.
 */
function takeOverStaleLock(lockPath: string, judged: string, flag: string, path: string): boolean {
  const aside = `${lockPath}.${process.pid}.stale`;
  try {
    renameSync(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw fsError(`option ${flag}: ${path}`, 'write', err);
  }
  let moved: string | undefined;
  try { moved = readFileSync(aside, 'utf8'); } catch { /* unreadable: treat as the stale one */ }
  const fresh = moved !== undefined && moved !== judged;
  if (fresh) try { linkSync(aside, lockPath); } catch { /* a third run holds it now */ }
  try { unlinkSync(aside); } catch { /* gone */ }
  return !fresh;
}

/**
 * Removes the temporary files of `path` (`.NAME.PID.TAG.N.tmp`, from writeFileAtomic) that a
 * process which no longer runs left behind when it was killed mid-write. Called with the lock held,
 * so no live writer of this output can own them; a live process's files are kept all the same.
 */
function removeStaleTemporaries(path: string): void {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path) || '.');
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pidAlive(pid)) continue;
    try { unlinkSync(join(dirname(path) || '.', name)); } catch { /* gone meanwhile */ }
  }
}

/**
 * Claims an output before any long work starts, so that a run that cannot write its result fails
 * in the first second with one `io` line (exit 10) naming `flag` and `path` instead of after the
 * work. It refuses: a file output that is a folder (or a folder output that is a file), a path
 * below a regular file, a folder that cannot be created or written (tried for real by creating
 * the lock file there, since permission bits say nothing to root), and an output that another
 * running snn-export holds. The lock is `.NAME.lock` next to the output, created exclusively and
 * holding the pid (and the process's start time, so that a reused pid is not mistaken for the
 * writer); a lock whose process is gone (kill -9, Ctrl-C) is taken over. Missing folders are
 * created; `release()` removes the lock, and the folders it created if nothing was written
 * there (a folder output is created too, and removed again if it stays empty). Claims are also
 * released on exit (process.exit, an uncaught error). A signal keeps its default action and kills
 * at once: a handler would run only between tasks, so Ctrl-C would wait for synchronous work (and
 * its output might still be written). The lock it leaves is stale and taken over by the next run;
 * a command that must clean up on a signal (train, data emulate) handles the signal itself.
 */
export function claimOutput(path: string, flag: string, options: ClaimOptions = {}): OutputClaim {
  const kind = options.kind ?? 'file';
  const dir = dirname(path) || '.';
  const lockPath = lockPathOf(path);
  const key = resolve(lockPath);
  if (held.has(key)) throw new SnnError('io', `option ${flag}: ${path} is already being written by this snn-export`);

  try {
    const st = statSync(path);
    if (kind === 'file' && st.isDirectory()) throw refuse(flag, path, 'it is a folder, not a file');
    if (kind === 'folder' && !st.isDirectory()) throw refuse(flag, path, 'it is a file, not a folder');
    // Renaming a temporary file onto /dev/null (as root) would replace the device with a file.
    if (kind === 'file' && !st.isFile()) throw refuse(flag, path, 'it is a device, pipe or socket, not a regular file');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof SnnError) throw err;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsError(`option ${flag}: ${path}`, 'write', err);
  }
  const existing = nearestExisting(dir);
  if (existing && !existing.isDirectory) throw refuse(flag, path, `${existing.path} is a file, not a folder`);

  // Folders created here are removed again on release if the command wrote nothing into them.
  let created: string[];
  try {
    created = makeFolders(kind === 'folder' ? path : dir);
  } catch (err) {
    throw fsError(`option ${flag}: ${path}`, 'write', err);
  }
  const removeCreatedFolders = () => {
    for (const p of [...created].reverse()) {
      try { rmdirSync(p); } catch { break; }
    }
  };

  const tryCreateLock = (): boolean => {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      removeCreatedFolders();
      throw fsError(`option ${flag}: ${path}`, 'write', err);
    }
    try {
      writeSync(fd, `${process.pid} ${startTicks(process.pid) ?? ''}`.trim() + '\n');
    } catch (err) {
      closeSync(fd);
      try { unlinkSync(lockPath); } catch { /* already gone */ }
      removeCreatedFolders();
      throw fsError(`option ${flag}: ${path}`, 'write', err);
    }
    closeSync(fd);
    return true;
  };

  if (!tryCreateLock()) {
    const text = readLockText(lockPath);
    const owner = text === undefined ? undefined : lockOwner(text);
    // Our own pid in a lock we do not hold is a leftover of an earlier process that had the same
    // pid (common in containers), so it is stale too.
    if (owner !== undefined && owner !== process.pid) {
      throw new SnnError('io', `option ${flag}: ${path} is being written by another snn-export (pid ${owner}); wait for it to finish, or remove ${lockPath} if that process is not snn-export`);
    }
    if (!takeOverStaleLock(lockPath, text ?? '', flag, path) || !tryCreateLock()) {
      throw new SnnError('io', `option ${flag}: ${path} is being written by another snn-export (it took the lock at the same moment)`);
    }
  }

  removeStaleTemporaries(path);

  let released = false;
  const scratch: string[] = [];
  const release = () => {
    if (released) return;
    released = true;
    held.delete(key);
    for (const p of scratch) {
      // Retries: on exit, writer threads may still be finishing a file in it.
      try { rmSync(p, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }); } catch { /* best effort: the lock matters more */ }
    }
    try { unlinkSync(lockPath); } catch { /* removed by hand */ }
    removeCreatedFolders();
  };
  held.set(key, release);
  releaseOnExit();
  return { path, lockPath, release, discardOnRelease: (p: string) => { scratch.push(p); } };
}
