import { SnnError } from '../errors.ts';
import { Random } from '../util/random.ts';
import type { EventStream } from './events/event-stream.ts';

/**
 * A DVS emulator for static images, modelled on how MNIST-DVS was recorded: the digit, shown
 * bright on a dark LCD, moves slowly in front of a 128×128 DVS. Each pixel compares the log of the
 * light it sees with the level at its last event and fires ON/OFF when the difference passes its
 * own threshold (thresholds vary from pixel to pixel: mismatch), is blind for a refractory period
 * after an event (changes during it are lost, as a real pixel resets to the current level when
 * it wakes), and may add background-activity noise.
 *
 * Choices (documented in docs/data.md): the image is resampled once to `digitSize` pixels
 * (area average when shrinking, bilinear when enlarging) and centred on the sensor; the motion is
 * a smooth Lissajous path with per-sample random phases, advanced in steps of `stepUs`, and the
 * image is shifted by sub-pixel amounts with bilinear weights that are the same for every pixel in
 * a step, so a step costs one multiply-add pass over the digit's bounding box. Event times are
 * interpolated linearly between steps at the exact threshold crossings, rounded to 1 µs.
 * Output addresses follow the jAER DVS128 convention (origin lower left), ready for AEDAT 2.0.
 */
export interface EmulatorOptions {
  /** Sensor side in pixels (square sensor). Default 128 (DVS128, as in MNIST-DVS). */
  sensorSize?: number;
  /** Side of the digit on the sensor in pixels. Default 28. */
  digitSize?: number;
  /** Recording length in µs. Default 1 000 000. */
  durationUs?: number;
  /** Simulation step in µs. Default 5 000. */
  stepUs?: number;
  /** Peak excursion of the path from the centre, in sensor pixels. Default 2. */
  amplitudePx?: number;
  /** Path frequencies in Hz (x, y). Default 1.3 and 0.9. */
  frequencyHz?: [number, number];
  /** Mean ON and OFF log-intensity thresholds. Default 0.3 each. */
  thresholdOn?: number;
  thresholdOff?: number;
  /** Relative standard deviation of the per-pixel thresholds. Default 0.05. */
  mismatch?: number;
  /** Refractory period in µs. Default 1 000. */
  refractoryUs?: number;
  /** Background-activity noise, events per pixel per second. Default 0 (off). */
  noiseHz?: number;
  /** Screen black level added before the log, in image units (the screen is never fully dark). Default 0.05. */
  blackLevel?: number;
}

/** Every option filled in, as recorded with emulated data. */
export type EmulatorSettings = Required<EmulatorOptions>;

export function emulatorSettings(options: EmulatorOptions = {}): EmulatorSettings {
  const s: EmulatorSettings = {
    sensorSize: 128, digitSize: 28, durationUs: 1_000_000, stepUs: 5_000, amplitudePx: 2,
    frequencyHz: [1.3, 0.9], thresholdOn: 0.3, thresholdOff: 0.3, mismatch: 0.05,
    refractoryUs: 1_000, noiseHz: 0, blackLevel: 0.05, ...options,
  };
  const positive = (name: string, v: number) => { if (!(v > 0) || !Number.isFinite(v)) throw new SnnError('usage', `emulator: ${name} must be positive, got ${v}`); };
  positive('sensorSize', s.sensorSize); positive('digitSize', s.digitSize); positive('durationUs', s.durationUs);
  positive('stepUs', s.stepUs); positive('thresholdOn', s.thresholdOn); positive('thresholdOff', s.thresholdOff); positive('blackLevel', s.blackLevel);
  if (!(s.mismatch >= 0 && s.mismatch < 1)) throw new SnnError('usage', `emulator: mismatch must be in [0, 1), got ${s.mismatch}`);
  if (!(s.refractoryUs >= 0) || !(s.noiseHz >= 0) || !(s.amplitudePx >= 0)) throw new SnnError('usage', 'emulator: refractoryUs, noiseHz and amplitudePx must be ≥ 0');
  if (s.sensorSize > 128) throw new SnnError('usage', `emulator: sensorSize ${s.sensorSize} exceeds the 128-pixel DVS128 address space of AEDAT 2.0`);
  if (s.digitSize + 2 * Math.ceil(s.amplitudePx) + 2 > s.sensorSize) throw new SnnError('usage', `emulator: a ${s.digitSize}-pixel digit moving ±${s.amplitudePx} pixels does not fit a ${s.sensorSize}-pixel sensor`);
  return s;
}

