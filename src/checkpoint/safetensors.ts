import { malformed } from '../errors.ts';
import { GiB, readInput } from '../util/read-input.ts';
import { shown } from '../util/shown.ts';
import type { Tensor } from '../util/tensor.ts';

/**
 * The safetensors layout (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length, a JSON header `{name: {dtype, shape, data_offsets}, __metadata__: {string: string}}`,
 * then the raw little-endian tensor bytes. Only F32 tensors are written; Python opens the file
 * with `safetensors.numpy.load_file`.
 */
export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export function encodeSafetensors(file: SafetensorsFile): Uint8Array[] {
  const header: Record<string, unknown> = { __metadata__: file.metadata };
  let offset = 0;
  const names = [...file.tensors.keys()].sort();
  for (const name of names) {
    const t = file.tensors.get(name)!;
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (allowed by the format, helps mmap readers).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.length));
  const out: Uint8Array[] = [len, headerBytes];
  for (const name of names) {
    const t = file.tensors.get(name)!;
    out.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return out;
}

/** The header-length limit of the reference implementation: a longer header means a hostile file. */
export const MAX_SAFETENSORS_HEADER = 100_000_000;
const MAX_DIMS = 8;

/**
 * Decodes a safetensors file. Everything the header says is checked against the bytes before
 * anything is allocated: each tensor's `data_offsets` must lie inside the data section, in order
 * (0 ≤ begin ≤ end), without overlapping another tensor, and hold exactly shape × 4 bytes, so a
 * tensor can only be as large as the file and never be read out of the header.
 */
export function decodeSafetensors(bytes: Uint8Array, where: string): SafetensorsFile {
  if (bytes.length < 8) throw malformed(where, `truncated: ${bytes.length} bytes, a safetensors file starts with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) throw malformed(where, `offset 0: header length ${declared} exceeds the file size ${bytes.length} (truncated, or not a safetensors file)`);
  const headerLen = Number(declared);
  if (headerLen > MAX_SAFETENSORS_HEADER) throw malformed(where, `offset 0: header length ${headerLen} is more than the limit of ${MAX_SAFETENSORS_HEADER} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8'));
  } catch {
    throw malformed(where, 'offset 8: the header is not valid JSON (not a safetensors file)');
  }
  if (!isRecord(header)) throw malformed(where, `offset 8: the header is ${shown(header)}, not a JSON object of tensors`);
  const dataStart = 8 + headerLen;
  const dataBytes = bytes.length - dataStart;
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const at = `${where}: tensor '${name}'`;
    if (!isRecord(entry)) throw malformed(at, `the header entry is ${shown(entry)}, not an object with dtype, shape and data_offsets`);
    if (entry.dtype !== 'F32') throw malformed(at, `dtype ${shown(entry.dtype)} is not supported (F32 expected)`);
    const shape = entry.shape, offsets = entry.data_offsets;
    if (!Array.isArray(shape) || shape.length > MAX_DIMS || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw malformed(at, `shape ${shown(shape)} is not a list of at most ${MAX_DIMS} non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw malformed(at, `data_offsets ${shown(offsets)} are not two integers 0 ≤ begin ≤ end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataBytes) throw malformed(at, `data_offsets [${begin}, ${end}] end past the ${dataBytes} bytes of data after the header (truncated)`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * 4 !== end - begin) throw malformed(at, `data_offsets [${begin}, ${end}] hold ${end - begin} bytes, shape [${shape}] of F32 needs ${count * 4}`);
    entries.push({ name, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1], b = entries[i];
    if (b.begin < a.end) throw malformed(`${where}: tensor '${b.name}'`, `data_offsets [${b.begin}, ${b.end}] overlap tensor '${a.name}' [${a.begin}, ${a.end}]`);
  }
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const data = new Float32Array((e.end - e.begin) / 4);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(e.name, { shape: e.shape, data });
  }
  const meta = header.__metadata__ ?? {};
  if (!isRecord(meta)) throw malformed(where, `__metadata__ is ${shown(meta)}, not an object of strings`);
  for (const [key, value] of Object.entries(meta)) {
    if (typeof value !== 'string') throw malformed(where, `__metadata__ '${key}' is ${shown(value)}, not a string`);
  }
  return { tensors, metadata: meta as Record<string, string> };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Largest safetensors file read (README, "Limits on input files"): a checkpoint at the parameter
 * limit (50 M float32) with Adam's two moments and the averaged weights is 800 MB.
 */
export const MAX_SAFETENSORS_BYTES = GiB;

export function readSafetensors(path: string): SafetensorsFile {
  return decodeSafetensors(readInput(path, { what: 'safetensors file', maxBytes: MAX_SAFETENSORS_BYTES }), path);
}
