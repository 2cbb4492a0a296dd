import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../util/ts-worker.ts';
import { SnnError } from '../errors.ts';
import type { ErrorKind } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** How a worker reports a failed write: an SnnError's kind and line, or a bug's message and stack. */
interface WorkerFailure { kind?: ErrorKind; message: string; stack?: string }

/** The worker's error on this thread: the same one-line SnnError (a full disk is exit 10, not a bug). */
function rebuildError(failure: WorkerFailure): Error {
  if (failure.kind) return new SnnError(failure.kind, failure.message);
  const err = new Error(failure.message);
  if (failure.stack) err.stack = failure.stack;
  return err;
}

/**
 * Writes many small files atomically (`writeFileAtomic`: temporary file, fsync, rename) from a
 * few worker threads, into folders that must exist already. Each fsync blocks its thread for milliseconds while the CPU is idle; with
 * several writers those waits overlap instead of adding up, which is what makes writing tens of
 * thousands of emulated recordings take minutes rather than a quarter of an hour.
 */
export class AtomicWriterPool {
  private readonly workers: Worker[] = [];
  private readonly pending: number[] = [];
  private waiters: (() => void)[] = [];
  private failure: Error | undefined;
  private next = 0;

  constructor(threads = 4, private readonly maxPending = 32) {
    for (let i = 0; i < threads; i++) {
      const worker = startTsWorker(new URL('./atomic-writer-worker.ts', import.meta.url));
      this.pending.push(0);
      worker.on('message', (msg: { error?: WorkerFailure }) => {
        this.pending[i]--;
        if (msg.error && !this.failure) this.failure = rebuildError(msg.error);
        const ready = this.waiters; this.waiters = [];
        for (const w of ready) w();
      });
      worker.on('error', (err) => { this.failure ??= err; const ready = this.waiters; this.waiters = []; for (const w of ready) w(); });
      this.workers.push(worker);
    }
  }

  private total(): number {
    return this.pending.reduce((a, b) => a + b, 0);
  }

  private async waitUntil(cond: () => boolean): Promise<void> {
    while (!cond() && !this.failure) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
  }

  /** Queues a file; waits while too many writes are in flight. The bytes are handed over (transferred). */
  async write(path: string, bytes: Uint8Array): Promise<void> {
    await this.waitUntil(() => this.total() < this.maxPending);
    const i = this.next++ % this.workers.length;
    this.pending[i]++;
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    this.workers[i].postMessage({ path, bytes: owned }, [owned.buffer as ArrayBuffer]);
  }

  /** Waits for every queued write, then stops the threads. */
  async close(): Promise<void> {
    try {
      await this.waitUntil(() => this.total() === 0);
    } finally {
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
  }
}

/** For callers that want no threads (tests, tiny outputs): the same interface, synchronous writes. */
export class InlineWriter {
  async write(path: string, bytes: Uint8Array): Promise<void> {
    writeFileAtomic(path, bytes, { createFolders: false });
  }
  async close(): Promise<void> {}
}
