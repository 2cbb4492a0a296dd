import { SnnError, malformed } from '../../errors.ts';
import { MiB } from '../../util/read-input.ts';
import type { ChunkedFile } from './chunked-file.ts';
import { OutputBuffer, lz4Frame, zstdFrame } from './decompress.ts';
import { DEFAULT_CHUNK_BYTES } from './event-stream.ts';
import type { ChunkSink, EventFileInfo, StreamOptions, StreamSummary } from './event-stream.ts';
import { FlatBufferReader } from './flatbuffer-reader.ts';

/**
 * AEDAT 4.0 (iniVation DV, dv-processing): the line `#!AER-DAT4.0\r\n`, an int32 (little-endian)
 * length and the IOHeader flatbuffer (identifier `IOHE`: compression, data-table position,
 * an XML description of the streams), then packets: `int32 streamId, int32 size`, and `size` bytes
 * of a size-prefixed flatbuffer, compressed as a whole by the file's compression (none, LZ4 or
 * LZ4 high = one LZ4 frame, Zstd or Zstd high = one Zstandard frame). A file closed by DV ends
 * with a data table (identifier `FTAB`, compressed the same way) at the IOHeader's position.
 *
 * Streams are declared in the XML (`outInfo/<id>`: `typeIdentifier`, and for events and frames
 * `info/sizeX`, `info/sizeY`, `info/source`). The polarity events of the event stream (`EVTS`) with
 * the lowest id are decoded (as tonic does): 16-byte structs `int64 t (µs), int16 x, int16 y,
 * bool on`. Frames (`FRME`, one per packet), IMU samples (`IMUS`), triggers (`TRIG`) and the events
 * of further event streams are skipped and counted by kind. x, y are the raw fields;
 * (0, 0) is the upper-left corner (DV), `origin: 'upper-left'`.
 */

const MAGIC = '#!AER-DAT4.0\r\n';
const MAX_IOHEADER_BYTES = 16 * MiB;
const EVENT_BYTES = 16;
const COMPRESSION = ['none', 'LZ4', 'LZ4 high', 'Zstd', 'Zstd high'] as const;

export interface Aedat4StreamInfo {
  id: number;
  /** Flatbuffer identifier: `EVTS`, `FRME`, `IMUS`, `TRIG`, … */
  type: string;
  width?: number;
  height?: number;
  source?: string;
}

export interface Aedat4Info extends EventFileInfo {
  compression: (typeof COMPRESSION)[number];
  streams: Aedat4StreamInfo[];
  /** Id of the event stream decoded. */
  eventStream: number;
  /** File offset of the data table, or -1 when the file has none; packets end there. */
  dataTablePosition: number;
  bodyEnd: number;
}

/**
 * The `outInfo` streams of DV's XML description: a linear scan from tag to tag (each `<` to the next
 * `>`; DV writes flat, regular XML), so that no description, however hostile, costs more than one pass.
 */
function parseStreams(xml: string, where: string): Aedat4StreamInfo[] {
  const stack: string[] = [];
  const streams = new Map<number, Aedat4StreamInfo>();
  let attrKey: string | null = null, textStart = 0;
  for (let pos = 0; ;) {
    const first = xml.indexOf('<', pos);
    if (first < 0) break;
    const gt = xml.indexOf('>', first);
    if (gt < 0) break;
    // The tag is what follows the last '<' before this '>': every character is looked at a bounded number of times.
    const lt = xml.lastIndexOf('<', gt);
    pos = gt + 1;
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('node')) {
      const name = /^node\s[^]*?\bname="([^"]*)"/.exec(tag);
      if (!tag.endsWith('/')) stack.push(name ? name[1] : '');
    } else if (tag.startsWith('/node')) {
      stack.pop();
    } else if (tag.startsWith('attr')) {
      const key = /^attr\s[^]*?\bkey="([^"]*)"/.exec(tag);
      attrKey = key ? key[1] : null;
      textStart = gt + 1;
    } else if (tag.startsWith('/attr') && attrKey !== null) {
      const key = attrKey, value = xml.slice(textStart, lt).trim();
      attrKey = null;
      const at = stack.lastIndexOf('outInfo');
      if (at < 0) continue;
      const rest = stack.slice(at + 1);
      if (rest.length < 1 || rest.length > 2 || (rest.length === 2 && rest[1] !== 'info') || !/^\d{1,9}$/.test(rest[0])) continue;
      const id = Number(rest[0]);
      const s = streams.get(id) ?? { id, type: '' };
      streams.set(id, s);
      if (rest.length === 1 && key === 'typeIdentifier') s.type = value;
      if (rest.length === 2 && (key === 'sizeX' || key === 'sizeY')) {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1 || n > 32768) throw malformed(`${where}: IOHeader`, `stream ${id}: ${key} '${value.slice(0, 40)}' is not a sensor size (1…32768)`);
        if (key === 'sizeX') s.width = n; else s.height = n;
      }
      if (rest.length === 2 && key === 'source') s.source = value;
    }
    if (stack.length > 64) throw malformed(`${where}: IOHeader`, 'stream description nests more than 64 levels');
  }
  return [...streams.values()].sort((a, b) => a.id - b.id);
}

