import { SnnError, malformed } from '../../errors.ts';
import { readAedatHeader } from './aedat-header.ts';
import type { ChunkedFile } from './chunked-file.ts';
import { DEFAULT_CHUNK_BYTES } from './event-stream.ts';
import type { ChunkSink, EventFileInfo, StreamOptions, StreamSummary } from './event-stream.ts';

/**
 * jAER AEDAT 1.0 (6-byte records: uint16 address, int32 timestamp) and 2.0 (8 bytes: int32
 * address, int32 timestamp), big-endian, timestamps in µs, no end-of-header marker.
 *
 * Only the DVS128 address space is decoded: `p = a & 1`, `x = (a >> 1) & 0x7F`,
 * `y = (a >> 8) & 0x7F` (the raw jAER bit fields; no axis is flipped or swapped, unlike tonic's
 * `read_dvs_128`, which swaps x and y). (0, 0) is the sensor's lower-left corner (jAER
 * convention), recorded as `origin: 'lower-left'`.
 * Bit 15 marks an external (sync) event and bit 31 a jAER special event: both are skipped and
 * counted. Any other bit above 15 means a different address layout (DAVIS puts x in bits 12–21 and
 * y in 22–30), which is refused rather than decoded into wrong pixels.
 */

/** Side of the DVS128 pixel array. */
export const DVS128_SIZE = 128;

const DAVIS_BITS = 0x7fff0000;
const WRAP = 2 ** 32;
/**
 * Old jAER files can step back in time a little (USB packets out of order), but a jump back of
 * more than this that is not a 32-bit wrap means the bytes are not events (AEDAT 1.0 has no other
 * check: every 6-byte record decodes to some address).
 */
export const MAX_BACKWARD_US = 10_000_000;

/** Parses and checks the header and body length; used before streaming. */
export function openAedat2(file: ChunkedFile): EventFileInfo & { recordBytes: 6 | 8 } {
  const where = file.path;
  const header = readAedatHeader(file);
  if (header.lines.length === 0) throw malformed(`${where}: offset 0`, `no AEDAT header: a jAER file starts with '#!AER-DAT2.0' (or '#' comment lines for 1.0)`);
  const version = header.version;
  if (version !== '1.0' && version !== '2.0') throw malformed(`${where}: offset 0`, `AEDAT version '${version}' handed to the AEDAT 1.0/2.0 reader`);
  const chip = header.lines.find((l) => /^#\s*AEChip:/i.test(l));
  if (chip && /davis|dvs240|dvs346|cochlea|dvx/i.test(chip)) {
    throw new SnnError('incompatibleVersion', `${where}: header line '${chip.trim()}' names a chip whose AEDAT 2.0 addresses are not DVS128 addresses (DAVIS: x in bits 12–21, y in 22–30); snn-export decodes DVS128 files only`);
  }
  const recordBytes = version === '1.0' ? 6 : 8;
  const body = file.size - header.bodyOffset;
  if (body % recordBytes !== 0) {
    const lastWhole = header.bodyOffset + body - (body % recordBytes);
    throw malformed(`${where}: offset ${lastWhole}`, `truncated record: the body after the ${header.lines.length}-line header (offset ${header.bodyOffset}) is ${body} bytes, not a multiple of the ${recordBytes}-byte AEDAT ${version} record (${body % recordBytes} bytes left over)`);
  }
  return {
    path: where, format: version === '1.0' ? 'AEDAT 1.0' : 'AEDAT 2.0', headerLines: header.lines,
    bodyOffset: header.bodyOffset, width: DVS128_SIZE, height: DVS128_SIZE, origin: 'lower-left', sensor: 'DVS128',
    recordBytes,
  };
}

/** Decodes an AEDAT 1.0/2.0 file chunk by chunk. */
export function streamAedat2(file: ChunkedFile, sink: ChunkSink, options: StreamOptions = {}): StreamSummary {
  const info = openAedat2(file);
  const where = file.path;
  const rec = info.recordBytes;
  let offset = options.startOffset ?? info.bodyOffset;
  // Small files get small buffers: allocating 4 MiB per sample would dominate reading a data set.
  const wanted = Math.min(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, Math.max(0, file.size - offset));
  const chunkBytes = Math.max(rec, Math.floor(wanted / rec) * rec);
  if (offset < info.bodyOffset || (offset - info.bodyOffset) % rec !== 0 || offset > file.size) {
    throw new SnnError('usage', `${where}: start offset ${offset} is not at an event record (body starts at ${info.bodyOffset}, ${rec}-byte records)`);
  }
  const capacity = chunkBytes / rec;
  const x = new Uint16Array(capacity), y = new Uint16Array(capacity), p = new Uint8Array(capacity);
  const t = new Float64Array(capacity);
  const buf = new Uint8Array(chunkBytes);
  let events = 0, skipped = 0;
  // jAER timestamps are 32-bit and wrap (after ~71.6 min): a backward jump of more than half the
  // range is a wrap, and later timestamps are shifted by 2^32.
  let wrapBase = 0, last = -1;
  while (offset < file.size) {
    const bytes = file.readAt(offset, chunkBytes, buf);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = bytes.length / rec;
    let k = 0;
    if (rec === 8) {
      for (let i = 0, o = 0; i < n; i++, o += 8) {
        const a = view.getUint32(o, false);
        let ts = view.getUint32(o + 4, false) + wrapBase;
        if (a > 0x7fff) {
          if ((a & DAVIS_BITS) !== 0 && a < 0x80000000) throw davisAddress(where, offset + o, a);
          skipped++;
          continue;
        }
        if (ts < last) {
          if (ts < last - 2147483648) { wrapBase += WRAP; ts += WRAP; }
          else if (ts < last - MAX_BACKWARD_US) throw timeJump(where, offset + o, last, ts);
        }
        last = ts;
        x[k] = (a >>> 1) & 0x7f; y[k] = (a >>> 8) & 0x7f; p[k] = a & 1; t[k] = ts; k++;
      }
    } else {
      for (let i = 0, o = 0; i < n; i++, o += 6) {
        const a = view.getUint16(o, false);
        let ts = view.getUint32(o + 2, false) + wrapBase;
        if (a > 0x7fff) { skipped++; continue; }
        if (ts < last) {
          if (ts < last - 2147483648) { wrapBase += WRAP; ts += WRAP; }
          else if (ts < last - MAX_BACKWARD_US) throw timeJump(where, offset + o, last, ts);
        }
        last = ts;
        x[k] = (a >>> 1) & 0x7f; y[k] = (a >>> 8) & 0x7f; p[k] = a & 1; t[k] = ts; k++;
      }
    }
    events += k;
    const more = sink({ count: k, x, y, t, p, byteOffset: offset });
    offset += bytes.length;
    if (more === false) break;
  }
  const { recordBytes: _r, ...plain } = info;
  return { info: plain, events, skipped };
}

function timeJump(where: string, offset: number, last: number, ts: number): SnnError {
  return malformed(`${where}: offset ${offset}`, `timestamp ${ts} µs is ${last - ts} µs before the previous event's (${last} µs): more than the ${MAX_BACKWARD_US / 1e6} s an AEDAT file may step back, so these bytes are not events (or the recording's timestamps were reset mid-file)`);
}

function davisAddress(where: string, offset: number, a: number): SnnError {
  return malformed(`${where}: offset ${offset}`, `address 0x${a.toString(16).padStart(8, '0')} has bits 16–30 set: not a DVS128 address (a DAVIS or other AEDAT 2.0 layout, or not an AEDAT body); snn-export decodes DVS128 addresses only`);
}
