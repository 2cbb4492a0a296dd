/**
 * Events as a struct of arrays, the one in-memory form every reader produces.
 *
 * Coordinate convention: `x` and `y` are the raw address fields of the file, never flipped, so
 * that decodes compare bit for bit with other tools (`expected_stats.json` uses the same raw
 * fields). Where (0, 0) sits on the sensor differs by format and is carried in `origin`:
 * jAER AEDAT 1.0/2.0 (DVS128) put it at the lower left, AEDAT 3.1 and N-MNIST at the upper left.
 * Frames (`frames.ts`) read `origin` and put row 0 at the top, so every format renders upright.
 * Polarity `p` is 1 for ON (brightness increase) and 0 for OFF. Timestamps are µs as float64
 * integers (exact up to 2^53 µs, 285 years).
 */
export type EventFormat = 'AEDAT 1.0' | 'AEDAT 2.0' | 'AEDAT 3.1' | 'AEDAT 4.0' | 'EVT 2.0' | 'EVT 3.0' | 'N-MNIST bin';

/** Where address (0, 0) sits on the sensor. */
export type Origin = 'lower-left' | 'upper-left';

/** Facts about an event file that do not depend on its events. */
export interface EventFileInfo {
  path: string;
  format: EventFormat;
  /** The header's text lines without line endings (empty for N-MNIST). */
  headerLines: string[];
  /** Byte offset of the first event record or packet. */
  bodyOffset: number;
  /** Sensor size in pixels (addresses run 0 … width−1, 0 … height−1). */
  width: number;
  height: number;
  origin: Origin;
  /** The sensor named by the header (e.g. `DVS128`), or the one the format implies. */
  sensor: string;
}

/** A decoded event stream: `count` events in parallel typed arrays of exactly that length. */
export interface EventStream extends EventFileInfo {
  count: number;
  x: Uint16Array;
  y: Uint16Array;
  /** Timestamps in µs. */
  t: Float64Array;
  /** Polarity: 1 ON, 0 OFF. */
  p: Uint8Array;
  /** Records that were valid but not polarity events (jAER external/special events, AEDAT 3.1 invalid-marked events, other packet types). */
  skipped: number;
}

/**
 * A batch of decoded events handed to a streaming consumer. The arrays are reused by the reader
 * after the callback returns: copy what you keep.
 */
export interface EventChunk {
  count: number;
  x: Uint16Array;
  y: Uint16Array;
  t: Float64Array;
  p: Uint8Array;
  /** File offset of the record (AEDAT 1.0/2.0, N-MNIST) or packet (AEDAT 3.1) the chunk starts at; a valid `startOffset` for a later read. */
  byteOffset: number;
}

/** Receives chunks in file order; returning `false` stops the read early. */
export type ChunkSink = (chunk: EventChunk) => boolean | void;

/** Options shared by the streaming readers. */
export interface StreamOptions {
  /** Bytes read from disk per `readSync` (memory stays proportional to this). Default 4 MiB. */
  chunkBytes?: number;
  /** Start decoding at this file offset instead of the first event (a `byteOffset` from an earlier chunk). */
  startOffset?: number;
}

/** What a streaming read returns once it has finished or been stopped. */
export interface StreamSummary {
  info: EventFileInfo;
  events: number;
  skipped: number;
  /** `skipped` by kind where the format tells them apart (`frames`, `imu`, `triggers`, …). */
  skippedKinds?: Record<string, number>;
  /** Format-specific facts for `data inspect` (AEDAT 4.0 compression, streams and data table). */
  details?: Record<string, unknown>;
}

export const DEFAULT_CHUNK_BYTES = 4 << 20;

/** Growable struct-of-arrays event storage, used to collect chunks and by the emulator. */
export class EventBuffer {
  x: Uint16Array;
  y: Uint16Array;
  t: Float64Array;
  p: Uint8Array;
  count = 0;

  constructor(capacity = 1024) {
    const c = Math.max(16, capacity);
    this.x = new Uint16Array(c);
    this.y = new Uint16Array(c);
    this.t = new Float64Array(c);
    this.p = new Uint8Array(c);
  }