/** Sensor name from DV's `source` (`DVXplorer_DXB00010` → `DVXplorer`, `DAVIS346_00000499` → `DAVIS346`). */
function sensorName(source: string | undefined): string {
  if (!source) return 'unknown';
  return source.replace(/_[A-Za-z0-9]*\d[A-Za-z0-9]*$/, '') || source;
}

/** Parses the IOHeader and the stream description; used before streaming. */
export function openAedat4(file: ChunkedFile): Aedat4Info {
  const where = file.path;
  const head = file.readAt(0, MAGIC.length + 4);
  if (Buffer.from(head.subarray(0, MAGIC.length)).toString('latin1') !== MAGIC) {
    throw malformed(`${where}: offset 0`, `AEDAT 4.0 files start with '#!AER-DAT4.0' and CR LF`);
  }
  if (head.length < MAGIC.length + 4) throw malformed(`${where}: offset ${head.length}`, `truncated: the IOHeader length (int32) expected after the version line`);
  const len = new DataView(head.buffer, head.byteOffset).getInt32(MAGIC.length, true);
  const at = MAGIC.length + 4;
  if (len < 12 || len > MAX_IOHEADER_BYTES || at + len > file.size) {
    throw malformed(`${where}: offset ${MAGIC.length}`, `IOHeader length ${len} is not plausible (12 … ${MAX_IOHEADER_BYTES} bytes, within the ${file.size}-byte file)`);
  }
  const fb = new FlatBufferReader(file.readAt(at, len), where, at, 'IOHeader');
  const root = fb.root(false, 'IOHE');
  const code = fb.int32(root, 0, 0);
  const compression = COMPRESSION[code];
  if (compression === undefined) throw fb.fail(root, `compression ${code} is not one of 0 (none), 1 (LZ4), 2 (LZ4 high), 3 (Zstd), 4 (Zstd high)`);
  const dataTablePosition = fb.int64(root, 1, -1);
  const bodyOffset = at + len;
  if (dataTablePosition !== -1 && (dataTablePosition < bodyOffset || dataTablePosition > file.size)) {
    throw fb.fail(root, `data table position ${dataTablePosition} is outside the packets (${bodyOffset} … ${file.size})`);
  }
  const xml = fb.string(root, 2);
  if (xml === null) throw fb.fail(root, 'no stream description (XML)');
  const streams = parseStreams(xml, where);
  const events = streams.find((s) => s.type === 'EVTS');
  if (!events) {
    throw new SnnError('malformedInput', `${where}: offset ${at}: IOHeader declares no event stream (typeIdentifier EVTS; streams: ${streams.map((s) => `${s.id} ${s.type || '?'}`).join(', ') || 'none'})`);
  }
  if (!events.width || !events.height) throw malformed(`${where}: offset ${at}`, `IOHeader: event stream ${events.id} has no info/sizeX and info/sizeY`);
  return {
    path: where, format: 'AEDAT 4.0', headerLines: [MAGIC.trimEnd()], bodyOffset,
    width: events.width, height: events.height, origin: 'upper-left', sensor: sensorName(events.source),
    compression, streams, eventStream: events.id, dataTablePosition, bodyEnd: dataTablePosition >= 0 ? dataTablePosition : file.size,
  };
}

