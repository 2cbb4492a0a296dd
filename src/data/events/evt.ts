import { SnnError, malformed } from '../../errors.ts';
import type { ChunkedFile } from './chunked-file.ts';
import { DEFAULT_CHUNK_BYTES } from './event-stream.ts';
import type { ChunkSink, EventFileInfo, StreamOptions, StreamSummary } from './event-stream.ts';

/**
 * Prophesee / Metavision RAW files in EVT 2.0 and EVT 3.0 (`.raw`): a text header of `% ` lines
 * (`% evt 2.0`, `% format EVT3;height=720;width=1280`, `% geometry 1280x720`, `% plugin_name …`,
 * `% end` in recent files), then little-endian words.
 *
 * EVT 2.0: 32-bit words, type in bits 31–28. `CD_OFF` (0x0) and `CD_ON` (0x1): timestamp bits 5–0
 * in 27–22, x in 21–11, y in 10–0; `EVT_TIME_HIGH` (0x8): timestamp bits 33–6 in 27–0;
 * `EXT_TRIGGER` (0xA) counted as a trigger; `OTHERS` (0xE) counted as other, `CONTINUED` (0xF)
 * belongs to the word before it. t = time_high · 64 + time_low, µs.
 *
 * EVT 3.0: 16-bit words, type in bits 15–12, decoded as a state machine: `EVT_ADDR_Y` (0x0) sets
 * y; `EVT_ADDR_X` (0x2) is one event (x in 10–0, polarity in bit 11); `VECT_BASE_X` (0x3) sets the
 * base x and polarity of the vectors after it; `VECT_12` (0x4) and `VECT_8` (0x5) are 12 or 8
 * validity bits, one event at base x + i for each bit i set, after which base x moves on by 12 or 8;
 * `EVT_TIME_LOW` (0x6) and `EVT_TIME_HIGH` (0x8) give timestamp bits 11–0 and 23–12; `EXT_TRIGGER`
 * (0xA) is counted as a trigger, `OTHERS` (0xE) as other, `CONTINUED_4/12` (0x7, 0xF) belong to the
 * word before them.
 *
 * Time high wraps (EVT 2.0 after 2^34 µs, EVT 3.0 after 2^24 µs = 16.8 s) are unrolled: a time high
 * more than half its range below the previous one starts the next period. Any other word type is
 * reserved and refused with its offset (random bytes do not decode as events). x and y are the raw
 * fields; (0, 0) is the upper-left corner (Metavision), `origin: 'upper-left'`.
 */

export type EvtVersion = '2.0' | '3.0';

export interface EvtInfo extends EventFileInfo {
  version: EvtVersion;
}

const MAX_HEADER_BYTES = 1 << 20;

/** Sensor sizes Metavision's plugin names and sensor generations give away (when there is no geometry line). */
const SENSORS: [RegExp, string, number, number][] = [
  [/genx320|gen_?x_?320|\b320\b/i, 'GenX320', 320, 320],
  [/imx636|imx646|gen_?4|gen41|\b4\.[01]\b/i, 'IMX636 / Gen4.1 (HD)', 1280, 720],
  [/gen_?3|gen31|\b3\.[01]\b/i, 'Gen3.1 (VGA)', 640, 480],
  [/atis|gen_?1\b/i, 'ATIS', 304, 240],
];

