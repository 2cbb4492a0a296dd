import { readFileSync } from 'node:fs';
import { malformed } from '../errors.ts';
import type { Tensor } from '../util/tensor.ts';
import { numel } from '../util/tensor.ts';

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

export function decodeSafetensors(bytes: Uint8Array, where: string): SafetensorsFile {
  if (bytes.length < 8) throw malformed(where, `truncated: ${bytes.length} bytes, a safetensors file starts with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.length - 8) throw malformed(where, `offset 0: header length ${headerLen} exceeds the file size ${bytes.length} (truncated, or not a safetensors file)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLen)).toString('utf8'));
  } catch {
    throw malformed(where, 'offset 8: the header is not valid JSON (not a safetensors file)');
  }
  const dataStart = 8 + headerLen;
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (e.dtype !== 'F32') throw malformed(where, `tensor '${name}': dtype ${e.dtype} is not supported (F32 expected)`);
    if (!Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) throw malformed(where, `tensor '${name}': missing shape or data_offsets`);
    const [begin, end] = e.data_offsets;
    if (end - begin !== numel(e.shape) * 4) throw malformed(where, `tensor '${name}': data_offsets [${begin}, ${end}] do not match shape [${e.shape}]`);
    if (dataStart + end > bytes.length) throw malformed(where, `tensor '${name}': data ends at offset ${dataStart + end}, beyond the file size ${bytes.length} (truncated)`);
    const data = new Float32Array(numel(e.shape));
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape: e.shape, data });
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  return { tensors, metadata };
}

export function readSafetensors(path: string): SafetensorsFile {
  return decodeSafetensors(readFileSync(path), path);
}
