import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import type { ErrorKind } from '../errors.ts';
import { SnnError, fsError } from '../errors.ts';

/**
 * The one way an untrusted input file is opened and read: only a regular file (a folder, a device
 * such as /dev/zero or a FIFO is refused at once instead of blocking or reading for ever), never
 * more than the documented maximum for its format (checked on the size before a byte is read),
 * and every file-system error as the one-line `io` error. JSON text may start with a UTF-8
 * byte-order mark.
 */

/** How one kind of input is read. */
export interface InputOptions {
  /** What the file is, for messages: `checkpoint`, `network spec`, `events bundle`. */
  what: string;
  /** Largest accepted size in bytes (README, "Limits on input files"). */
  maxBytes: number;
}

/** 1 KiB, 1 MiB, 1 GiB: limits are written in binary units. */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** A byte count for messages: `4096 bytes`, `12.5 MiB`, `4.6 GiB`. */
export function formatBytes(n: number): string {
  if (n < 10 * KiB) return `${n} bytes`;
  const [unit, size] = n >= GiB ? ['GiB', GiB] : n >= MiB ? ['MiB', MiB] : ['KiB', KiB];
  const v = n / size;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'is a folder, not a file';
  if (st.isCharacterDevice()) return 'is a character device, not a regular file';
  if (st.isBlockDevice()) return 'is a block device, not a regular file';
  if (st.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
  if (st.isSocket()) return 'is a socket, not a regular file';
  return 'is not a regular file';
}

/** An open input file: its descriptor and size. Close it with `closeSync(fd)`. */
export interface OpenInput {
  fd: number;
  size: number;
}

/**
 * Opens `path` for reading if it is a regular file. O_NONBLOCK keeps a FIFO without a writer from
 * blocking the open; the type is checked on the open descriptor, so nothing can be swapped in
 * between the check and the read. A missing file is `missingInput` ("<what> not found").
 */
export function openInput(path: string, what: string): OpenInput {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') throw new SnnError('missingInput', `${path}: ${what} not found`);
    throw fsError(path, `read the ${what}`, err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SnnError('io', `${path}: cannot read the ${what}: ${kindOf(st)}`);
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    throw fsError(path, `read the ${what}`, err);
  }
}

/** Refuses a file over `maxBytes` with one line naming the size and the limit. */
export function checkInputSize(path: string, size: number, options: InputOptions): void {
  if (size > options.maxBytes) {
    throw new SnnError('malformedInput', `${path}: ${size} bytes, more than the limit of ${formatBytes(options.maxBytes)} (${options.what})`);
  }
}

/** Reads a whole input file within its size limit. */
export function readInput(path: string, options: InputOptions): Buffer {
  const { fd, size } = openInput(path, options.what);
  try {
    checkInputSize(path, size, options);
    const buf = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buf, done, size - done, done);
      if (n === 0) break; // the file shrank while being read: return what is there
      done += n;
    }
    return done === size ? buf : buf.subarray(0, done);
  } catch (err) {
    throw fsError(path, `read the ${options.what}`, err);
  } finally {
    closeSync(fd);
  }
}

/** Decodes UTF-8 text, without the byte-order mark some editors put first. */
export function decodeText(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Reads a UTF-8 text file within its size limit (a byte-order mark is dropped). */
export function readInputText(path: string, options: InputOptions): string {
  return decodeText(readInput(path, options));
}

/**
 * How deep parsed JSON may nest. Every file snn-export reads nests fewer than 10 levels; a value
 * nested thousands deep parses but overflows the stack of the JSON.stringify that writes it back
 * (into a checkpoint, an ONNX model's metadata, a report).
 */
export const MAX_JSON_DEPTH = 64;

/** The nesting depth of a parsed JSON value, counted without recursion; stops past `limit`. */
function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Parses JSON text that came from a file, refusing text that is not JSON and values nested deeper
 * than MAX_JSON_DEPTH, as `kind` (default `malformedInput`); `where` names the file and field.
 */
export function parseUntrustedJson(text: string, where: string, kind: ErrorKind = 'malformedInput'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SnnError(kind, `${where}: not valid JSON (${(err as Error).message})`);
  }
  if (jsonDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new SnnError(kind, `${where}: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/** Reads and parses a JSON file within its size limit (`parseUntrustedJson`). */
export function readInputJson(path: string, options: InputOptions & { kind?: ErrorKind }): unknown {
  return parseUntrustedJson(readInputText(path, options), path, options.kind);
}
