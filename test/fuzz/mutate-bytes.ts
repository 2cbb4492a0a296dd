/**
 * Byte-level mutations of a seed file. Every choice is drawn from the case's `Random`, so a
 * (seed, format, case index) triple always gives the same bytes. Positions are drawn from the
 * first 256 bytes (after a spared magic prefix) half of the time: headers and length fields live
 * there, and a flip in a header reaches more code than a flip in the middle of the payload.
 */
import type { Random } from '../../src/util/random.ts';

/** Byte values that sit on boundaries: sign bits, all-ones, zero. */
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

/** 32-bit values that make length and count fields overflow, go negative or ask for everything. */
const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x40000000, 1_000_000, 100_000_000];

/** 64-bit values for 8-byte length fields (safetensors header length, HDF5 addresses and sizes). */
const INTERESTING_U64 = [0n, 1n, 0x7fffffffn, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 1n << 40n];

/** Numbers written into text (AEDAT headers, JSON held in files) in place of digits. */
const INTERESTING_NUMBER_TEXT = ['0', '-1', '4294967295', '4294967296', '2147483648', '9007199254740993', '1e400', '-1e400', '1e9', '1e308', 'NaN', '0.5', '-0', '99999999999999999999'];

export const pick = <T>(rng: Random, items: readonly T[]): T => items[Math.floor(rng.next() * items.length)];
export const below = (rng: Random, n: number): number => Math.floor(rng.next() * n);

/**
 * Where mutations land. Files whose magic text would stop almost every mutant (a MAT-file's
 * 128-byte header, AEDAT comment lines) say how many leading bytes to spare most of the time.
 */
let spared = 0;

