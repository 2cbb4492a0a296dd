import { decompress as zstdDecompress } from 'fzstd';
import lz4 from 'lz4js';
import { SnnError, malformed } from '../../errors.ts';

/**
 * LZ4 and Zstandard frames of untrusted files, decoded into a caller's buffer without allocating
 * more than the frame can justify. The frame headers are parsed and checked here (magic, flags,
 * block sizes inside the input, declared sizes against the largest ratio the format allows); the
 * libraries then only decode bytes whose layout is known to be sound: `lz4js` decodes each LZ4
 * block into a buffer sized here; `fzstd` decodes the Zstandard frame once its declared size (or
 * window) is known to be within what the compressed bytes can hold.
 */

/** Largest decompressed size of one frame (one AEDAT 4.0 packet). */
export const MAX_FRAME_BYTES = 256 << 20;

const LZ4_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE = 0x184d2a50;
const LZ4_BLOCK_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
/** LZ4 cannot expand a block by more than this (a 1-byte match token with 255-run lengths). */
const LZ4_MAX_RATIO = 256;
const ZSTD_MAGIC = 0xfd2fb528;
/** Zstandard's largest ratio: an RLE block (3-byte header + 1 byte) expands to 128 KiB. */
const ZSTD_MAX_RATIO = 32768;
/** Largest window a frame without a declared size may ask for (zstd's own default limit, 2^27). */
const MAX_ZSTD_WINDOW = 1 << 27;

/** A growable output buffer reused across frames. */
export class OutputBuffer {
  bytes = new Uint8Array(1 << 16);
  ensure(n: number): Uint8Array {
    if (this.bytes.length < n) this.bytes = new Uint8Array(Math.max(n, Math.min(MAX_FRAME_BYTES, this.bytes.length * 2)));
    return this.bytes;
  }
}

const u32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/**
 * Decodes one LZ4 frame (`src`, which starts at file offset `at`) into `out`; returns the
 * decompressed bytes (a view of `out`'s buffer, valid until the next call).
 */
export function lz4Frame(src: Uint8Array, out: OutputBuffer, where: string, at: number): Uint8Array {
  const bad = (off: number, what: string) => malformed(`${where}: offset ${at + off}`, `LZ4 frame: ${what}`);
  if (src.length < 7) throw bad(0, `${src.length} bytes, shorter than an LZ4 frame header (7)`);
  const magic = u32(src, 0);
  if (magic !== LZ4_MAGIC) {
    throw bad(0, `magic 0x${magic.toString(16).padStart(8, '0')}${(magic & 0xfffffff0) === LZ4_SKIPPABLE ? ' (a skippable frame)' : ''}, expected 0x184d2204`);
  }
  const flg = src[4], bd = src[5];
  if ((flg >> 6) !== 1) throw bad(4, `frame version ${flg >> 6}, expected 1`);
  if (flg & 0x01) throw bad(4, 'a dictionary id is not supported (DV does not write one)');
  if (flg & 0x02) throw bad(4, 'reserved flag bit set');
  const blockChecksum = (flg & 0x10) !== 0, contentSize = (flg & 0x08) !== 0, contentChecksum = (flg & 0x04) !== 0;
  const blockMax = LZ4_BLOCK_SIZES[(bd >> 4) & 7];
  if (!blockMax || (bd & 0x8f) !== 0) throw bad(5, `block descriptor 0x${bd.toString(16)} (block size code ${(bd >> 4) & 7}, expected 4…7, reserved bits 0)`);
  let pos = 6 + (contentSize ? 8 : 0) + 1;
  if (pos > src.length) throw bad(src.length, 'truncated frame header');
  // First pass: every block inside the input, the total bounded by what the blocks can hold.
  let bound = 0, n = 0;
  for (let p = pos; ; n++) {
    if (p + 4 > src.length) throw bad(p, `truncated: a block size (4 bytes) expected, ${src.length - p} bytes left (no end mark)`);
    const word = u32(src, p);
    if (word === 0) { pos = p; break; }
    const size = word & 0x7fffffff;
    if (size > blockMax) throw bad(p, `block of ${size} bytes is larger than the frame's ${blockMax}-byte maximum`);
    const next = p + 4 + size + (blockChecksum ? 4 : 0);
    if (next > src.length) throw bad(p, `block of ${size} bytes runs past the end of the frame (${src.length - p - 4} bytes left)`);
    bound += word & 0x80000000 ? size : Math.min(blockMax, size * LZ4_MAX_RATIO);
    p = next;
  }
  if (bound > MAX_FRAME_BYTES) throw bad(0, `${n} blocks could hold ${bound} bytes, more than the ${MAX_FRAME_BYTES}-byte limit of one packet`);
  const end = pos + 4 + (contentChecksum ? 4 : 0);
  if (end !== src.length) throw bad(Math.min(end, src.length), `${src.length - end > 0 ? `${src.length - end} bytes after` : 'truncated'} the frame's end mark${contentChecksum ? ' and checksum' : ''}`);
  const dst = out.ensure(bound);
  let d = 0;
  for (let p = 6 + (contentSize ? 8 : 0) + 1; p < pos;) {
    const word = u32(src, p);
    const size = word & 0x7fffffff;
    p += 4;
    if (word & 0x80000000) {
      dst.set(src.subarray(p, p + size), d);
      d += size;
    } else {
      checkLz4Block(src, p, size, d, blockMax, bad);
      const e = lz4.decompressBlock(src, dst, p, size, d);
      // A block's matches may not reach before the output or past the block maximum.
      if (!(e >= d) || e - d > blockMax || e > dst.length) throw bad(p - 4, `block does not decode (${e - d} bytes out of ${size}; the maximum is ${blockMax})`);
      d = e;
    }
    p += size + (blockChecksum ? 4 : 0);
  }
  return dst.subarray(0, d);
}

