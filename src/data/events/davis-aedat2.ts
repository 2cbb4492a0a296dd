import { SnnError, malformed } from '../../errors.ts';
import { readAedatHeader } from './aedat-header.ts';
import { MAX_BACKWARD_US } from './aedat2.ts';
import type { ChunkedFile } from './chunked-file.ts';
import { DEFAULT_CHUNK_BYTES } from './event-stream.ts';
import type { ChunkSink, EventFileInfo, StreamOptions, StreamSummary } from './event-stream.ts';

/**
 * jAER AEDAT 2.0 from DAVIS cameras (DAVIS240, DAVIS346, DAVIS640, DAVIS208, DAVIS128): the text
 * header names the chip class (`# AEChip: eu.seebetter.ini.chips.davis.Davis346red`), then
 * big-endian `int32 address, int32 timestamp` records, timestamps in µs. The address layout is
 * jAER's `DavisChip`:
 *
 * - bit 31 clear: DVS. With bit 10 set it is an external-input (special) event, skipped and counted
 *   as `special`; otherwise a polarity event: x in bits 12–21, y in bits 22–30, polarity in bit 11.
 * - bit 31 set: bits 10–11 both set mark an IMU sample word (`imu`), anything else an APS (frame)
 *   ADC sample (`aps`); both are skipped and counted.
 *
 * x and y are the raw address fields, like the DVS128 reader's: (0, 0) is the lower-left corner
 * in jAER's convention (`origin: 'lower-left'`), and, as for DVS128, jAER's viewer mirrors x
 * (it shows x as width − 1 − x). tonic's `read_davis_346` flips both axes (345 − x, 259 − y).
 * Addresses outside the chip's array are refused with their offset, as are 32-bit timestamps that
 * step back more than 10 s without wrapping (wraps are unrolled).
 */

const CHIPS: [RegExp, string, number, number][] = [
  [/davis\s*_?240|dvs\s*240/i, 'DAVIS240', 240, 180],
  [/davis\s*_?346|dvs\s*346/i, 'DAVIS346', 346, 260],
  [/davis\s*_?640/i, 'DAVIS640', 640, 480],
  [/davis\s*_?208/i, 'DAVIS208', 208, 192],
  [/davis\s*_?128/i, 'DAVIS128', 128, 128],
];

/** The `# AEChip:` line of a header if it names a DAVIS chip. */
export function davisChipLine(lines: string[]): string | undefined {
  const chip = lines.find((l) => /^#\s*AEChip:/i.test(l));
  return chip && /davis|dvs240|dvs346/i.test(chip) ? chip.trim() : undefined;
}

export function openDavisAedat2(file: ChunkedFile): EventFileInfo {
  const where = file.path;
  const header = readAedatHeader(file);
  const chip = davisChipLine(header.lines);
  if (!chip) throw malformed(`${where}: offset 0`, `no '# AEChip: …davis…' header line: not a DAVIS AEDAT 2.0 file`);
  if (header.version !== '2.0') throw malformed(`${where}: offset 0`, `a DAVIS chip in an AEDAT ${header.version} file (DAVIS addresses need AEDAT 2.0's 32-bit addresses)`);
  const name = chip.replace(/^#\s*AEChip:\s*/i, '');
  const known = CHIPS.find(([re]) => re.test(name));
  if (!known) {
    throw new SnnError('incompatibleVersion', `${where}: header line '${chip}' names a DAVIS chip whose array size snn-export does not know (it reads DAVIS240, DAVIS346, DAVIS640, DAVIS208 and DAVIS128)`);
  }
  const body = file.size - header.bodyOffset;
  if (body % 8 !== 0) {
    const lastWhole = file.size - (body % 8);
    throw malformed(`${where}: offset ${lastWhole}`, `truncated record: the body after the ${header.lines.length}-line header (offset ${header.bodyOffset}) is ${body} bytes, not a multiple of the 8-byte AEDAT 2.0 record (${body % 8} bytes left over)`);
  }
  return {
    path: where, format: 'AEDAT 2.0', headerLines: header.lines, bodyOffset: header.bodyOffset,
    width: known[2], height: known[3], origin: 'lower-left', sensor: known[1],
  };
}

/** Decodes a DAVIS AEDAT 2.0 file chunk by chunk. */
export function streamDavisAedat2(file: ChunkedFile, sink: ChunkSink, options: StreamOptions = {}): StreamSummary {
  const info = openDavisAedat2(file);
  const where = file.path;
  let offset = options.startOffset ?? info.bodyOffset;
  if (offset < info.bodyOffset || (offset - info.bodyOffset) % 8 !== 0 || offset > file.size) {
    throw new SnnError('usage', `${where}: start offset ${offset} is not at an event record (body starts at ${info.bodyOffset}, 8-byte records)`);
  }
  const wanted = Math.min(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, Math.max(0, file.size - offset));
  const chunkBytes = Math.max(8, Math.floor(wanted / 8) * 8);
  const capacity = chunkBytes / 8;
  const x = new Uint16Array(capacity), y = new Uint16Array(capacity), p = new Uint8Array(capacity);
  const t = new Float64Array(capacity);
  const buf = new Uint8Array(chunkBytes);
  const W = info.width, H = info.height;
  let events = 0, aps = 0, imu = 0, special = 0;
  let wrapBase = 0, last = -1;
  while (offset < file.size) {
    const bytes = file.readAt(offset, chunkBytes, buf);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = bytes.length >>> 3;
    let k = 0;
    for (let i = 0, o = 0; i < n; i++, o += 8) {
      const a = view.getUint32(o, false);
      if (a >= 0x80000000) {
        if ((a & 0xc00) === 0xc00) imu++; else aps++;
        continue;
      }
      if (a & 0x400) { special++; continue; }
      const ex = (a >>> 12) & 0x3ff, ey = a >>> 22;
      if (ex >= W || ey >= H) throw malformed(`${where}: offset ${offset + o}`, `DVS address 0x${a.toString(16).padStart(8, '0')} is pixel (${ex}, ${ey}), outside the ${W}×${H} ${info.sensor} array`);
      let ts = view.getUint32(o + 4, false) + wrapBase;
      if (ts < last) {
        if (ts < last - 2147483648) { wrapBase += 4294967296; ts += 4294967296; }
        else if (ts < last - MAX_BACKWARD_US) {
          throw malformed(`${where}: offset ${offset + o}`, `timestamp ${ts} µs is ${last - ts} µs before the previous event's (${last} µs): more than the ${MAX_BACKWARD_US / 1e6} s an AEDAT file may step back, so these bytes are not events (or the recording's timestamps were reset mid-file)`);
        }
      }
      last = ts;
      x[k] = ex; y[k] = ey; p[k] = (a >>> 11) & 1; t[k] = ts; k++;
    }
    events += k;
    const more = sink({ count: k, x, y, t, p, byteOffset: offset });
    offset += bytes.length;
    if (more === false) break;
  }
  return { info, events, skipped: aps + imu + special, skippedKinds: { aps, imu, special } };
}
