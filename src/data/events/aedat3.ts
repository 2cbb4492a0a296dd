import { SnnError, malformed } from '../../errors.ts';
import { readAedatHeader } from './aedat-header.ts';
import type { ChunkedFile } from './chunked-file.ts';
import { DEFAULT_CHUNK_BYTES } from './event-stream.ts';
import type { ChunkSink, EventFileInfo, StreamOptions, StreamSummary } from './event-stream.ts';

/**
 * AEDAT 3.1 (cAER/libcaer): text header ending with `#!END-HEADER`, then little-endian packets,
 * each a 28-byte header `eventType i16, eventSource i16, eventSize i32, eventTSOffset i32,
 * eventTSOverflow i32, eventCapacity i32, eventNumber i32, eventValid i32` followed by
 * `eventCapacity × eventSize` bytes.
 *
 * Polarity events (type 1, 8 bytes): `uint32 data` (bit 0 valid, bit 1 polarity, bits 2–16 y,
 * bits 17–31 x) and `int32 timestamp`; the full timestamp is `eventTSOverflow · 2^31 + timestamp`.
 * Events without the valid bit are dropped (and counted as skipped), other packet types skipped.
 * x and y are the raw fields; (0, 0) is the upper-left corner in AEDAT 3.1 (`origin: 'upper-left'`).
 */
const HEADER_BYTES = 28;
const POLARITY_EVENT = 1;
const POLARITY_SIZE = 8;
const MAX_EVENT_SIZE = 1 << 16;

/** Sensors whose size a `#Source N: NAME` line gives away. */
const SENSOR_SIZES: [RegExp, string, number, number][] = [
  [/DVS128/i, 'DVS128', 128, 128],
  [/DAVIS ?240|DAVIS240/i, 'DAVIS240', 240, 180],
  [/DAVIS ?346|DAVIS346/i, 'DAVIS346', 346, 260],
  [/DVXPLORER ?LITE/i, 'DVXplorer Lite', 320, 240],
  [/DVXPLORER/i, 'DVXplorer', 640, 480],
];

