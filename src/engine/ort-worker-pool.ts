import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../util/ts-worker.ts';

/** A tensor to feed a worker: plain data and dims (onnxruntime tensors do not cross threads). */
export interface WorkerTensor { data: Float32Array; dims: number[] }

interface Pending { resolve: (out: Record<string, Float32Array>) => void; reject: (e: Error) => void }

/**
 * onnxruntime-node sessions in worker threads. A session's `run` occupies the thread that calls it,
 * so data-parallel training on several cores needs one session per thread: each worker runs the
 * same graph on its share of the batch.
 */
export class OrtWorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly sent: Set<string>[] = [];
  private nextId = 0;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) {
      const w = startTsWorker(new URL('./ort-worker.ts', import.meta.url));
      w.on('message', (msg: { id: number; out?: Record<string, Float32Array>; error?: string }) => {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error)); else p?.resolve(msg.out!);
      });
      w.on('error', (err) => { for (const p of this.pending.values()) p.reject(err); this.pending.clear(); });
      this.workers.push(w);
      this.sent.push(new Set());
    }
  }

  /** Runs graph `key` (built by `model()` on first use per worker) on worker `index`. */
  run(index: number, key: string, model: () => Uint8Array, feeds: Record<string, WorkerTensor>): Promise<Record<string, Float32Array>> {
    const id = this.nextId++;
    const first = !this.sent[index].has(key);
    this.sent[index].add(key);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[index].postMessage({ id, key, model: first ? model() : undefined, feeds });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
