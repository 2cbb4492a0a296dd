import { constants as zlibConstants, inflateSync } from 'node:zlib';
import { SnnError, malformed } from '../errors.ts';
import { MiB, formatBytes } from '../util/read-input.ts';
import { withFile } from './events/chunked-file.ts';
import type { ChunkedFile } from './events/chunked-file.ts';

/**
 * MATLAB level-5 MAT-files (MATLAB `-v6`/`-v7`, scipy `savemat`): a 128-byte header (116 bytes of
 * text, 8 bytes subsystem offset, version 0x0100, endian mark `IM`/`MI`), then data elements, each
 * an 8-byte tag (`uint32 type, uint32 bytes`, or the 4-byte "small element" form with the size in
 * the upper 16 bits) followed by its data. A variable is an `miMATRIX` element (array flags,
 * dimensions, name, real part, optional imaginary part), stored as is or inside an
 * `miCOMPRESSED` element (zlib stream). Numeric arrays are column-major. v7.3 files are HDF5 and are
 * refused with a pointer to `-v7`.
 */

/** MATLAB array class codes (array flags, bits 0–7). */
export const MAT_CLASSES: Record<number, string> = {
  1: 'cell', 2: 'struct', 3: 'object', 4: 'char', 5: 'sparse', 6: 'double', 7: 'single',
  8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64',
};

/** miType codes of the tag. */
export const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 } as const;

const MI_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };

export type MatData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** One variable. `data` is the real part in its stored element type (MATLAB often stores doubles as small integers), column-major. */
export interface MatVariable {
  name: string;
  className: string;
  dims: number[];
  complex: boolean;
  /** Absent for classes not decoded (cell, struct, char, sparse, object) and for variables not asked for. */
  data?: MatData;
  /** Whether the variable sat in an `miCOMPRESSED` element. */
  compressed: boolean;
  /** File offset of its element. */
  offset: number;
}

export interface MatFile {
  headerText: string;
  littleEndian: boolean;
  variables: MatVariable[];
}

const HEADER_BYTES = 128;

/**
 * Largest variable decoded, stored or after inflating (README, "Limits on input files"): SVHN's
 * training images are 225 MB.
 */
export const MAX_MAT_VARIABLE_BYTES = 512 * MiB;
/** Compressed bytes inflated to read a compressed variable's name, class and dimensions. */
const PEEK_BYTES = 16 * 1024;
/** Bytes per value of each numeric class. */
const CLASS_BYTES: Record<string, number> = { double: 8, single: 4, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8 };

interface Element { type: number; bytes: number; data: number; next: number }

/** Reads the tag at `pos` of `buf` (inside a matrix element). */
function tagAt(buf: Uint8Array, pos: number, le: boolean, where: () => string): Element {
  if (pos + 8 > buf.length) throw malformed(where(), `truncated: an 8-byte element tag is needed at byte ${pos}, ${buf.length - pos} left`);
  const view = new DataView(buf.buffer, buf.byteOffset + pos, 8);
  const first = view.getUint32(0, le);
  if (first >>> 16 !== 0) {
    const bytes = first >>> 16, type = first & 0xffff;
    if (bytes > 4) throw malformed(where(), `small data element at byte ${pos} claims ${bytes} bytes (at most 4)`);
    return { type, bytes, data: pos + 4, next: pos + 8 };
  }
  const bytes = view.getUint32(4, le);
  const end = pos + 8 + bytes;
  if (end > buf.length) throw malformed(where(), `element at byte ${pos} (type ${first}) claims ${bytes} bytes, only ${buf.length - pos - 8} follow`);
  return { type: first, bytes, data: pos + 8, next: pos + 8 + Math.ceil(bytes / 8) * 8 };
}

/** Copies `bytes` bytes of miType `type` into a typed array of that type (aligned, host order). */
function numeric(buf: Uint8Array, at: number, bytes: number, type: number, le: boolean, where: () => string): MatData {
  const size = MI_SIZES[type];
  if (!size || type >= MI.UTF8) throw malformed(where(), `numeric data stored as miType ${type}, which is not a numeric type`);
  if (bytes % size !== 0) throw malformed(where(), `${bytes} bytes of miType ${type} is not a whole number of ${size}-byte values`);
  const n = bytes / size;
  if (size === 1) return type === MI.INT8 ? new Int8Array(buf.buffer, buf.byteOffset + at, n) : buf.subarray(at, at + n);
  const view = new DataView(buf.buffer, buf.byteOffset + at, bytes);
  switch (type) {
    case MI.INT16: { const a = new Int16Array(n); for (let i = 0; i < n; i++) a[i] = view.getInt16(2 * i, le); return a; }
    case MI.UINT16: { const a = new Uint16Array(n); for (let i = 0; i < n; i++) a[i] = view.getUint16(2 * i, le); return a; }
    case MI.INT32: { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = view.getInt32(4 * i, le); return a; }
    case MI.UINT32: { const a = new Uint32Array(n); for (let i = 0; i < n; i++) a[i] = view.getUint32(4 * i, le); return a; }
    case MI.SINGLE: { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = view.getFloat32(4 * i, le); return a; }
    case MI.DOUBLE: { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = view.getFloat64(8 * i, le); return a; }
    case MI.INT64: { const a = new BigInt64Array(n); for (let i = 0; i < n; i++) a[i] = view.getBigInt64(8 * i, le); return a; }
    default: { const a = new BigUint64Array(n); for (let i = 0; i < n; i++) a[i] = view.getBigUint64(8 * i, le); return a; }
  }
}