/** The data table's summary: packets listed, and elements and time span of the event stream. */
function readDataTable(file: ChunkedFile, info: Aedat4Info, out: OutputBuffer): Record<string, unknown> {
  const at = info.dataTablePosition;
  const raw = file.readAt(at, Math.min(file.size - at, 256 * MiB));
  const bytes = decode(raw, info.compression, out, file.path, at);
  const fb = new FlatBufferReader(bytes, file.path, at, 'data table');
  const root = fb.root(true, 'FTAB');
  const table = fb.vector(root, 0, 4);
  let events = 0, tStart = Infinity, tEnd = -Infinity;
  for (let i = 0; i < table.length; i++) {
    const def = fb.tableAt(table.start + 4 * i);
    const offset = fb.int64(def, 0, 0);
    const header = fb.field(def, 1, 8);
    if (offset < info.bodyOffset + 8 || offset > info.bodyEnd) throw fb.fail(def, `entry ${i}: packet offset ${offset} is outside the packets (${info.bodyOffset} … ${info.bodyEnd})`);
    if (header && fb.bb.readInt32(header) === info.eventStream) {
      events += fb.int64(def, 2, 0);
      tStart = Math.min(tStart, fb.int64(def, 3, 0));
      tEnd = Math.max(tEnd, fb.int64(def, 4, 0));
    }
  }
  return { packets: table.length, events, ...(events > 0 ? { tFirst: tStart, tLast: tEnd } : {}) };
}

