/**
 * The worker side of `readHdf5Tree` (h5-tree.ts): HDF5 in an empty in-memory file system that
 * holds only the file being read, walked within the limits it is given. Runs in its own thread so
 * that a read that loops can be stopped from outside.
 */
import { parentPort } from 'node:worker_threads';
import type { Dataset, Group } from 'h5wasm';
import { SnnError, malformed } from '../../src/errors.ts';
import type { H5Field, H5Tree, Hdf5ReadLimits, SandboxReply, SandboxRequest } from './h5-tree.ts';
import { hdf5Reason } from './h5.ts';

const SANDBOX = '/sandbox';

/**
 * HDF5's heap may grow to this size and no further. A corrupt size field can make HDF5 ask for
 * gigabytes it then touches; with the cap the allocation fails inside HDF5, which reports it as an
 * error. Datasets are limited to well below it (h5-tree.ts), so real files never reach it.
 */
export const WASM_MEMORY_CAP = 512 * 2 ** 20;

// This thread has its own WebAssembly global, so the cap binds HDF5 here and nothing else.
const grow = WebAssembly.Memory.prototype.grow;
let heapBytes = 0;
WebAssembly.Memory.prototype.grow = function capped(this: WebAssembly.Memory, pages: number): number {
  if (this.buffer.byteLength + pages * 65536 > WASM_MEMORY_CAP) throw new RangeError(`over the ${WASM_MEMORY_CAP}-byte cap`);
  const before = grow.call(this, pages);
  heapBytes = Math.max(heapBytes, this.buffer.byteLength);
  return before;
};

// Emscripten reports a refused allocation on stderr; here it becomes part of the one-line error.
let lastDiagnostic = '';
console.error = (...parts: unknown[]) => { lastDiagnostic = parts.map(String).join(' ').split('\n')[0]; };
console.warn = console.error;

type H5 = typeof import('h5wasm');
let lib: H5;

async function prepare(): Promise<void> {
  lib = await import('h5wasm');
  const module = await lib.default.ready;
  module.activate_throwing_error_handler();
  const fs = lib.FS!;
  // Nothing outside the input may be reachable: no devices (/dev/urandom would do as an
  // "external file"), no /proc, and empty /tmp and /home.
  for (const dir of ['/dev', '/proc', '/tmp', '/home']) fs.mount(fs.filesystems.MEMFS, {}, dir);
  fs.mkdir(SANDBOX);
}

const ready = prepare();

/** Runs an h5wasm call, turning HDF5's diagnostics into one line about `where`. */
function h5<T>(where: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (err instanceof SnnError) throw err;
    if (err instanceof WebAssembly.RuntimeError) throw err;
    const reason = hdf5Reason(err);
    throw malformed(where, explain(/allocation|enlarge|memory/i.test(reason) && lastDiagnostic ? `${reason} (${lastDiagnostic.slice(0, 120)})` : reason));
  }
}

/** HDF5's words for the references it could not follow, in ours. */
function explain(reason: string): string {
  if (/external (raw data )?file|H5D__efl|efl/i.test(reason)) return `${reason} (the dataset is stored in another file, HDF5 external storage; snn-export reads only the file it is given)`;
  return reason;
}

const count = (shape: readonly number[] | null): number => (shape ?? []).reduce((a, b) => a * b, 1);

class Walker {
  private objects = 0;
  private valueBytes = 0;
  constructor(private readonly file: string, private readonly limits: Hdf5ReadLimits) {}

  /** The file and HDF5 path for a message; a path that loops is cut after its first 100 characters. */
  private where(path: string): string {
    const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
    return `${this.file}: ${shown || '/'}`;
  }

  /** Counts `bytes` of values against the limit before they are read. */
  private spend(bytes: number, path: string, what: string): void {
    this.valueBytes += bytes;
    if (this.valueBytes > this.limits.maxValueBytes) {
      throw malformed(this.where(path), `${what} take ${bytes} bytes in memory; with the datasets before it that is over the limit of ${this.limits.maxValueBytes} bytes for a file of ${this.limits.fileBytes} bytes`);
    }
  }