/** Parses the body of an miMATRIX element. `decode` false stops after the name (for listings). */
function parseMatrix(buf: Uint8Array, le: boolean, decode: (name: string) => boolean, where: () => string): Omit<MatVariable, 'compressed' | 'offset'> & { headerBytes: number } {
  const flagsTag = tagAt(buf, 0, le, where);
  if (flagsTag.type !== MI.UINT32 || flagsTag.bytes !== 8) throw malformed(where(), `array flags: expected an 8-byte miUINT32 sub-element, got type ${flagsTag.type} with ${flagsTag.bytes} bytes`);
  const flags = new DataView(buf.buffer, buf.byteOffset + flagsTag.data, 8).getUint32(0, le);
  const classCode = flags & 0xff;
  const className = MAT_CLASSES[classCode];
  if (!className) throw malformed(where(), `array flags: unknown array class ${classCode}`);
  const complex = (flags & 0x800) !== 0;
  const dimsTag = tagAt(buf, flagsTag.next, le, where);
  if (dimsTag.type !== MI.INT32 || dimsTag.bytes % 4 !== 0 || dimsTag.bytes < 8) throw malformed(where(), `dimensions: expected miINT32 with at least 2 values, got type ${dimsTag.type} with ${dimsTag.bytes} bytes`);
  const dims: number[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset + dimsTag.data, dimsTag.bytes);
  for (let i = 0; i < dimsTag.bytes / 4; i++) {
    const d = dv.getInt32(4 * i, le);
    if (d < 0) throw malformed(where(), `dimension ${i} is negative (${d})`);
    dims.push(d);
  }
  const nameTag = tagAt(buf, dimsTag.next, le, where);
  if (nameTag.type !== MI.INT8 && nameTag.type !== MI.UINT8) throw malformed(where(), `array name: expected miINT8, got type ${nameTag.type}`);
  const name = Buffer.from(buf.buffer, buf.byteOffset + nameTag.data, nameTag.bytes).toString('latin1');
  const base = { name, className, dims, complex, headerBytes: nameTag.next };
  const numericClass = classCode >= 6;
  if (!numericClass || !decode(name)) return base;
  const realTag = tagAt(buf, nameTag.next, le, where);
  const data = numeric(buf, realTag.data, realTag.bytes, realTag.type, le, () => `${where()}, variable '${name}' real part`);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw malformed(where(), `variable '${name}': dimensions ${dims.join('×')} need ${expected} values, the real part holds ${data.length}`);
  return { ...base, data };
}

export interface ReadMatOptions {
  /** Which variables to decode fully; the others are only listed (name, class, size). Default: all. */
  decode?: (name: string) => boolean;
}

function readHeader(file: ChunkedFile): { text: string; le: boolean } {
  const where = file.path;
  if (file.size < HEADER_BYTES) throw malformed(`${where}: offset ${file.size}`, `truncated: ${file.size} bytes, a MAT-file header is ${HEADER_BYTES}`);
  const h = file.readAt(0, HEADER_BYTES);
  const text = Buffer.from(h.subarray(0, 116)).toString('latin1').replace(/[\0 ]+$/, '');
  if (text.startsWith('MATLAB 7.3')) {
    throw new SnnError('incompatibleVersion', `${where}: a MATLAB v7.3 (HDF5) MAT-file; snn-export reads level-5 MAT-files: re-save with save(..., '-v7')`);
  }
  const mark = String.fromCharCode(h[126], h[127]);
  if (!text.startsWith('MATLAB 5.0 MAT-file') || (mark !== 'IM' && mark !== 'MI')) {
    throw malformed(`${where}: offset 0`, `not a MATLAB level-5 MAT-file (expected text 'MATLAB 5.0 MAT-file' and endian mark 'IM' or 'MI' at offset 126, got '${text.slice(0, 24)}' and '${mark.replace(/[^\x20-\x7e]/g, '?')}')`);
  }
  const le = mark === 'IM';
  const version = new DataView(h.buffer, h.byteOffset + 124, 2).getUint16(0, le);
  if (version !== 0x0100) throw malformed(`${where}: offset 124`, `MAT-file version 0x${version.toString(16)}, expected 0x0100`);
  return { text, le };
}