function decode(raw: Uint8Array, compression: Aedat4Info['compression'], out: OutputBuffer, where: string, at: number): Uint8Array {
  if (compression === 'none') return raw;
  return compression === 'LZ4' || compression === 'LZ4 high' ? lz4Frame(raw, out, where, at) : zstdFrame(raw, out, where, at);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Byte-swaps the fields of `n` event structs in place (big-endian hosts only). */
function swapEvents(b: Uint8Array, n: number): void {
  for (let i = 0, o = 0; i < n; i++, o += EVENT_BYTES) {
    b.subarray(o, o + 8).reverse();
    let a = b[o + 8]; b[o + 8] = b[o + 9]; b[o + 9] = a;
    a = b[o + 10]; b[o + 10] = b[o + 11]; b[o + 11] = a;
  }
}

/**
 * The hot loop: `n` structs (`int64 t` as two int32, `int16 x, y`, `bool on` at byte 12) into the
 * output arrays from `k`. Returns -1, or the index of an event outside the sensor or 0 … 2^53 µs.
 */
function decodeEvents(i32: Int32Array, i16: Int16Array, u8: Uint8Array, n: number, W: number, H: number, x: Uint16Array, y: Uint16Array, t: Float64Array, p: Uint8Array, k: number): number {
  for (let i = 0; i < n; i++, k++) {
    const hi = i32[4 * i + 1], ex = i16[8 * i + 4], ey = i16[8 * i + 5];
    if (ex < 0 || ex >= W || ey < 0 || ey >= H || hi < 0 || hi >= 0x200000) return i;
    x[k] = ex; y[k] = ey; t[k] = hi * 4294967296 + (i32[4 * i] >>> 0); p[k] = u8[16 * i + 12] === 0 ? 0 : 1;
  }
  return -1;
}

/** Decodes an AEDAT 4.0 file packet by packet; a chunk holds whole packets of the event stream. */
export function streamAedat4(file: ChunkedFile, sink: ChunkSink, options: StreamOptions = {}): StreamSummary {
  const info = openAedat4(file);
  const where = file.path;
  const types = new Map(info.streams.map((s) => [s.id, s.type]));
  const out = new OutputBuffer();
  const kinds: Record<string, number> = { frames: 0, imu: 0, triggers: 0, otherEvents: 0 };
  const counts = new Map<number, number>();
  let capacity = Math.max(1 << 12, Math.floor((options.chunkBytes ?? DEFAULT_CHUNK_BYTES) / EVENT_BYTES));
  let x = new Uint16Array(capacity), y = new Uint16Array(capacity), p = new Uint8Array(capacity);
  let t = new Float64Array(capacity);
  let raw = new Uint8Array(1 << 16);
  let scratch = new Uint8Array(1 << 16);
  const W = info.width, H = info.height;

  let offset = options.startOffset ?? info.bodyOffset;
  if (offset < info.bodyOffset || offset > info.bodyEnd) throw new SnnError('usage', `${where}: start offset ${offset} is outside the packets (${info.bodyOffset}…${info.bodyEnd})`);
  let events = 0, k = 0, chunkStart = offset, stopped = false;
  const flush = (): boolean => {
    const more = sink({ count: k, x, y, t, p, byteOffset: chunkStart });
    events += k; k = 0;
    return more !== false;
  };
  const header = new Uint8Array(8);
  const hv = new DataView(header.buffer);
  while (offset < info.bodyEnd) {
    if (info.bodyEnd - offset < 8) throw malformed(`${where}: offset ${offset}`, `truncated packet header: ${info.bodyEnd - offset} bytes left before ${info.dataTablePosition >= 0 ? 'the data table' : 'the end of the file'}, a packet header is 8 (int32 stream id, int32 size)`);
    file.readAt(offset, 8, header);
    const id = hv.getInt32(0, true), size = hv.getInt32(4, true);
    const type = types.get(id);
    if (type === undefined) throw malformed(`${where}: offset ${offset}`, `packet of stream ${id}, which the IOHeader does not declare (streams ${[...types.keys()].join(', ')})`);
    if (size <= 0 || offset + 8 + size > info.bodyEnd) throw malformed(`${where}: offset ${offset + 4}`, `packet size ${size} is not within the ${info.bodyEnd - offset - 8} bytes left before ${info.dataTablePosition >= 0 ? 'the data table' : 'the end of the file'}`);
    const at = offset + 8;
    offset = at + size;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    if (type === 'FRME') { kinds.frames++; continue; } // one frame per packet: no need to decompress it
    if (type !== 'EVTS' && type !== 'IMUS' && type !== 'TRIG') { kinds[type] = (kinds[type] ?? 0) + 1; continue; }
    if (raw.length < size) raw = new Uint8Array(Math.max(size, raw.length * 2));
    const bytes = decode(file.readAt(at, size, raw), info.compression, out, where, at);
    const fb = new FlatBufferReader(bytes, where, at, `${type} packet of stream ${id}`);
    const root = fb.root(true, type);
    if (type === 'IMUS' || type === 'TRIG') {
      kinds[type === 'IMUS' ? 'imu' : 'triggers'] += fb.vector(root, 0, 4).length;
      continue;
    }
    const vec = fb.vector(root, 0, EVENT_BYTES);
    if (id !== info.eventStream) { kinds.otherEvents += vec.length; continue; }
    if (k > 0 && k + vec.length > capacity) {
      if (!flush()) { stopped = true; break; }
    }
    if (k === 0) chunkStart = at - 8;
    if (vec.length > capacity) {
      capacity = vec.length;
      x = new Uint16Array(capacity); y = new Uint16Array(capacity); p = new Uint8Array(capacity); t = new Float64Array(capacity);
    }
    // The structs as typed-array views (little-endian, 8-byte aligned; copied to aligned scratch if not).
    let at8 = bytes.byteOffset + vec.start, buffer = bytes.buffer;
    if (at8 % 8 !== 0 || !LITTLE_ENDIAN) {
      if (scratch.length < vec.length * EVENT_BYTES) scratch = new Uint8Array(Math.max(vec.length * EVENT_BYTES, scratch.length * 2));
      scratch.set(bytes.subarray(vec.start, vec.start + vec.length * EVENT_BYTES));
      if (!LITTLE_ENDIAN) swapEvents(scratch, vec.length);
      at8 = 0; buffer = scratch.buffer;
    }
    const bad = decodeEvents(new Int32Array(buffer, at8, vec.length * 4), new Int16Array(buffer, at8, vec.length * 8), new Uint8Array(buffer, at8, vec.length * EVENT_BYTES), vec.length, W, H, x, y, t, p, k);
    if (bad >= 0) {
      const v = new DataView(buffer, at8 + bad * EVENT_BYTES, EVENT_BYTES);
      throw fb.fail(vec.start + bad * EVENT_BYTES, `event ${bad}: x ${v.getInt16(8, true)}, y ${v.getInt16(10, true)}, t ${v.getInt32(4, true) * 4294967296 + v.getUint32(0, true)} outside the ${W}×${H} sensor or 0 … 2^53 µs`);
    }
    k += vec.length;
  }
  if (!stopped && k > 0) flush();
  const details: Record<string, unknown> = {
    compression: info.compression,
    streams: info.streams.map((s) => ({ ...s, packets: counts.get(s.id) ?? 0 })),
    eventStream: info.eventStream,
  };
  if (info.dataTablePosition >= 0 && !stopped && options.startOffset === undefined) details.dataTable = readDataTable(file, info, out);
  const skipped = Object.values(kinds).reduce((a, b) => a + b, 0);
  const { compression: _c, streams: _s, eventStream: _e, dataTablePosition: _d, bodyEnd: _b, ...plain } = info;
  return { info: plain, events, skipped, skippedKinds: kinds, details };
}