  group(g: Group, path: string, depth: number): H5Tree {
    if (depth > this.limits.maxDepth) throw malformed(this.where(path), `groups nest deeper than ${this.limits.maxDepth} levels (a link cycle?)`);
    const tree: H5Tree = { path: path || '/', fields: new Map(), groups: new Map() };
    for (const name of h5(this.where(path), () => g.keys())) {
      const childPath = `${path}/${name}`;
      const where = this.where(childPath);
      if (++this.objects > this.limits.maxObjects) throw malformed(where, `more than ${this.limits.maxObjects} objects`);
      const entity = h5(where, () => g.get(name));
      if (entity instanceof lib.ExternalLink) {
        throw malformed(where, `an HDF5 external link to '${entity.filename}' (${entity.obj_path}); snn-export reads only the file it is given`);
      }
      if (entity instanceof lib.BrokenSoftLink || entity === null) continue;
      if (entity instanceof lib.Group) tree.groups.set(name, this.group(entity, childPath, depth + 1));
      else if (entity instanceof lib.Dataset) tree.fields.set(name, this.dataset(entity, childPath));
    }
    return tree;
  }

  private dataset(ds: Dataset, path: string): H5Field {
    const where = this.where(path);
    const meta = h5(where, () => ds.metadata);
    if (meta.virtual_sources?.length) {
      const sources = [...new Set(meta.virtual_sources.map((s) => s.file_name))];
      throw malformed(where, `an HDF5 virtual dataset drawing on ${sources.map((s) => `'${s}'`).join(', ')}; snn-export reads only the file it is given`);
    }
    const shape = meta.shape ?? [];
    const n = count(shape);
    if (meta.chunks && count(meta.chunks) * meta.size > this.limits.maxValueBytes) {
      throw malformed(where, `chunks of ${count(meta.chunks) * meta.size} bytes are over the limit of ${this.limits.maxValueBytes} bytes for a file of ${this.limits.fileBytes} bytes`);
    }
    if (meta.type === 3) {
      // Fixed-length strings cost their size; variable-length ones at least a pointer each.
      this.spend(n * Math.max(meta.size, 16), path, `its ${n} strings`);
      const value = h5(where, () => ds.value);
      this.spend(typeof value === 'string' ? value.length : Array.isArray(value) ? value.reduce((a: number, s) => a + (typeof s === 'string' ? s.length : 0), 0) : 0, path, 'its strings\' characters');
      if (typeof value === 'string') return { kind: 'string', shape, data: [value] };
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { kind: 'string', shape, data: value };
      return { kind: 'other', what: describe(meta.type, meta.size, shape) };
    }
    if (meta.type === 0 || meta.type === 1) {
      this.spend(n * (8 + meta.size), path, `its ${n} values (${meta.size} bytes each, read as float64)`);
      const value = h5(where, () => ds.value);
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return { kind: 'number', shape, data: Float64Array.of(Number(value)) };
      if (value instanceof BigInt64Array || value instanceof BigUint64Array) return { kind: 'number', shape, data: Float64Array.from(value, Number) };
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return { kind: 'number', shape, data: Float64Array.from(value as unknown as ArrayLike<number>) };
      return { kind: 'other', what: describe(meta.type, meta.size, shape) };
    }
    return { kind: 'other', what: describe(meta.type, meta.size, shape) };
  }
}

function describe(type: number, size: number, shape: number[]): string {
  const kind = type === 3 ? 'string' : type === 0 ? `int${size * 8}` : type === 1 ? `float${size * 8}` : `HDF5 type class ${type}`;
  return `${kind} of shape [${shape}]`;
}

let nextName = 0;

async function read(req: SandboxRequest): Promise<H5Tree> {
  await ready;
  const fs = lib.FS!;
  const name = `${SANDBOX}/input-${nextName++}.h5`;
  fs.writeFile(name, req.bytes);
  let file: InstanceType<H5['File']>;
  try {
    file = h5(req.file, () => new lib.File(name, 'r'));
  } finally {
    // Open files stay readable; by name, not even the input itself is there to be referred to.
    fs.unlink(name);
  }
  try {
    return new Walker(req.file, req.limits).group(file, '', 0);
  } finally {
    try { file.close(); } catch { /* a corrupt file may fail to close; nothing is written */ }
  }
}

parentPort!.on('message', (req: SandboxRequest) => {
  read(req).then(
    (tree) => parentPort!.postMessage({ id: req.id, tree, heapBytes } satisfies SandboxReply),
    (err: unknown) => {
      if (err instanceof SnnError) parentPort!.postMessage({ id: req.id, error: { kind: err.kind, message: err.message }, heapBytes } satisfies SandboxReply);
      else if (err instanceof WebAssembly.RuntimeError) {
        // HDF5 aborted: its state cannot be trusted for the next file, so this worker ends.
        parentPort!.postMessage({ id: req.id, error: { kind: 'malformedInput', message: `${req.file}: HDF5 cannot read this file (${err.message})` }, heapBytes, retire: true } satisfies SandboxReply);
        process.exit(0);
      } else parentPort!.postMessage({ id: req.id, internal: String((err as Error)?.stack ?? err) } satisfies SandboxReply);
    },
  );
});
