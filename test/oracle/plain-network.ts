/**
 * The network's spatial layers in plain JavaScript, one sample at a time, activations in
 * PyTorch's C·H·W order, accumulated in float64: the independent side of the tfjs tests. The
 * neuron recurrence is left to each test (clifStep for forward parity, a smooth float64 spike for
 * finite differences), so that each test states the equations it checks.
 */
import type { Block } from '../../src/spec/validate.ts';
import { Random } from '../../src/util/random.ts';

/** z = post(W ⊛ x + b) for one sample, as float64 (no rounding). */
export function synapticInputJs(block: Block, params: Map<string, { data: ArrayLike<number> }>, x: ArrayLike<number>): Float64Array {
  const { layer, name, inShape, outShape } = block.weighted;
  const w = params.get(`${name}.weight`)!.data;
  const b = params.get(`${name}.bias`)?.data;
  let z: Float64Array;
  if (layer.kind === 'dense') {
    const n = inShape[0];
    z = new Float64Array(layer.units);
    for (let o = 0; o < layer.units; o++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += w[o * n + i] * x[i];
      z[o] = acc + (b ? b[o] : 0);
    }
  } else {
    const [cin, h, wd] = inShape;
    const [cout, oh, ow] = outShape;
    const k = layer.kernel, stride = layer.stride ?? 1, pad = layer.padding ?? 0;
    z = new Float64Array(cout * oh * ow);
    for (let o = 0; o < cout; o++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          let acc = 0;
          for (let c = 0; c < cin; c++) {
            for (let ki = 0; ki < k; ki++) {
              const y = i * stride + ki - pad;
              if (y < 0 || y >= h) continue;
              for (let kj = 0; kj < k; kj++) {
                const xx = j * stride + kj - pad;
                if (xx < 0 || xx >= wd) continue;
                acc += w[((o * cin + c) * k + ki) * k + kj] * x[(c * h + y) * wd + xx];
              }
            }
          }
          z[(o * oh + i) * ow + j] = acc + (b ? b[o] : 0);
        }
      }
    }
  }
  for (const r of block.post) {
    if (r.layer.kind !== 'avgpool' && r.layer.kind !== 'maxpool') continue; // flatten: C·H·W order already
    const [c, h, wd] = r.inShape;
    const [, ph, pw] = r.outShape;
    const k = r.layer.size;
    const pooled = new Float64Array(c * ph * pw);
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < ph; i++) {
        for (let j = 0; j < pw; j++) {
          let acc = r.layer.kind === 'maxpool' ? -Infinity : 0;
          for (let a = 0; a < k; a++) {
            for (let d = 0; d < k; d++) {
              const v = z[(ch * h + i * k + a) * wd + j * k + d];
              acc = r.layer.kind === 'maxpool' ? Math.max(acc, v) : acc + v;
            }
          }
          pooled[(ch * ph + i) * pw + j] = r.layer.kind === 'maxpool' ? acc : acc / (k * k);
        }
      }
    }
    z = pooled;
  }
  return z;
}

/** Uniform random values in [lo, hi) from a seeded generator. */
export function randomArray(n: number, seed: number, lo: number, hi: number): Float32Array {
  const rng = new Random(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(lo, hi);
  return out;
}

/** Event-like input: each value 0, 1 or 2 (ON/OFF counts per time bin), mostly 0. */
export function randomEvents(n: number, seed: number, density = 0.3): Float32Array {
  const rng = new Random(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    out[i] = r < density * 0.2 ? 2 : r < density ? 1 : 0;
  }
  return out;
}

/** The input of sample `b` at step `t`, as the layout of runtimes/runtime.ts stores it. */
export function sampleAt(data: Float32Array, encoderKind: 'direct' | 'rate' | 'events', batch: number, perSample: number, t: number, b: number): Float32Array {
  const offset = encoderKind === 'direct' ? b * perSample : (t * batch + b) * perSample;
  return data.subarray(offset, offset + perSample);
}