export function openAedat3(file: ChunkedFile): EventFileInfo {
  const where = file.path;
  const header = readAedatHeader(file);
  if (header.version !== '3.1') throw malformed(`${where}: offset 0`, `AEDAT version '${header.version}' handed to the AEDAT 3.1 reader`);
  const source = header.lines.find((l) => /^#Source\s+\d+:/i.test(l));
  let sensor = 'unknown', width = 0, height = 0;
  if (source) {
    const name = source.replace(/^#Source\s+\d+:\s*/i, '');
    for (const [re, label, w, h] of SENSOR_SIZES) {
      if (re.test(name)) { sensor = label; width = w; height = h; break; }
    }
    if (sensor === 'unknown') sensor = name.trim();
  }
  return { path: where, format: 'AEDAT 3.1', headerLines: header.lines, bodyOffset: header.bodyOffset, width, height, origin: 'upper-left', sensor };
}

/** Where a packet's payload ends, refusing headers that cannot be right. */
function checkPacket(file: ChunkedFile, view: DataView, at: number): { type: number; size: number; tsOffset: number; overflow: number; number: number; end: number } {
  const where = `${file.path}: offset ${at}`;
  const type = view.getInt16(0, true);
  const size = view.getInt32(4, true);
  const tsOffset = view.getInt32(8, true);
  const overflow = view.getInt32(12, true);
  const capacity = view.getInt32(16, true);
  const number = view.getInt32(20, true);
  const valid = view.getInt32(24, true);
  if (type < 0) throw malformed(where, `packet header: event type ${type} is negative`);
  if (size <= 0 || size > MAX_EVENT_SIZE) throw malformed(where, `packet header: event size ${size} bytes is not plausible (1…${MAX_EVENT_SIZE})`);
  if (tsOffset < 0 || tsOffset + 4 > size) throw malformed(where, `packet header: timestamp offset ${tsOffset} does not fit in a ${size}-byte event`);
  if (overflow < 0) throw malformed(where, `packet header: timestamp overflow ${overflow} is negative`);
  if (capacity < 0 || number < 0 || valid < 0 || number > capacity || valid > number) {
    throw malformed(where, `packet header: inconsistent counts (capacity ${capacity}, number ${number}, valid ${valid}; need 0 ≤ valid ≤ number ≤ capacity)`);
  }
  if (type === POLARITY_EVENT && (size !== POLARITY_SIZE || tsOffset !== 4)) {
    throw malformed(where, `polarity packet with ${size}-byte events and timestamp offset ${tsOffset} (expected 8 and 4)`);
  }
  const end = at + HEADER_BYTES + capacity * size;
  if (end > file.size) {
    throw malformed(where, `packet size lies: ${capacity} events × ${size} bytes end at offset ${end}, past the end of the file (${file.size} bytes)`);
  }
  return { type, size, tsOffset, overflow, number, end };
}

/** Decodes an AEDAT 3.1 file packet by packet; a chunk holds whole packets. */
export function streamAedat3(file: ChunkedFile, sink: ChunkSink, options: StreamOptions = {}): StreamSummary {
  const info = openAedat3(file);
  const where = file.path;
  const chunkBytes = Math.max(1 << 12, Math.min(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, file.size));
  let capacity = Math.ceil(chunkBytes / POLARITY_SIZE);
  let x = new Uint16Array(capacity), y = new Uint16Array(capacity), p = new Uint8Array(capacity);
  let t = new Float64Array(capacity);
  let buf = new Uint8Array(chunkBytes);
  let bufStart = 0, bufLen = 0;
  // Returns a view of file bytes [at, at + len), refilling the read buffer when needed.
  const bytesAt = (at: number, len: number): DataView => {
    if (at < bufStart || at + len > bufStart + bufLen) {
      if (len > buf.length) buf = new Uint8Array(len);
      const got = file.readAt(at, Math.max(len, chunkBytes), buf);
      bufStart = at; bufLen = got.length;
      if (got.length < len) throw malformed(`${where}: offset ${at + got.length}`, `truncated: ${len} bytes needed at offset ${at}, the file ends at ${file.size}`);
    }
    return new DataView(buf.buffer, buf.byteOffset + (at - bufStart), len);
  };

  let offset = options.startOffset ?? info.bodyOffset;
  if (offset < info.bodyOffset || offset > file.size) throw new SnnError('usage', `${where}: start offset ${offset} is outside the body (${info.bodyOffset}…${file.size})`);
  let events = 0, skipped = 0, k = 0, chunkStart = offset;
  const flush = (): boolean => {
    const more = sink({ count: k, x, y, t, p, byteOffset: chunkStart });
    events += k; k = 0;
    return more !== false;
  };
  while (offset < file.size) {
    if (file.size - offset < HEADER_BYTES) {
      throw malformed(`${where}: offset ${offset}`, `truncated packet header: ${file.size - offset} bytes left, a packet header is ${HEADER_BYTES}`);
    }
    const pk = checkPacket(file, bytesAt(offset, HEADER_BYTES), offset);
    const payloadAt = offset + HEADER_BYTES;
    if (pk.type !== POLARITY_EVENT) {
      skipped += pk.number;
      offset = pk.end;
      continue;
    }
    if (k > 0 && k + pk.number > capacity) {
      if (!flush()) return { info, events, skipped };
      chunkStart = offset;
    }
    if (k === 0) chunkStart = offset;
    if (pk.number > capacity) {
      capacity = pk.number;
      x = new Uint16Array(capacity); y = new Uint16Array(capacity); p = new Uint8Array(capacity); t = new Float64Array(capacity);
    }
    const view = bytesAt(payloadAt, pk.number * POLARITY_SIZE);
    const base = pk.overflow * 2147483648;
    for (let i = 0, o = 0; i < pk.number; i++, o += 8) {
      const data = view.getUint32(o, true);
      const ts = view.getInt32(o + 4, true);
      if ((data & 1) === 0) { skipped++; continue; }
      if (ts < 0) throw malformed(`${where}: offset ${payloadAt + o + 4}`, `negative event timestamp ${ts} (AEDAT 3.1 timestamps are 31-bit, non-negative)`);
      x[k] = data >>> 17; y[k] = (data >>> 2) & 0x7fff; p[k] = (data >>> 1) & 1; t[k] = base + ts; k++;
    }
    offset = pk.end;
  }
  if (k > 0) flush();
  return { info, events, skipped };
}