/**
 * Walks the sequences of one LZ4 block without copying anything, so that lz4js (which trusts its
 * input) only ever sees a block whose lengths stay inside the block, whose matches reach back no
 * further than the output written so far (`before` bytes, earlier blocks included: DV links them)
 * and whose output fits the frame's block maximum. Linear in the block's size.
 */
function checkLz4Block(src: Uint8Array, start: number, size: number, before: number, blockMax: number, bad: (off: number, what: string) => Error): void {
  const end = start + size;
  let i = start, out = 0;
  while (i < end) {
    const token = src[i++];
    let lit = token >> 4;
    if (lit === 15) { let b: number; do { if (i >= end) throw bad(i, 'literal length runs past its block'); b = src[i++]; lit += b; } while (b === 255); }
    if (lit > end - i) throw bad(i, `${lit} literals run past their block`);
    i += lit; out += lit;
    if (i === end) break; // the last sequence has literals only
    if (end - i < 2) throw bad(i, 'match offset runs past its block');
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    if (offset === 0 || offset > before + out) throw bad(i - 2, `match offset ${offset} reaches before the start of the output`);
    let len = token & 15;
    if (len === 15) { let b: number; do { if (i >= end) throw bad(i, 'match length runs past its block'); b = src[i++]; len += b; } while (b === 255); }
    out += len + 4;
    if (out > blockMax) throw bad(start - 4, `block decodes to more than the frame's ${blockMax}-byte block maximum`);
  }
  if (out > blockMax) throw bad(start - 4, `block decodes to more than the frame's ${blockMax}-byte block maximum`);
}

/** Decodes one Zstandard frame (`src` at file offset `at`) into `out`. */
export function zstdFrame(src: Uint8Array, out: OutputBuffer, where: string, at: number): Uint8Array {
  const bad = (off: number, what: string) => malformed(`${where}: offset ${at + off}`, `Zstandard frame: ${what}`);
  if (src.length < 6) throw bad(0, `${src.length} bytes, shorter than a Zstandard frame header`);
  const magic = u32(src, 0);
  if (magic !== ZSTD_MAGIC) throw bad(0, `magic 0x${magic.toString(16).padStart(8, '0')}, expected 0xfd2fb528`);
  const fhd = src[4];
  if (fhd & 0x08) throw bad(4, 'reserved bit of the frame header descriptor set');
  if (fhd & 0x03) throw bad(4, 'a dictionary id is not supported (DV does not write one)');
  const singleSegment = (fhd >> 5) & 1, fcsFlag = fhd >> 6;
  const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
  const p = 5 + (singleSegment ? 0 : 1);
  if (p + fcsBytes > src.length) throw bad(src.length, 'truncated frame header');
  let declared = -1;
  if (fcsBytes === 1) declared = src[p];
  else if (fcsBytes === 2) declared = (src[p] | (src[p + 1] << 8)) + 256;
  else if (fcsBytes === 4) declared = u32(src, p);
  else if (fcsBytes === 8) declared = u32(src, p) + u32(src, p + 4) * 2 ** 32;
  const limit = Math.min(MAX_FRAME_BYTES, src.length * ZSTD_MAX_RATIO);
  if (declared > limit) throw bad(p, `declares ${declared} decompressed bytes, more than ${limit} (the packet limit, or what ${src.length} compressed bytes can hold)`);
  let result: Uint8Array;
  try {
    // fzstd allocates the declared size (checked above) or, without one, the window the header
    // asks for, which is checked first. (Its mode that fills a caller's buffer is much slower.)
    if (declared < 0 && !singleSegment) {
      const wd = src[5], wb = 2 ** (10 + (wd >> 3)), window = wb + (wb / 8) * (wd & 7);
      if (window > MAX_ZSTD_WINDOW) throw bad(5, `window of ${window} bytes is larger than ${MAX_ZSTD_WINDOW}`);
    }
    result = zstdDecompress(src);
    if (result.length > limit) throw bad(0, `decodes to ${result.length} bytes, more than the ${limit}-byte limit`);
    if (declared >= 0 && result.length !== declared) throw bad(0, `decodes to ${result.length} bytes, the header declares ${declared}`);
  } catch (err) {
    if (err instanceof SnnError) throw err;
    throw bad(0, `does not decode (${(err as Error).message})`);
  }
  return result;
}
