/**
 * A NIR file as a JSON tree, so that the fuzzer can mutate its structure and values (time steps,
 * shapes, weights, edges, node types) rather than only its bytes, which HDF5's checksums mostly
 * turn into "not an HDF5 file". A dataset is `{ "$dtype": "str" | "i64" | "f32" | "f64", "shape",
 * "data" }`, a link `{ "$link": "soft" | "external", "target", "file"? }`, any other object a
 * group. Whatever a mutation leaves is written as faithfully as HDF5 allows: a value that does not
 * fit its type or shape is written as float64 or as a flat array instead.
 */
import h5wasm, { FS } from 'h5wasm';
import type { Group } from 'h5wasm';

export type NirTree = { [name: string]: unknown };

const dataset = (dtype: string, shape: number[], data: unknown[]): Record<string, unknown> => ({ $dtype: dtype, shape, data });
export const str = (s: string) => dataset('str', [], [s]);
export const i64 = (values: number[], shape: number[] = [values.length]) => dataset('i64', shape, values);
export const f64 = (values: number[], shape: number[] = [values.length]) => dataset('f64', shape, values);
export const f32 = (values: number[], shape: number[]) => dataset('f32', shape, values);

/** What snnTorch's export of a small Affine → CubaLIF → Linear → CubaLI network looks like. */
export function handGraphTree(o: { timeSteps?: number; hidden?: number; inputs?: number } = {}): NirTree {
  const hidden = o.hidden ?? 5, inputs = o.inputs ?? 4;
  const neuron = (n: number, threshold: boolean) => ({
    type: str(threshold ? 'CubaLIF' : 'CubaLI'),
    tau_syn: f64(new Array(n).fill(2e-4)), tau_mem: f64(new Array(n).fill(5e-4)), r: f64(new Array(n).fill(1)),
    v_leak: f64(new Array(n).fill(0)), w_in: f64(new Array(n).fill(1)),
    ...(threshold ? { v_threshold: f64(new Array(n).fill(1)) } : {}),
  });
  return {
    version: str('1.0.5'),
    node: {
      type: str('NIRGraph'),
      edges: dataset('str', [5, 2], ['input', 'fc1', 'fc1', 'lif1', 'lif1', 'fc2', 'fc2', 'li', 'li', 'output']),
      metadata: { dt: f64([1e-4], []), time_steps: i64([o.timeSteps ?? 5], []) },
      nodes: {
        input: { type: str('Input'), shape: i64([inputs]) },
        fc1: { type: str('Affine'), weight: f32(Array.from({ length: hidden * inputs }, (_, i) => Math.sin(i)), [hidden, inputs]), bias: f32(new Array(hidden).fill(0.1), [hidden]) },
        lif1: neuron(hidden, true),
        fc2: { type: str('Linear'), weight: f32(Array.from({ length: 2 * hidden }, (_, i) => Math.cos(i)), [2, hidden]) },
        li: neuron(2, false),
        output: { type: str('Output'), shape: i64([2]) },
      },
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function createDataset(g: Group, name: string, node: Record<string, unknown>): void {
  const raw = Array.isArray(node.data) ? node.data : [node.data];
  const shape = Array.isArray(node.shape) && node.shape.every((d) => Number.isInteger(d) && d >= 0) ? node.shape as number[] : [raw.length];
  const fits = shape.reduce((a, b) => a * b, 1) === raw.length;
  const dims = fits ? shape : [raw.length];
  if (node.$dtype === 'str' || raw.some((v) => typeof v === 'string')) {
    const strings = raw.map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? ''));
    if (dims.length === 0) g.create_dataset({ name, data: strings[0] ?? '' });
    else g.create_dataset({ name, data: strings, shape: dims });
    return;
  }
  const numbers = raw.map((v) => Number(v));
  if (node.$dtype === 'i64' && numbers.every((v) => Number.isInteger(v))) {
    g.create_dataset({ name, data: BigInt64Array.from(numbers, (v) => BigInt(v)), shape: dims, dtype: '<q' });
  } else if (node.$dtype === 'f32') {
    g.create_dataset({ name, data: Float32Array.from(numbers), shape: dims, dtype: '<f' });
  } else {
    g.create_dataset({ name, data: Float64Array.from(numbers), shape: dims, dtype: '<d' });
  }
}

/**
 * Bounds on what a mutated tree may ask the writer for: deeper than any reader's limit (16) and
 * more objects than a NIR file has, yet small enough that writing a case takes milliseconds (a
 * 100 000-deep tree would take the parent minutes to write, and test nothing more).
 */
const MAX_WRITE_DEPTH = 40;
const MAX_WRITE_OBJECTS = 30_000;
let objectsLeft = 0;

function writeNode(g: Group, name: string, node: unknown, depth: number): void {
  if (!name || depth > MAX_WRITE_DEPTH || --objectsLeft < 0) return;
  if (isObject(node) && '$dtype' in node) createDataset(g, name, node);
  else if (isObject(node) && node.$link === 'soft') g.create_soft_link(String(node.target), name);
  else if (isObject(node) && node.$link === 'external') g.create_external_link(String(node.file), String(node.target), name);
  else if (isObject(node)) {
    const child = g.create_group(name);
    for (const [k, v] of Object.entries(node)) writeNodeOrSkip(child, k, v, depth + 1);
  } else if (typeof node === 'string') createDataset(g, name, { $dtype: 'str', shape: [], data: [node] });
  else if (typeof node === 'number') createDataset(g, name, { $dtype: Number.isInteger(node) ? 'i64' : 'f64', shape: [], data: [node] });
  else if (Array.isArray(node)) createDataset(g, name, { $dtype: 'f64', data: node });
}

/** A node HDF5 will not take (a name with '/', a value it cannot store) is left out; the rest is still written. */
function writeNodeOrSkip(g: Group, name: string, node: unknown, depth: number): void {
  try { writeNode(g, name, node, depth); } catch { /* left out */ }
}

let count = 0;

/** The HDF5 bytes of a tree (synchronous; h5wasm must be loaded: call `loadH5wasm` first). */
export function writeTree(tree: unknown): Uint8Array {
  const path = `/tmp/fuzz-nir-${count++}.h5`;
  const file = new h5wasm.File(path, 'w');
  try {
    objectsLeft = MAX_WRITE_OBJECTS;
    if (isObject(tree)) for (const [k, v] of Object.entries(tree)) writeNodeOrSkip(file, k, v, 1);
  } finally {
    file.close();
  }
  const bytes = FS!.readFile(path).slice();
  FS!.unlink(path);
  return bytes;
}

export async function loadH5wasm(): Promise<void> {
  await h5wasm.ready;
}
