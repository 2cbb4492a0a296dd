import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { malformed } from '../errors.ts';
import { MiB, formatBytes, readInput } from '../util/read-input.ts';

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

/**
 * Largest IDX data accepted, plain or after gunzip (README, "Limits on input files"): MNIST's
 * training images are 47 MB.
 */
export const MAX_IDX_BYTES = 256 * MiB;
/** Compressed bytes inflated to find the header of a gzip IDX file (a header is 8 to 20 bytes). */
const GZIP_PEEK_BYTES = 16 * 1024;

interface IdxHeader { dims: number[]; headerLen: number; dataBytes: number }

/** Parses the magic number and the dimensions; `bytes` may hold only the start of the file. */
function parseHeader(bytes: Uint8Array, where: string): IdxHeader {
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
  const dataBytes = dims.reduce((a, b) => a * b, 1);
  if (dataBytes > MAX_IDX_BYTES) {
    throw malformed(where, `offset 4: dimensions ${dims.join('×')} declare ${dataBytes} bytes of data, more than the limit of ${formatBytes(MAX_IDX_BYTES)}`);
  }
  return { dims, headerLen, dataBytes };
}

/**
 * Inflates a gzip IDX file no further than its header declares: the header is read from the
 * first compressed bytes, then the whole stream is inflated with that size as the ceiling, so a
 * small file that would inflate to gigabytes stops there.
 */
function gunzipIdx(raw: Uint8Array, where: string): Uint8Array {
  const corrupt = (err: unknown) => malformed(where, `gzip data is corrupt or truncated (${(err as Error).message})`);
  let head: Uint8Array;
  try {
    // A file shorter than the peek is inflated whole, so that a truncated stream says so.
    head = raw.length <= GZIP_PEEK_BYTES ? gunzipSync(raw) : gunzipSync(raw.subarray(0, GZIP_PEEK_BYTES), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (err) {
    throw corrupt(err);
  }
  const { dims, headerLen, dataBytes } = parseHeader(head, `${where} (inflated)`);
  const limit = headerLen + dataBytes;
  try {
    return gunzipSync(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw malformed(where, `gzip data inflates to more than the ${limit} bytes its header declares (${dims.join('×')} bytes after a ${headerLen}-byte header)`);
    }
    throw corrupt(err);
  }
}

export function decodeIdx(raw: Uint8Array, where: string): IdxArray {
  const bytes = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? gunzipIdx(raw, where) : raw;
  const { dims, headerLen, dataBytes: expected } = parseHeader(bytes, where);
  const actual = bytes.length - headerLen;
  if (actual < expected) throw malformed(where, `truncated: the header promises ${dims.join('×')} = ${expected} bytes of data, the file has ${actual}`);
  if (actual > expected) throw malformed(where, `${actual - expected} bytes after the end of the ${dims.join('×')} data (not an IDX file, or a wrong header)`);
  return { dims, data: bytes.subarray(headerLen, headerLen + expected) };
}

/** Reads an IDX file (plain or gzip, a regular file of at most 256 MiB plus its header). */
export function readIdx(path: string): IdxArray {
  return decodeIdx(readInput(path, { what: 'IDX file', maxBytes: MAX_IDX_BYTES + 20 }), path);
}