/** Lists (and decodes) the variables of a level-5 MAT-file, reading one element at a time. */
export function readMat5(path: string, options: ReadMatOptions = {}): MatFile {
  const decode = options.decode ?? (() => true);
  return withFile(path, (file) => {
    const { text, le } = readHeader(file);
    const variables: MatVariable[] = [];
    let offset = HEADER_BYTES;
    while (offset < file.size) {
      const at = offset;
      const where = (): string => `${path}: offset ${at}`;
      if (file.size - offset < 8) throw malformed(where(), `truncated: ${file.size - offset} bytes left, an element tag is 8`);
      const tag = file.readAt(offset, 8);
      const tv = new DataView(tag.buffer, tag.byteOffset, 8);
      const type = tv.getUint32(0, le);
      const bytes = tv.getUint32(4, le);
      if (type !== MI.MATRIX && type !== MI.COMPRESSED) throw malformed(where(), `top-level element of miType ${type}; variables are miMATRIX (14) or miCOMPRESSED (15)`);
      if (offset + 8 + bytes > file.size) throw malformed(where(), `element claims ${bytes} bytes, the file ends ${file.size - offset - 8} bytes after its tag (truncated)`);
      if (type === MI.MATRIX && bytes > 4096) {
        // Uncompressed: the name comes first, so a variable that is only listed costs 4 KiB.
        const head = file.readAt(offset + 8, 4096);
        const { headerBytes: _h, ...listed } = parseMatrix(head, le, () => false, () => `${where()} (inside the matrix element)`);
        if (!decode(listed.name)) {
          variables.push({ ...listed, compressed: false, offset: at });
          offset += 8 + bytes;
          continue;
        }
      }
      if (bytes > MAX_MAT_VARIABLE_BYTES) throw malformed(where(), `variable of ${bytes} bytes, more than the limit of ${formatBytes(MAX_MAT_VARIABLE_BYTES)}`);
      const payload = file.readAt(offset + 8, bytes);
      if (type === MI.COMPRESSED) {
        const listed = inflateCompressed(payload, le, decode, where);
        variables.push({ ...listed, compressed: true, offset: at });
        offset += 8 + bytes;
        continue;
      }
      const { headerBytes: _h, ...v } = parseMatrix(payload, le, decode, () => `${where()} (inside the matrix element)`);
      variables.push({ ...v, compressed: false, offset: at });
      offset += 8 + bytes;
    }
    return { headerText: text, littleEndian: le, variables };
  });
}

/**
 * A compressed variable: its name, class and dimensions are read from the first inflated bytes;
 * a variable that is only listed is not inflated further, and one that is decoded is inflated no
 * further than its dimensions allow (value count × class size, plus its tags), so a small element
 * that would inflate to gigabytes stops there.
 */
function inflateCompressed(payload: Uint8Array, le: boolean, decode: (name: string) => boolean, where: () => string): Omit<MatVariable, 'compressed' | 'offset'> {
  const corrupt = (err: unknown) => malformed(where(), `compressed element: zlib data is corrupt or truncated (${(err as Error).message})`);
  const inflated = `${where()} (inflated)`;
  let head: Uint8Array;
  try {
    // An element shorter than the peek is inflated whole, so that a truncated stream says so.
    head = payload.length <= PEEK_BYTES ? inflateSync(payload) : inflateSync(payload.subarray(0, PEEK_BYTES), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (err) {
    throw corrupt(err);
  }
  if (head.length < 8) throw malformed(inflated, `truncated: ${head.length} bytes, an element tag is 8`);
  const innerType = new DataView(head.buffer, head.byteOffset, 8).getUint32(0, le);
  if (innerType !== MI.MATRIX) throw malformed(inflated, `compressed element holds miType ${innerType}, expected miMATRIX (14)`);
  const inside = (): string => `${where()} (inside the compressed element)`;
  const { headerBytes, ...listed } = parseMatrix(head.subarray(8), le, () => false, inside);
  const classBytes = CLASS_BYTES[listed.className];
  if (!classBytes || !decode(listed.name)) return listed;
  const values = listed.dims.reduce((a, b) => a * b, 1);
  const part = 8 + Math.ceil((values * classBytes) / 8) * 8;
  const limit = 8 + headerBytes + (listed.complex ? 2 : 1) * part;
  const dims = `${listed.dims.join('×')} ${listed.className}`;
  if (limit > MAX_MAT_VARIABLE_BYTES) throw malformed(inside(), `variable '${listed.name}': dimensions ${dims} need ${limit} bytes, more than the limit of ${formatBytes(MAX_MAT_VARIABLE_BYTES)}`);
  let full: Uint8Array;
  try {
    full = inflateSync(payload, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw malformed(where(), `compressed variable '${listed.name}' inflates to more than the ${limit} bytes its dimensions ${dims} allow`);
    }
    throw corrupt(err);
  }
  const inner = tagAt(full, 0, le, () => inflated);
  const { headerBytes: _h, ...v } = parseMatrix(full.subarray(8, 8 + inner.bytes), le, decode, inside);
  return v;
}