  /** Makes room for `extra` more events. */
  reserve(extra: number): void {
    const need = this.count + extra;
    if (need <= this.x.length) return;
    let cap = this.x.length;
    while (cap < need) cap *= 2;
    const grow = <T extends Uint16Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(0, this.count));
      return b;
    };
    this.x = grow(this.x, (n) => new Uint16Array(n));
    this.y = grow(this.y, (n) => new Uint16Array(n));
    this.t = grow(this.t, (n) => new Float64Array(n));
    this.p = grow(this.p, (n) => new Uint8Array(n));
  }

  push(x: number, y: number, t: number, p: number): void {
    if (this.count === this.x.length) this.reserve(1);
    const i = this.count++;
    this.x[i] = x; this.y[i] = y; this.t[i] = t; this.p[i] = p;
  }

  append(chunk: EventChunk): void {
    this.reserve(chunk.count);
    const n = chunk.count;
    this.x.set(chunk.x.subarray(0, n), this.count);
    this.y.set(chunk.y.subarray(0, n), this.count);
    this.t.set(chunk.t.subarray(0, n), this.count);
    this.p.set(chunk.p.subarray(0, n), this.count);
    this.count += n;
  }

  /** The events as a stream (arrays trimmed to `count`, copied so the buffer can be reused). */
  toStream(info: EventFileInfo, skipped: number): EventStream {
    const n = this.count;
    return {
      ...info, count: n, skipped,
      x: this.x.slice(0, n), y: this.y.slice(0, n), t: this.t.slice(0, n), p: this.p.slice(0, n),
    };
  }
}

/** Per-file statistics, with the integer checksums of `expected_stats.json`. */
export interface EventStats {
  events: number;
  onEvents: number;
  xRange: [number, number] | null;
  yRange: [number, number] | null;
  tFirst: number | null;
  tLast: number | null;
  tNondecreasing: boolean;
  sumX: bigint;
  sumY: bigint;
  sumT: bigint;
}

/** Accumulates `EventStats` over chunks, so statistics of large files need no full decode in memory. */
export class EventStatsAccumulator {
  private events = 0;
  private on = 0;
  private xMin = Infinity; private xMax = -Infinity;
  private yMin = Infinity; private yMax = -Infinity;
  private tFirst: number | null = null;
  private tLast: number | null = null;
  private nondecreasing = true;
  private sumX = 0n; private sumY = 0n; private sumT = 0n;
  private tBase: number | null = null;

  add(c: { count: number; x: Uint16Array; y: Uint16Array; t: Float64Array; p: Uint8Array }): void {
    const n = c.count;
    if (n === 0) return;
    let on = 0, sx = 0, sy = 0, xMin = this.xMin, xMax = this.xMax, yMin = this.yMin, yMax = this.yMax;
    let prev = this.tLast ?? -Infinity, nondecreasing = this.nondecreasing;
    // Timestamp sums can pass 2^53 over a file; a float sum is exact only per block, so flush
    // every 1024 events into a bigint. Timestamps are summed relative to the file's first one
    // (AEDAT 4.0 and EVT carry Unix-epoch µs, about 2^50.5): 1024 differences of up to 2^43 µs
    // (100 days) stay below 2^53; `result` adds events × base back.
    if (this.tBase === null) this.tBase = c.t[0];
    const base = this.tBase;
    let st = 0, sumT = this.sumT;
    for (let i = 0; i < n; i++) {
      const x = c.x[i], y = c.y[i], t = c.t[i];
      on += c.p[i];
      sx += x; sy += y; st += t - base;
      if ((i & 1023) === 1023) { sumT += BigInt(st); st = 0; }
      if (x < xMin) xMin = x; if (x > xMax) xMax = x;
      if (y < yMin) yMin = y; if (y > yMax) yMax = y;
      if (t < prev) nondecreasing = false;
      prev = t;
    }
    this.sumT = sumT + BigInt(st);
    if (this.tFirst === null) this.tFirst = c.t[0];
    this.tLast = c.t[n - 1];
    this.events += n; this.on += on;
    this.sumX += BigInt(sx); this.sumY += BigInt(sy);
    this.xMin = xMin; this.xMax = xMax; this.yMin = yMin; this.yMax = yMax;
    this.nondecreasing = nondecreasing;
  }

  result(): EventStats {
    const any = this.events > 0;
    return {
      events: this.events, onEvents: this.on,
      xRange: any ? [this.xMin, this.xMax] : null, yRange: any ? [this.yMin, this.yMax] : null,
      tFirst: this.tFirst, tLast: this.tLast, tNondecreasing: this.nondecreasing,
      sumX: this.sumX, sumY: this.sumY, sumT: this.sumT + (any ? BigInt(this.tBase ?? 0) * BigInt(this.events) : 0n),
    };
  }
}

/** Statistics of a decoded stream. */
export function eventStats(stream: EventStream): EventStats {
  const acc = new EventStatsAccumulator();
  acc.add(stream);
  return acc.result();
}
