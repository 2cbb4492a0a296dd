import { SnnError } from '../errors.ts';
import { SPEC_LIMITS } from '../spec/limits.ts';
import type { Origin } from './events/event-stream.ts';

/**
 * Event frames `[T, 2, H, W]`: channel 0 counts OFF events, channel 1 ON events (the polarity
 * value is the channel index, as in tonic's `ToFrame`). Row 0 is the top of the scene: streams
 * whose origin is the lower-left corner (jAER DVS128) have their y flipped here, so MNIST-DVS,
 * DVS128 Gesture and N-MNIST frames all come out upright. x is never mirrored.
 * The result depends only on the events and the options (no randomness, no clock).
 */
export interface FrameOptions {
  /** Number of frames T. */
  timeSteps: number;
  /** `time`: T equal time bins over the window; `count`: T bins of (as near as possible) equal event counts. Default `time`. */
  binning?: 'time' | 'count';
  /** `count`: events per pixel and bin; `binary`: 1 where at least one event fell. Default `count`. */
  mode?: 'count' | 'binary';
  /** Region kept, in upright sensor pixels (row 0 at the top), before down-sampling. Default: the whole sensor. */
  crop?: { left: number; top: number; width: number; height: number };
  /** Integer factor: each output pixel sums a factor×factor block (edges padded). Default 1. */
  downsample?: number;
  /** Time window in µs, start inclusive, end exclusive. Default: first event to last event inclusive. */
  window?: { start: number; end: number };
}

/** The sensor the events come from. */
export interface SensorGeometry {
  width: number;
  height: number;
  origin: Origin;
}

/** Events in struct-of-arrays form (an `EventStream` or `EventBuffer` qualifies). */
export interface EventArrays {
  count: number;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  t: ArrayLike<number>;
  p: ArrayLike<number>;
}

/** `[T, 2, H, W]` for a sensor and options, after refusing options that cannot work. */
export function frameShape(sensor: { width: number; height: number }, options: FrameOptions): [number, number, number, number] {
  const { timeSteps } = options;
  const f = options.downsample ?? 1;
  if (!Number.isInteger(timeSteps) || timeSteps < 1) throw new SnnError('usage', `frames: time steps must be a positive integer, got ${timeSteps}`);
  // The network runs one step per bin: the spec's limit applies before any frame is allocated.
  if (timeSteps > SPEC_LIMITS.timeSteps) throw new SnnError('usage', `frames: ${timeSteps} time steps, more than the limit of ${SPEC_LIMITS.timeSteps}`);
  if (!Number.isInteger(f) || f < 1) throw new SnnError('usage', `frames: down-sampling factor must be a positive integer, got ${f}`);
  const crop = options.crop ?? { left: 0, top: 0, width: sensor.width, height: sensor.height };
  if (crop.left < 0 || crop.top < 0 || crop.width < 1 || crop.height < 1 || crop.left + crop.width > sensor.width || crop.top + crop.height > sensor.height) {
    throw new SnnError('usage', `frames: crop ${crop.width}×${crop.height} at (${crop.left}, ${crop.top}) does not fit the ${sensor.width}×${sensor.height} sensor`);
  }
  return [timeSteps, 2, Math.ceil(crop.height / f), Math.ceil(crop.width / f)];
}

/**
 * Bins events into frames, written as float32 into `out` at `offset` (the `[T, 2, H, W]` block
 * is cleared first). Events outside the window or the crop are dropped.
 */
export function writeFrames(events: EventArrays, sensor: SensorGeometry, options: FrameOptions, out: Float32Array, offset = 0): void {
  const [T, , H, W] = frameShape(sensor, options);
  const f = options.downsample ?? 1;
  const crop = options.crop ?? { left: 0, top: 0, width: sensor.width, height: sensor.height };
  const binary = (options.mode ?? 'count') === 'binary';
  const plane = H * W;
  out.fill(0, offset, offset + T * 2 * plane);
  const n = events.count;
  if (n === 0) return;
  const { x, y, t, p } = events;
  const flip = sensor.origin === 'lower-left';
  const top = crop.top, left = crop.left, bottom = crop.top + crop.height, right = crop.left + crop.width;

  let start: number, end: number, inclusiveEnd: boolean;
  if (options.window) {
    start = options.window.start; end = options.window.end; inclusiveEnd = false;
  } else {
    start = Infinity; end = -Infinity;
    for (let i = 0; i < n; i++) { const ti = t[i]; if (ti < start) start = ti; if (ti > end) end = ti; }
    inclusiveEnd = true;
  }
  const byCount = options.binning === 'count';
  let inWindow = n;
  if (byCount && options.window) {
    inWindow = 0;
    for (let i = 0; i < n; i++) if (t[i] >= start && t[i] < end) inWindow++;
  }
  const span = end - start;
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const ti = t[i];
    if (ti < start || ti > end || (ti === end && !inclusiveEnd)) continue;
    let bin: number;
    if (byCount) bin = Math.floor((seen++ * T) / inWindow);
    else bin = span > 0 ? Math.min(T - 1, Math.floor(((ti - start) * T) / span)) : 0;
    const row = flip ? sensor.height - 1 - y[i] : y[i];
    const col = x[i];
    if (row < top || row >= bottom || col < left || col >= right) continue;
    const r = f === 1 ? row - top : Math.floor((row - top) / f);
    const c = f === 1 ? col - left : Math.floor((col - left) / f);
    const at = offset + (bin * 2 + (p[i] & 1)) * plane + r * W + c;
    if (binary) out[at] = 1; else out[at] += 1;
  }
}

/** Convenience: frames of a whole stream as a new array. */
export function eventsToFrames(events: EventArrays, sensor: SensorGeometry, options: FrameOptions): Float32Array {
  const shape = frameShape(sensor, options);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  writeFrames(events, sensor, options, out, 0);
  return out;
}