/** A position in `[0, length)`: mostly in the 256 bytes after the spared prefix, else anywhere. */
function position(rng: Random, length: number): number {
  if (length <= 1) return 0;
  const from = spared < length && rng.next() < 0.8 ? spared : 0;
  return from + (rng.next() < 0.5 ? below(rng, Math.min(length - from, 256)) : below(rng, length - from));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

type ByteMutation = (rng: Random, b: Uint8Array) => Uint8Array;

const bitFlips: ByteMutation = (rng, b) => {
  if (!b.length) return b;
  const out = b.slice();
  for (let i = 1 + below(rng, 8); i > 0; i--) {
    const p = position(rng, out.length);
    out[p] ^= 1 << below(rng, 8);
  }
  return out;
};

const interestingByte: ByteMutation = (rng, b) => {
  if (!b.length) return b;
  const out = b.slice();
  out[position(rng, out.length)] = pick(rng, INTERESTING_BYTES);
  return out;
};

/** An interesting 16-, 32- or 64-bit value, either byte order, at an aligned or any position. */
const interestingInt: ByteMutation = (rng, b) => {
  const width = pick(rng, [2, 4, 4, 4, 8]);
  if (b.length < width) return b;
  const out = b.slice();
  let p = position(rng, out.length - width + 1);
  if (rng.next() < 0.5) p -= p % width;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const le = rng.next() < 0.5;
  if (width === 2) view.setUint16(p, pick(rng, INTERESTING_U32) & 0xffff, le);
  else if (width === 4) view.setUint32(p, pick(rng, INTERESTING_U32) >>> 0, le);
  else view.setBigUint64(p, pick(rng, INTERESTING_U64), le);
  return out;
};

/** Adds or subtracts a small amount to one byte or 32-bit word (off-by-one lengths). */
const arithmetic: ByteMutation = (rng, b) => {
  if (b.length < 4) return b;
  const out = b.slice();
  const delta = (1 + below(rng, 16)) * (rng.next() < 0.5 ? -1 : 1);
  const p = position(rng, out.length - 3);
  if (rng.next() < 0.5) out[p] = (out[p] + delta) & 0xff;
  else {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const le = rng.next() < 0.5;
    view.setUint32(p, (view.getUint32(p, le) + delta) >>> 0, le);
  }
  return out;
};

const truncate: ByteMutation = (rng, b) => (b.length ? b.subarray(0, rng.next() < 0.3 ? below(rng, Math.min(b.length, 300)) : below(rng, b.length)).slice() : b);

const extend: ByteMutation = (rng, b) => {
  const n = 1 + below(rng, rng.next() < 0.8 ? 64 : 8192);
  const fill = rng.next();
  const tail = Uint8Array.from({ length: n }, () => (fill < 0.3 ? 0 : fill < 0.4 ? 0xff : below(rng, 256)));
  return concat([b, tail]);
};

const duplicateChunk: ByteMutation = (rng, b) => {
  if (!b.length) return b;
  const a = below(rng, b.length);
  const len = 1 + below(rng, Math.min(b.length - a, 4096));
  const at = below(rng, b.length + 1);
  return concat([b.subarray(0, at), b.subarray(a, a + len), b.subarray(at)]);
};

const removeChunk: ByteMutation = (rng, b) => {
  if (b.length < 2) return b;
  const a = position(rng, b.length);
  const len = 1 + below(rng, Math.min(b.length - a, 1024));
  return concat([b.subarray(0, a), b.subarray(a + len)]);
};

/** Copies one chunk over another of the same length (swaps a field with another field's bytes). */
const overwriteChunk: ByteMutation = (rng, b) => {
  if (b.length < 8) return b;
  const len = 1 + below(rng, Math.min(64, b.length >> 1));
  const from = below(rng, b.length - len + 1), to = position(rng, b.length - len + 1);
  const out = b.slice();
  out.copyWithin(to, from, from + len);
  return out;
};

/** Replaces a run of ASCII digits (a number in a text header or JSON) with a hostile number. */
const numberInText: ByteMutation = (rng, b) => {
  const text = Buffer.from(b).toString('latin1');
  const runs = [...text.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
  if (!runs.length) return interestingInt(rng, b);
  const m = pick(rng, runs);
  return Buffer.from(text.slice(0, m.index) + pick(rng, INTERESTING_NUMBER_TEXT) + text.slice(m.index + m[0].length), 'latin1');
};

/** Text-file hazards: a UTF-8 byte-order mark, CR or CRLF line ends, a NUL, a stray quote. */
const textHazard: ByteMutation = (rng, b) => {
  const text = Buffer.from(b).toString('latin1');
  switch (below(rng, 5)) {
    case 0: return concat([Uint8Array.of(0xef, 0xbb, 0xbf), b]);
    case 1: return Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1');
    case 2: return Buffer.from(text.replace(/\r?\n/g, '\r'), 'latin1');
    case 3: { const p = position(rng, b.length + 1); return concat([b.subarray(0, p), Uint8Array.of(0), b.subarray(p)]); }
    default: { const p = position(rng, b.length + 1); return concat([b.subarray(0, p), Buffer.from(pick(rng, ['"', '{', '[', ',', '\\', '\u00e9'])), b.subarray(p)]); }
  }
};

const BINARY: ByteMutation[] = [bitFlips, bitFlips, interestingByte, interestingInt, interestingInt, arithmetic, truncate, extend, duplicateChunk, removeChunk, overwriteChunk];
const TEXT: ByteMutation[] = [...BINARY, numberInText, numberInText, textHazard];

/**
 * One to four stacked mutations of `bytes`. `text` adds the text mutations (numbers in
 * digits, byte-order marks, line ends) for formats that are text or start with a text header;
 * `spare` leading bytes are left alone by most positional mutations.
 */
export function mutateBytes(rng: Random, bytes: Uint8Array, text: boolean, spare = 0): Uint8Array {
  const pool = text ? TEXT : BINARY;
  let out = bytes;
  const rounds = 1 + (rng.next() < 0.5 ? 0 : below(rng, 4));
  spared = spare;
  try {
    for (let i = 0; i < rounds; i++) out = pick(rng, pool)(rng, out);
  } finally {
    spared = 0;
  }
  return out;
}