/** Parses the `%` header: version, sensor size, body offset. */
export function openEvt(file: ChunkedFile): EvtInfo {
  const where = file.path;
  const head = file.readAt(0, Math.min(file.size, MAX_HEADER_BYTES));
  const lines: string[] = [];
  let pos = 0;
  while (pos < head.length && head[pos] === 0x25 /* % */) {
    let end = pos;
    while (end < head.length && head[end] !== 0x0a) {
      const b = head[end];
      if (b < 0x20 && b !== 0x09 && b !== 0x0d) throw malformed(`${where}: offset ${end}`, `control byte 0x${b.toString(16)} in a '%' header line (not a Metavision RAW header)`);
      end++;
    }
    if (end >= head.length) {
      throw malformed(`${where}: offset ${pos}`, head.length >= MAX_HEADER_BYTES ? `header longer than ${MAX_HEADER_BYTES} bytes` : `header line runs to the end of the file without a line feed (truncated header)`);
    }
    let line = Buffer.from(head.buffer, head.byteOffset + pos, end - pos).toString('latin1');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    lines.push(line);
    pos = end + 1;
    if (/^%\s*end\s*$/i.test(line)) break;
  }
  const field = (key: string): string | undefined => {
    const l = lines.find((s) => new RegExp(`^%\\s*${key}\\b`, 'i').test(s));
    return l?.replace(new RegExp(`^%\\s*${key}\\s*`, 'i'), '').trim();
  };
  const format = field('format');
  let version: string | undefined = field('evt');
  if (format) {
    const m = /^EVT\s*(\d)(\d?)/i.exec(format);
    if (m) version = `${m[1]}.${m[2] || '0'}`;
  }
  if (!version) throw malformed(`${where}: offset 0`, `Metavision RAW header without '% evt 2.0|3.0' or '% format EVT2|EVT3' line`);
  if (version === '2' || version === '3') version += '.0';
  if (version !== '2.0' && version !== '3.0') {
    throw new SnnError('incompatibleVersion', `${where}: EVT ${version} is not supported (snn-export reads Metavision RAW files in EVT 2.0 and EVT 3.0)`);
  }
  let width = 0, height = 0, sensor = 'unknown';
  const sizeFrom = (w?: string, h?: string): void => {
    const W = Number(w), H = Number(h);
    if (Number.isInteger(W) && Number.isInteger(H) && W > 0 && H > 0 && W <= 2048 && H <= 2048) { width = W; height = H; }
  };
  if (format) sizeFrom(/width=(\d+)/i.exec(format)?.[1], /height=(\d+)/i.exec(format)?.[1]);
  const geometry = field('geometry');
  if (!width && geometry) { const m = /^(\d+)\s*x\s*(\d+)/i.exec(geometry); sizeFrom(m?.[1], m?.[2]); }
  const hints = [field('sensor_name'), field('plugin_name'), field('sensor_generation'), field('camera_integrator_name')].filter(Boolean).join(' ');
  for (const [re, name, w, h] of SENSORS) {
    if (re.test(hints)) { sensor = name; if (!width) { width = w; height = h; } break; }
  }
  if (sensor === 'unknown' && width) sensor = `${width}×${height}`;
  const bytes = version === '2.0' ? 4 : 2;
  const body = file.size - pos;
  if (body % bytes !== 0) {
    throw malformed(`${where}: offset ${file.size - (body % bytes)}`, `truncated word: the body after the ${lines.length}-line header (offset ${pos}) is ${body} bytes, not a multiple of the ${bytes}-byte EVT ${version} word`);
  }
  return { path: where, format: version === '2.0' ? 'EVT 2.0' : 'EVT 3.0', headerLines: lines, bodyOffset: pos, width, height, origin: 'upper-left', sensor, version };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface Evt3State {
  high: number; low: number; base: number; lastHigh: number; y: number; baseX: number; pol: number; time: number;
  triggers: number; other: number;
  /** Index of the next word to decode. */
  next: number;
  /** Index of a word that cannot be taken (reserved type, address outside the sensor), or -1; `badX` its x. */
  bad: number; badX: number;
}

/**
 * The EVT 3.0 state machine over `words` from `st.next`, into the output arrays from `k`; returns
 * the new `k`. Stops early, with `st.next` at the word to resume from, when fewer than 12 output
 * slots are left, or with `st.bad` set at a word it cannot take.
 */
function decodeEvt3(words: Uint16Array, W: number, H: number, x: Uint16Array, y: Uint16Array, t: Float64Array, p: Uint8Array, k: number, capacity: number, st: Evt3State): number {
  const n = words.length, full = capacity - 12;
  let high = st.high, low = st.low, base = st.base, lastHigh = st.lastHigh, ey = st.y, baseX = st.baseX, pol = st.pol, time = st.time;
  let triggers = st.triggers, other = st.other, i = st.next;
  for (; i < n; i++) {
    if (k > full) break;
    const w = words[i];
    const type = w >>> 12;
    if (type === 0x2) {
      const ex = w & 0x7ff;
      if (ex >= W) { st.bad = i; st.badX = ex; break; }
      x[k] = ex; y[k] = ey; p[k] = (w >>> 11) & 1; t[k] = time; k++;
    } else if (type === 0x4 || type === 0x5) {
      let valid = w & (type === 0x4 ? 0xfff : 0xff);
      if (valid !== 0) {
        const last = baseX + 31 - Math.clz32(valid);
        if (last >= W) { st.bad = i; st.badX = last; break; }
        while (valid !== 0) {
          x[k] = baseX + 31 - Math.clz32(valid & -valid); y[k] = ey; p[k] = pol; t[k] = time; k++;
          valid &= valid - 1;
        }
      }
      baseX += type === 0x4 ? 12 : 8;
    } else if (type === 0x0) {
      ey = w & 0x7ff;
      if (ey >= H) { st.bad = i; st.badX = 0; break; }
    } else if (type === 0x3) { baseX = w & 0x7ff; pol = (w >>> 11) & 1; }
    else if (type === 0x6) { low = w & 0xfff; time = high + low; }
    else if (type === 0x8) {
      const h = w & 0xfff;
      if (h < lastHigh - 0x800) base += 16777216; // 2^24 µs: the time high wrapped
      lastHigh = h;
      high = base + h * 4096;
      time = high + low;
    } else if (type === 0xa) triggers++;
    else if (type === 0xe) other++;
    else if (type !== 0x7 && type !== 0xf) { st.bad = i; break; }
  }
  st.high = high; st.low = low; st.base = base; st.lastHigh = lastHigh; st.y = ey; st.baseX = baseX; st.pol = pol; st.time = time;
  st.triggers = triggers; st.other = other; st.next = i;
  return k;
}

interface Evt2State { high: number; base: number; lastHigh: number; triggers: number; other: number; bad: number }

/**
 * The EVT 2.0 hot loop, on its own so that V8 optimises it as a unit: decodes `words` into the
 * output arrays from index 0 and returns the number of events; a word it cannot take (a reserved
 * type, an address outside the sensor) stops it with `st.bad` set to its index.
 */
function decodeEvt2(words: Uint32Array, W: number, H: number, x: Uint16Array, y: Uint16Array, t: Float64Array, p: Uint8Array, st: Evt2State): number {
  const n = words.length;
  let k = 0, high = st.high, base = st.base, lastHigh = st.lastHigh, triggers = st.triggers, other = st.other;
  for (let i = 0; i < n; i++) {
    const w = words[i];
    const type = w >>> 28;
    if (type <= 1) {
      const ex = (w >>> 11) & 0x7ff, ey = w & 0x7ff;
      if (ex >= W || ey >= H) { st.bad = i; break; }
      x[k] = ex; y[k] = ey; p[k] = type; t[k] = high + ((w >>> 22) & 0x3f); k++;
    } else if (type === 8) {
      const h = w & 0xfffffff;
      if (h < lastHigh - 0x8000000) base += 17179869184; // 2^34 µs: the time high wrapped
      lastHigh = h;
      high = base + h * 64;
    } else if (type === 0xa) triggers++;
    else if (type === 0xe) other++;
    else if (type !== 0xf) { st.bad = i; break; }
  }
  st.high = high; st.base = base; st.lastHigh = lastHigh; st.triggers = triggers; st.other = other;
  return k;
}

/** Decodes an EVT 2.0 or 3.0 file chunk by chunk. */
export function streamEvt(file: ChunkedFile, sink: ChunkSink, options: StreamOptions = {}): StreamSummary {
  const info = openEvt(file);
  const where = file.path;
  const wordBytes = info.version === '2.0' ? 4 : 2;
  if (options.startOffset !== undefined && options.startOffset !== info.bodyOffset) {
    throw new SnnError('usage', `${where}: EVT words depend on the time and address state before them; a read can start at the body (offset ${info.bodyOffset}) only`);
  }
  const left = file.size - info.bodyOffset;
  const chunkBytes = Math.max(wordBytes, Math.floor(Math.min(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, Math.max(left, wordBytes)) / 4) * 4);
  const capacity = Math.max(64, chunkBytes / wordBytes);
  const x = new Uint16Array(capacity), y = new Uint16Array(capacity), p = new Uint8Array(capacity);
  const t = new Float64Array(capacity);
  const buf = new Uint8Array(chunkBytes);
  const W = info.width || 2048, H = info.height || 2048;
  const state = { events: 0, triggers: 0, other: 0, k: 0, chunkStart: info.bodyOffset, stopped: false };
  const flush = (): boolean => {
    const more = sink({ count: state.k, x, y, t, p, byteOffset: state.chunkStart });
    state.events += state.k; state.k = 0;
    if (more === false) state.stopped = true;
    return more !== false;
  };
  const outside = (at: number, ex: number, ey: number): SnnError =>
    malformed(`${where}: offset ${at}`, `event at x ${ex}, y ${ey} is outside the ${W}×${H} sensor${info.width ? '' : ' (11-bit addresses)'}`);
  const reserved = (at: number, type: number): SnnError =>
    malformed(`${where}: offset ${at}`, `EVT ${info.version} word of reserved type 0x${type.toString(16)} (not an EVT ${info.version} stream, or corrupted)`);

  let offset = info.bodyOffset;
  if (info.version === '2.0') {
    const st: Evt2State = { high: 0, base: 0, lastHigh: -1, triggers: 0, other: 0, bad: -1 };
    while (offset < file.size && !state.stopped) {
      const bytes = file.readAt(offset, chunkBytes, buf);
      if (!LITTLE_ENDIAN) for (let i = 0; i + 3 < bytes.length; i += 4) { const a = bytes[i], b = bytes[i + 1]; bytes[i] = bytes[i + 3]; bytes[i + 1] = bytes[i + 2]; bytes[i + 2] = b; bytes[i + 3] = a; }
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
      state.chunkStart = offset;
      const k = decodeEvt2(words, W, H, x, y, t, p, st);
      if (st.bad >= 0) {
        const w = words[st.bad], type = w >>> 28;
        if (type <= 1) throw outside(offset + 4 * st.bad, (w >>> 11) & 0x7ff, w & 0x7ff);
        throw reserved(offset + 4 * st.bad, type);
      }
      state.triggers = st.triggers; state.other = st.other;
      state.k = k;
      offset += bytes.length;
      if (k > 0 && !flush()) break;
    }
  } else {
    const st: Evt3State = { high: 0, low: 0, base: 0, lastHigh: -1, y: 0, baseX: 0, pol: 0, time: 0, triggers: 0, other: 0, next: 0, bad: -1, badX: 0 };
    while (offset < file.size && !state.stopped) {
      const bytes = file.readAt(offset, chunkBytes, buf);
      if (!LITTLE_ENDIAN) for (let i = 0; i + 1 < bytes.length; i += 2) { const a = bytes[i]; bytes[i] = bytes[i + 1]; bytes[i + 1] = a; }
      const words = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 1);
      st.next = 0;
      state.chunkStart = offset;
      // The loop stops when the output is nearly full (a vector adds up to 12 events): flush, go on.
      while (st.next < words.length) {
        const from = st.next;
        state.k = decodeEvt3(words, W, H, x, y, t, p, state.k, capacity, st);
        if (st.bad >= 0) {
          const type = words[st.bad] >>> 12;
          if (type === 0x0 || type === 0x2 || type === 0x4 || type === 0x5) throw outside(offset + 2 * st.bad, st.badX, st.y);
          throw reserved(offset + 2 * st.bad, type);
        }
        if (st.next < words.length || from === st.next) {
          if (!flush()) break;
          state.chunkStart = offset + 2 * st.next;
        }
      }
      state.triggers = st.triggers; state.other = st.other;
      offset += bytes.length;
      if (!state.stopped && state.k > 0 && !flush()) break;
    }
  }
  const { version: _v, ...plain } = info;
  const skippedKinds = { triggers: state.triggers, other: state.other };
  return { info: plain, events: state.events, skipped: state.triggers + state.other, skippedKinds };
}
