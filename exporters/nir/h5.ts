/**
 * The thin layer between the NIR reader/writer and h5wasm: loading the WebAssembly module once,
 * turning HDF5's multi-line diagnostics into one-line SnnErrors, and the handful of dataset
 * encodings NIR uses (research/targets.md §1.5).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import h5wasm from 'h5wasm/node';
import type { Dataset as H5Dataset, Group as H5Group } from 'h5wasm/node';
import { SnnError, malformed } from '../../src/errors.ts';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';

export type Group = H5Group;
export type Dataset = H5Dataset;

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

/**
 * Opens `path` read-only and passes its root group to `read`, closing the file afterwards.
 * A missing file is `missingInput`; bytes HDF5 cannot read are `malformedInput`.
 */
export async function readHdf5<T>(path: string, read: (root: Group) => T): Promise<T> {
  if (!existsSync(path)) throw new SnnError('missingInput', `${path}: file not found`);
  if (!statSync(path).isFile()) throw new SnnError('missingInput', `${path}: not a file`);
  await load();
  let file: InstanceType<typeof h5wasm.File>;
  try {
    file = new h5wasm.File(resolve(path), 'r');
  } catch (err) {
    throw malformed(path, hdf5Reason(err));
  }
  try {
    return read(file);
  } finally {
    file.close();
  }
}

/**
 * Builds an HDF5 file with `write` and stores it at `outPath` atomically. h5wasm's Node build
 * writes through the host file system, so the file is built in a private temporary folder,
 * read back as bytes and only then put in place: an interrupted run never leaves half a model.
 * Returns the number of bytes written.
 */
export async function writeHdf5(outPath: string, write: (root: Group) => void): Promise<number> {
  await load();
  const dir = mkdtempSync(join(tmpdir(), 'snn-export-nir-'));
  try {
    const scratch = join(dir, 'model.nir');
    const file = new h5wasm.File(scratch, 'w');
    try {
      write(file);
    } finally {
      file.close();
    }
    const bytes = readFileSync(scratch);
    writeFileAtomic(outPath, bytes);
    return bytes.byteLength;
  } finally {
    rmSync(dir, { recursive: true, force: true });
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

export const isGroup = (e: unknown): e is Group => e instanceof h5wasm.Group;
export const isDataset = (e: unknown): e is Dataset => e instanceof h5wasm.Dataset;

/** A numeric dataset read as float64 values with its shape (`[]` for a scalar). */
export interface NumericValue {
  shape: number[];
  data: Float64Array;
}

/** A dataset's value, with HDF5 failures (a corrupt deflate chunk, say) as one-line errors. */
export function datasetValue(ds: Dataset, where: string): unknown {
  try {
    return ds.value;
  } catch (err) {
    throw malformed(where, hdf5Reason(err));
  }
}

/** Reads any integer or float dataset (int64 comes back as BigInt) as float64 numbers. */
export function readNumeric(ds: Dataset, where: string): NumericValue {
  const shape = ds.shape ?? [];
  const value = datasetValue(ds, where);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return { shape, data: Float64Array.of(Number(value)) };
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return { shape, data: Float64Array.from(value, Number) };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return { shape, data: Float64Array.from(value as unknown as ArrayLike<number>) };
  throw malformed(where, `expected a numeric dataset, got ${describeDtype(ds)}`);
}

/** Reads a string dataset (scalar or array; variable or fixed length) as a flat list. */
export function readStrings(ds: Dataset, where: string): { shape: number[]; data: string[] } {
  const shape = ds.shape ?? [];
  const value = datasetValue(ds, where);
  if (typeof value === 'string') return { shape, data: [value] };
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { shape, data: value as string[] };
  throw malformed(where, `expected a string dataset, got ${describeDtype(ds)}`);
}

export function describeDtype(ds: Dataset): string {
  const m = ds.metadata;
  const kind = m.type === 3 ? 'string' : m.type === 0 ? `int${m.size * 8}` : m.type === 1 ? `float${m.size * 8}` : `HDF5 type class ${m.type}`;
  return `${kind} of shape [${ds.shape ?? []}]`;
}
