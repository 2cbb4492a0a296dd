/**
 * The thin layer between the NIR writer and h5wasm: loading the WebAssembly module once, turning
 * HDF5's multi-line diagnostics into one line, and the handful of dataset encodings NIR uses
 * (NIR's `nir/serialization.py` layout, exporters/nir/README.md). Reading untrusted files goes through h5-tree.ts instead.
 *
 * This is h5wasm's in-memory (MEMFS) build: files are built in memory and only their bytes reach
 * the disk, through writeFileAtomic, so an interrupted run never leaves half a model.
 */
import h5wasm, { FS } from 'h5wasm';
import type { Group as H5Group } from 'h5wasm';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';

export type Group = H5Group;

let ready: Promise<void> | undefined;

/**
 * Loads h5wasm once. HDF5 prints every failure as a 20-line stack on stderr by default; the
 * throwing handler turns it into a JS Error we can reduce to one line instead.
 */
function load(): Promise<void> {
  ready ??= h5wasm.ready.then((module) => { module.activate_throwing_error_handler(); });
  return ready;
}

/** The innermost HDF5 diagnostic ("truncated file: eof = …") is the one that names the cause. */
export function hdf5Reason(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const causes = [...text.matchAll(/#\d+: .* in [\w]+\(\): (.*)$/gm)].map((m) => m[1].trim());
  const cause = causes.length ? causes[causes.length - 1] : text.split('\n')[0];
  const truncated = /truncated file: eof = (\d+).*stored_eof = (\d+)/.exec(cause);
  if (truncated) return `truncated HDF5 file: ${truncated[1]} of ${truncated[2]} bytes present`;
  if (/file signature not found/.test(cause)) return 'not an HDF5 file (no HDF5 signature)';
  return cause;
}

let scratchCount = 0;

/**
 * Builds an HDF5 file with `write` in memory and stores it at `outPath` atomically.
 * Returns the number of bytes written.
 */
export async function writeHdf5(outPath: string, write: (root: Group) => void): Promise<number> {
  await load();
  const scratch = `/tmp/snn-export-${scratchCount++}.nir`;
  try {
    const file = new h5wasm.File(scratch, 'w');
    try {
      write(file);
    } finally {
      file.close();
    }
    const bytes = FS!.readFile(scratch);
    writeFileAtomic(outPath, bytes);
    return bytes.byteLength;
  } finally {
    try { FS!.unlink(scratch); } catch { /* never created */ }
  }
}

/** A scalar variable-length UTF-8 string, as h5py's `string_dtype()` writes `type` and `version`. */
export function writeString(g: Group, name: string, value: string): void {
  g.create_dataset({ name, data: value });
}

/** A 2-D array of variable-length UTF-8 strings (NIR's `edges`, shape (E, 2)). */
export function writeStringTable(g: Group, name: string, rows: string[][]): void {
  g.create_dataset({ name, data: rows.flat(), shape: [rows.length, rows[0]?.length ?? 0] });
}

/** int64, as numpy writes Python ints and shape tuples. `shape: []` gives a scalar. */
export function writeInt64(g: Group, name: string, values: number[], shape: number[] = [values.length]): void {
  g.create_dataset({ name, data: BigInt64Array.from(values, (v) => BigInt(v)), shape, dtype: '<q' });
}

/** Weights: float32, as PyTorch tensors are written. */
export function writeFloat32(g: Group, name: string, data: Float32Array, shape: number[]): void {
  g.create_dataset({ name, data, shape, dtype: '<f' });
}

/** Neuron constants and metadata numbers: float64, as numpy writes Python floats (snnTorch's CubaLIF too). */
export function writeFloat64(g: Group, name: string, data: Float64Array | number[], shape: number[]): void {
  g.create_dataset({ name, data: Float64Array.from(data), shape, dtype: '<d' });
}
