import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { SnnError, malformed } from '../errors.ts';

/**
 * The IDX format of MNIST (big-endian): magic `0x0000 TT DD` (TT = element type, 0x08 = uint8;
 * DD = number of dimensions), DD uint32 sizes, then the data. Plain or gzip-compressed
 * (detected by the gzip magic 1f 8b, whatever the file name).
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const IDX_UBYTE = 0x08;

export function decodeIdx(raw: Uint8Array, where: string): IdxArray {
  let bytes = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = gunzipSync(raw);
    } catch (err) {
      throw malformed(where, `gzip data is corrupt or truncated (${(err as Error).message})`);
    }
  }
  if (bytes.length < 4) throw malformed(where, `truncated: ${bytes.length} bytes, an IDX file starts with a 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = (magic >>> 8) & 0xff;
  const ndim = magic & 0xff;
  if (magic >>> 16 !== 0 || ndim < 1 || ndim > 4) {
    throw malformed(where, `offset 0: wrong magic number 0x${magic.toString(16).padStart(8, '0')} (IDX expects 0x000008NN: 2051 for images, 2049 for labels)`);
  }
  if (type !== IDX_UBYTE) throw malformed(where, `offset 2: element type 0x${type.toString(16)} is not supported (only unsigned bytes, 0x08, as in MNIST)`);
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) throw malformed(where, `truncated in the header: ${bytes.length} bytes, ${headerLen} needed for ${ndim} dimensions`);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLen;
  if (actual < expected) throw malformed(where, `truncated: the header promises ${dims.join('×')} = ${expected} bytes of data, the file has ${actual}`);
  if (actual > expected) throw malformed(where, `${actual - expected} bytes after the end of the ${dims.join('×')} data (not an IDX file, or a wrong header)`);
  return { dims, data: bytes.subarray(headerLen, headerLen + expected) };
}

export function readIdx(path: string): IdxArray {
  if (!existsSync(path)) throw new SnnError('missingInput', `${path}: file not found`);
  return decodeIdx(readFileSync(path), path);
}