/** Standard normal by Box–Muller. */
function gaussian(rng: Random): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Resamples a `w×h` grey image (values 0…1) to `size×size`. */
function resample(src: Float32Array, w: number, h: number, size: number): Float32Array {
  const out = new Float32Array(size * size);
  if (size === w && size === h) { out.set(src); return out; }
  const sx = w / size, sy = h / size;
  if (sx >= 1 && sy >= 1) {
    // Shrinking: average the source area each target pixel covers (avoids aliasing thin strokes).
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const y0 = r * sy, y1 = y0 + sy, x0 = c * sx, x1 = x0 + sx;
        let sum = 0, area = 0;
        for (let yy = Math.floor(y0); yy < Math.ceil(y1); yy++) {
          const wy = Math.min(y1, yy + 1) - Math.max(y0, yy);
          for (let xx = Math.floor(x0); xx < Math.ceil(x1); xx++) {
            const wx = Math.min(x1, xx + 1) - Math.max(x0, xx);
            sum += wy * wx * src[yy * w + xx]; area += wy * wx;
          }
        }
        out[r * size + c] = sum / area;
      }
    }
    return out;
  }
  for (let r = 0; r < size; r++) {
    const fy = Math.min(h - 1, Math.max(0, (r + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(h - 1, y0 + 1), wy = fy - y0;
    for (let c = 0; c < size; c++) {
      const fx = Math.min(w - 1, Math.max(0, (c + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx), x1 = Math.min(w - 1, x0 + 1), wx = fx - x0;
      out[r * size + c] = (1 - wy) * ((1 - wx) * src[y0 * w + x0] + wx * src[y0 * w + x1]) + wy * ((1 - wx) * src[y1 * w + x0] + wx * src[y1 * w + x1]);
    }
  }
  return out;
}

/**
 * One emulated sensor: the per-pixel thresholds are drawn once (the mismatch of a physical chip),
 * and every recording made with it shares them.
 */
export class DvsEmulator {
  readonly settings: EmulatorSettings;
  private readonly onThreshold: Float32Array;
  private readonly offThreshold: Float32Array;

  constructor(options: EmulatorOptions = {}, sensorSeed = 1) {
    this.settings = emulatorSettings(options);
    const n = this.settings.sensorSize ** 2;
    const rng = new Random(sensorSeed);
    this.onThreshold = new Float32Array(n);
    this.offThreshold = new Float32Array(n);
    const { thresholdOn, thresholdOff, mismatch } = this.settings;
    // Thresholds are kept above 20 % of the mean: a near-zero threshold would fire on every step.
    for (let i = 0; i < n; i++) {
      this.onThreshold[i] = Math.max(0.2 * thresholdOn, thresholdOn * (1 + mismatch * gaussian(rng)));
      this.offThreshold[i] = Math.max(0.2 * thresholdOff, thresholdOff * (1 + mismatch * gaussian(rng)));
    }
  }

  /**
   * Records a grey image (`width×height` bytes, 0 = dark) moving in front of the sensor. `seed`
   * picks the path phases, the pixels' initial levels and the noise.
   */
  record(image: ArrayLike<number>, width: number, height: number, seed: number): EventStream {
    const s = this.settings;
    const S = s.sensorSize, D = s.digitSize;
    const src = new Float32Array(width * height);
    let max = 0;
    for (let i = 0; i < src.length; i++) { src[i] = image[i]; if (image[i] > max) max = image[i]; }
    const scale = max > 1 ? 1 / 255 : 1;
    for (let i = 0; i < src.length; i++) src[i] *= scale;
    const digit = resample(src, width, height, D);

    const rng = new Random(seed);
    const phaseX = rng.uniform(0, 2 * Math.PI), phaseY = rng.uniform(0, 2 * Math.PI);
    const A = s.amplitudePx;
    const pad = Math.ceil(A) + 1;
    // The box of sensor pixels the digit can touch; everything else stays dark and silent.
    const box = D + 2 * pad;
    const boxTop = Math.floor((S - box) / 2), boxLeft = boxTop;
    const m = box * box;

    const logBlack = Math.log(s.blackLevel);
    const level = new Float32Array(m);       // log intensity at the previous step
    const reference = new Float32Array(m);   // log intensity at the pixel's last reset
    const lastEvent = new Float64Array(m).fill(-Infinity);
    let intensity = new Float32Array(m);
    let previous = new Float32Array(m);
    const onT = new Float32Array(m), offT = new Float32Array(m);
    for (let r = 0; r < box; r++) {
      for (let c = 0; c < box; c++) {
        const si = (boxTop + r) * S + boxLeft + c;
        onT[r * box + c] = this.onThreshold[si]; offT[r * box + c] = this.offThreshold[si];
      }
    }

    // Renders the digit shifted by (dx, dy) sensor pixels into `intensity`.
    const render = (dx: number, dy: number): void => {
      intensity.fill(0);
      const ix = Math.floor(dx), iy = Math.floor(dy);
      const fx = dx - ix, fy = dy - iy;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const offR = pad + iy, offC = pad + ix;
      for (let r = 0; r < D; r++) {
        const row0 = (offR + r) * box + offC;
        const row1 = row0 + box;
        const srcRow = r * D;
        for (let c = 0; c < D; c++) {
          const v = digit[srcRow + c];
          if (v === 0) continue;
          intensity[row0 + c] += w00 * v; intensity[row0 + c + 1] += w01 * v;
          intensity[row1 + c] += w10 * v; intensity[row1 + c + 1] += w11 * v;
        }
      }
    };
    const position = (tUs: number): [number, number] => {
      const ts = tUs / 1e6;
      return [A * Math.sin(2 * Math.PI * s.frequencyHz[0] * ts + phaseX), A * Math.sin(2 * Math.PI * s.frequencyHz[1] * ts + phaseY)];
    };

    let [px, py] = position(0);
    render(px, py);
    for (let i = 0; i < m; i++) {
      const L = intensity[i] === 0 ? logBlack : Math.log(s.blackLevel + intensity[i]);
      level[i] = L;
      // A real pixel's last reset happened at some unknown earlier moment: start each one at a
      // random fraction of its threshold so that events do not all fire in lockstep.
      reference[i] = L + (rng.next() - 0.5) * onT[i];
    }

    let cap = 4096, n = 0;
    let ev = { r: new Uint16Array(cap), c: new Uint16Array(cap), t: new Float64Array(cap), p: new Uint8Array(cap) };
    const push = (r: number, c: number, t: number, p: number): void => {
      if (n === cap) {
        cap *= 2;
        const grown = { r: new Uint16Array(cap), c: new Uint16Array(cap), t: new Float64Array(cap), p: new Uint8Array(cap) };
        grown.r.set(ev.r); grown.c.set(ev.c); grown.t.set(ev.t); grown.p.set(ev.p);
        ev = grown;
      }
      ev.r[n] = r; ev.c[n] = c; ev.t[n] = t; ev.p[n] = p; n++;
    };

    const steps = Math.max(1, Math.round(s.durationUs / s.stepUs));
    const refractory = s.refractoryUs;
    for (let k = 1; k <= steps; k++) {
      const tNow = (k * s.durationUs) / steps, tPrev = ((k - 1) * s.durationUs) / steps, dt = tNow - tPrev;
      [px, py] = position(tNow);
      const swap = previous; previous = intensity; intensity = swap;
      render(px, py);
      for (let i = 0; i < m; i++) {
        const I = intensity[i];
        // Same light as last step: the level and the reference are unchanged, so nothing can fire.
        if (I === previous[i]) continue;
        const L = I === 0 ? logBlack : Math.log(s.blackLevel + I);
        const Lprev = level[i];
        level[i] = L;
        const ref = reference[i];
        const diff = L - ref;
        const on = diff > 0;
        const C = on ? onT[i] : offT[i];
        if ((on ? diff : -diff) < C) continue;
        const crossings = Math.floor((on ? diff : -diff) / C);
        const dir = on ? 1 : -1;
        const slope = L - Lprev;
        let last = lastEvent[i];
        for (let j = 1; j <= crossings; j++) {
          const target = ref + dir * j * C;
          // Time of the crossing within the step, assuming the log intensity changed linearly.
          let te = slope !== 0 ? tPrev + (dt * (target - Lprev)) / slope : tNow;
          if (!(te >= tPrev)) te = tPrev; else if (te > tNow) te = tNow;
          if (te - last < refractory) continue;
          last = te;
          push(Math.floor(i / box), i % box, Math.round(te), on ? 1 : 0);
        }
        lastEvent[i] = last;
        reference[i] = ref + dir * crossings * C;
      }
    }

    // Background activity: Poisson in time and uniform over the whole sensor.
    const noise = s.noiseHz * S * S * (s.durationUs / 1e6);
    let noiseCount = 0;
    if (noise > 0) {
      // Normal approximation to the Poisson count (noise totals are large when noise is on).
      noiseCount = Math.max(0, Math.round(noise + Math.sqrt(noise) * gaussian(rng)));
    }
    const total = n + noiseCount;
    const keys = new Float64Array(total);
    // Sort by time, ties by emission order: key = t · 2^24 + index (exact: t < 2^28 µs).
    if (total >= 1 << 24 || s.durationUs >= 2 ** 28) throw new SnnError('usage', 'emulator: recording too long or too many events for one sample');
    for (let i = 0; i < n; i++) keys[i] = ev.t[i] * 16777216 + i;
    const noiseR = new Uint16Array(noiseCount), noiseC = new Uint16Array(noiseCount), noiseP = new Uint8Array(noiseCount);
    for (let j = 0; j < noiseCount; j++) {
      const t = Math.floor(rng.next() * s.durationUs);
      noiseR[j] = Math.floor(rng.next() * S); noiseC[j] = Math.floor(rng.next() * S); noiseP[j] = rng.next() < 0.5 ? 1 : 0;
      keys[n + j] = t * 16777216 + n + j;
    }
    keys.sort();
    const out: EventStream = {
      path: '(emulated)', format: 'AEDAT 2.0', headerLines: [], bodyOffset: 0,
      width: S, height: S, origin: 'lower-left', sensor: 'DVS128', skipped: 0, count: total,
      x: new Uint16Array(total), y: new Uint16Array(total), t: new Float64Array(total), p: new Uint8Array(total),
    };
    for (let k = 0; k < total; k++) {
      const key = keys[k];
      const idx = key % 16777216;
      out.t[k] = (key - idx) / 16777216;
      let row: number, col: number, pol: number;
      if (idx < n) { row = boxTop + ev.r[idx]; col = boxLeft + ev.c[idx]; pol = ev.p[idx]; }
      else { const j = idx - n; row = noiseR[j]; col = noiseC[j]; pol = noiseP[j]; }
      // jAER addresses count rows from the bottom.
      out.x[k] = col; out.y[k] = S - 1 - row; out.p[k] = pol;
    }
    return out;
  }
}
