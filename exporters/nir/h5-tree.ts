/**
 * Reading an untrusted HDF5 file (a NIR graph from anywhere) into plain data, safely:
 *
 * - **Only the given file is read.** The bytes are handed to HDF5 in a worker thread whose file
 *   system is an empty in-memory one (h5wasm's MEMFS build, with /dev, /proc, /tmp and /home
 *   emptied), and the file's own name is unlinked as soon as it is open. HDF5 external links,
 *   external storage (raw data in other files) and virtual datasets therefore have nothing to
 *   reach; they are also recognised and refused by name.
 * - **Within limits that follow from the file's size** (`hdf5ReadLimits`), checked before a value
 *   is read: nesting depth, number of objects, bytes of values, and a time limit after which the
 *   worker is stopped (a corrupt structure can make HDF5 loop).
 * - **Every failure is one line** naming the file and the HDF5 path.
 */
import type { Worker } from 'node:worker_threads';
import { SnnError, malformed } from '../../src/errors.ts';
import type { ErrorKind } from '../../src/errors.ts';
import { readInput } from '../../src/util/read-input.ts';
import { startTsWorker } from '../../src/util/ts-worker.ts';

/** A dataset's value held in memory after the file is closed. */
export type H5Field =
  | { kind: 'number'; shape: number[]; data: Float64Array }
  | { kind: 'string'; shape: number[]; data: string[] }
  | { kind: 'other'; what: string };

/** A group held in memory: its datasets and sub-groups by name. */
export interface H5Tree {
  path: string;
  fields: Map<string, H5Field>;
  groups: Map<string, H5Tree>;
}

/** What one read may cost. Every figure is documented in exporters/nir/README.md. */
export interface Hdf5ReadLimits {
  /** The size of the file being read, which the other limits follow. */
  fileBytes: number;
  /** Deepest group nesting (NIR needs 4–8 with nested graphs; a link cycle never ends). */
  maxDepth: number;
  /** Links visited in all. */
  maxObjects: number;
  /** Bytes of values held in memory (numbers as float64, strings by their length). */
  maxValueBytes: number;
  /** Wall time of the whole read. */
  timeoutMs: number;
}

const MiB = 2 ** 20;
const RETIRE_HEAP_BYTES = 128 * MiB;
/** The largest NIR file read at all. */
export const HDF5_MAX_FILE_BYTES = 512 * MiB;

/**
 * The limits for a file of `fileBytes` bytes. Values may hold up to 16 times the file's size
 * (gzip-compressed weights shrink far less than that; all-zero tensors shrink more, hence the
 * 64 MiB floor), and never more than 512 MiB; reading may take 10 s plus 1 s per 10 MiB.
 */
export function hdf5ReadLimits(fileBytes: number): Hdf5ReadLimits {
  return {
    fileBytes,
    maxDepth: 16,
    maxObjects: 100_000,
    maxValueBytes: Math.min(512 * MiB, Math.max(64 * MiB, 16 * fileBytes)),
    timeoutMs: 10_000 + Math.ceil(fileBytes / (10 * MiB)) * 1000,
  };
}

/** Request and reply between the reading thread and the sandbox worker. */
export interface SandboxRequest { id: number; file: string; bytes: Uint8Array; limits: Hdf5ReadLimits }
export type SandboxReply =
  | { id: number; tree: H5Tree; heapBytes: number }
  | { id: number; error: { kind: ErrorKind; message: string }; heapBytes: number; retire?: boolean }
  | { id: number; internal: string };

interface Pending { resolve: (t: H5Tree) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout; file: string; worker: Worker }

/** One sandbox worker, started on first use, kept while it is healthy, never keeping the process alive. */
class Sandbox {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  private start(): Worker {
    const w = startTsWorker(new URL('./h5-sandbox-worker.ts', import.meta.url));
    w.unref();
    w.on('message', (reply: SandboxReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.settle(reply.id);
      // Wasm memory never shrinks: a worker that a large file grew is replaced rather than kept.
      // So is one whose HDF5 aborted (it says so and ends).
      if ('error' in reply && reply.retire && this.worker === w) this.worker = undefined;
      if ('heapBytes' in reply && reply.heapBytes > RETIRE_HEAP_BYTES && this.pending.size === 0 && this.worker === w) {
        this.worker = undefined;
        void w.terminate();
      }
      if ('tree' in reply) p.resolve(reply.tree);
      else if ('error' in reply) p.reject(new SnnError(reply.error.kind, reply.error.message));
      else p.reject(new Error(`HDF5 sandbox: ${reply.internal}`));
    });
    const fail = (why: string) => {
      if (this.worker === w) this.worker = undefined;
      for (const [id, p] of this.pending) if (p.worker === w) { this.settle(id); p.reject(malformed(p.file, why)); }
    };
    w.on('error', (err) => fail(`the HDF5 reader failed on this file (${String(err?.message ?? err).split('\n')[0]})`));
    w.on('exit', () => fail('the HDF5 reader stopped on this file'));
    return w;
  }

  private settle(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
  }

  read(file: string, bytes: Uint8Array, limits: Hdf5ReadLimits): Promise<H5Tree> {
    this.worker ??= this.start();
    const w = this.worker;
    w.ref();
    const id = this.nextId++;
    return new Promise<H5Tree>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(id);
        if (this.worker === w) this.worker = undefined;
        void w.terminate();
        reject(malformed(file, `reading the HDF5 structure did not finish within ${limits.timeoutMs / 1000} s (a corrupt file can make it loop); refused`));
      }, limits.timeoutMs);
      this.pending.set(id, { resolve, reject, timer, file, worker: w });
      const request: SandboxRequest = { id, file, bytes, limits };
      w.postMessage(request, [bytes.buffer as ArrayBuffer]);
    });
  }
}

const sandbox = new Sandbox();

/**
 * Reads the whole HDF5 file at `path` into memory as plain data, in the sandbox described above.
 * A missing file is `missingInput`, an unreadable one or one that is not a regular file `io`,
 * bytes HDF5 cannot read or that exceed the limits `malformedInput`. `limitsFor` replaces the documented limits (tests use it).
 */
export async function readHdf5Tree(path: string, limitsFor: (fileBytes: number) => Hdf5ReadLimits = hdf5ReadLimits): Promise<H5Tree> {
  const bytes = readInput(path, { what: 'NIR file', maxBytes: HDF5_MAX_FILE_BYTES });
  const limits = limitsFor(bytes.byteLength);
  // A private copy whose buffer can be transferred (Node may pool small reads in a shared buffer).
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  return sandbox.read(path, owned, limits);
}
