/**
 * A plain-loop float32 forward pass written from the spec with `clifStep` (src/neuron/clif.ts),
 * one sample and one step at a time: the slow, obvious implementation the compiled graphs are
 * checked against.
 */
import type { ResolvedSpec } from '../../src/spec/validate.ts';
import { clifParams, clifStep, zeroState } from '../../src/neuron/clif.ts';
import type { Tensor } from '../../src/util/tensor.ts';

const f = Math.fround;

function dense(x: Float32Array, w: Tensor, b: Tensor | undefined): Float32Array {
  const [out, inp] = w.shape;
  const y = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    for (let i = 0; i < inp; i++) s += w.data[o * inp + i] * x[i];
    y[o] = s + (b ? b.data[o] : 0);
  }
  return y;
}

function conv(x: Float32Array, shape: number[], w: Tensor, b: Tensor | undefined, stride: number, pad: number): Float32Array {
  const [cin, h, wd] = shape;
  const [cout, , k] = w.shape;
  const ho = Math.floor((h + 2 * pad - k) / stride) + 1, wo = Math.floor((wd + 2 * pad - k) / stride) + 1;
  const y = new Float32Array(cout * ho * wo);
  for (let o = 0; o < cout; o++) for (let r = 0; r < ho; r++) for (let c = 0; c < wo; c++) {
    let s = 0;
    for (let i = 0; i < cin; i++) for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) {
      const yy = r * stride + p - pad, xx = c * stride + q - pad;
      if (yy < 0 || xx < 0 || yy >= h || xx >= wd) continue;
      s += w.data[((o * cin + i) * k + p) * k + q] * x[(i * h + yy) * wd + xx];
    }
    y[(o * ho + r) * wo + c] = s + (b ? b.data[o] : 0);
  }
  return y;
}

function pool(x: Float32Array, shape: number[], k: number, max: boolean): Float32Array {
  const [c, h, w] = shape;
  const ho = Math.floor(h / k), wo = Math.floor(w / k);
  const y = new Float32Array(c * ho * wo);
  for (let ch = 0; ch < c; ch++) for (let r = 0; r < ho; r++) for (let col = 0; col < wo; col++) {
    let acc = max ? -Infinity : 0;
    for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) {
      const v = x[(ch * h + r * k + p) * w + col * k + q];
      acc = max ? Math.max(acc, v) : acc + v;
    }
    y[(ch * ho + r) * wo + col] = max ? acc : f(acc / (k * k));
  }
  return y;
}

export interface ReferenceOutput {
  /** Mean readout membrane per sample `[B·K]`. */
  logits: Float32Array;
  /** Spike counts per spiking layer `[B·N]`. */
  spikeCounts: Map<string, Float32Array>;
}

/**
 * `input` in the model's layout: `[B, …]` for direct encoding, `[T, B, …]` otherwise.
 */
export function referenceForward(resolved: ResolvedSpec, params: Map<string, Tensor>, input: Float32Array, batch: number): ReferenceOutput {
  const T = resolved.spec.timeSteps;
  const per = resolved.spec.inputShape.reduce((a, b) => a * b, 1);
  const K = resolved.classes;
  const logits = new Float32Array(batch * K);
  const spikeCounts = new Map<string, Float32Array>();
  for (const b of resolved.blocks) if (b.neuron.layer.kind === 'clif') spikeCounts.set(b.neuron.name, new Float32Array(batch * b.outShape.reduce((a, c) => a * c, 1)));
  for (let s = 0; s < batch; s++) {
    const states = resolved.blocks.map((b) => zeroState(b.outShape.reduce((a, c) => a * c, 1)));
    const sum = new Float32Array(K);
    for (let t = 0; t < T; t++) {
      let x = resolved.spec.encoder.kind === 'direct' ? input.subarray(s * per, (s + 1) * per) : input.subarray((t * batch + s) * per, (t * batch + s + 1) * per);
      let shape = resolved.spec.inputShape;
      resolved.blocks.forEach((block, i) => {
        if (block.pre.length) shape = [shape.reduce((a, c) => a * c, 1)];
        const w = block.weighted;
        const W = params.get(`${w.name}.weight`)!, B = params.get(`${w.name}.bias`);
        let z = w.layer.kind === 'dense' ? dense(Float32Array.from(x), W, B) : conv(Float32Array.from(x), shape, W, B, w.layer.stride ?? 1, w.layer.padding ?? 0);
        shape = w.outShape;
        for (const p of block.post) {
          if (p.layer.kind === 'maxpool' || p.layer.kind === 'avgpool') z = pool(z, shape, p.layer.size, p.layer.kind === 'maxpool');
          shape = p.outShape;
        }
        const spikes = new Float32Array(z.length);
        const membrane = new Float32Array(z.length);
        clifStep(z, states[i], clifParams(block.neuron.layer), spikes, membrane);
        if (block.neuron.layer.kind === 'clif') {
          const counts = spikeCounts.get(block.neuron.name)!;
          for (let j = 0; j < spikes.length; j++) counts[s * spikes.length + j] += spikes[j];
          x = spikes;
        } else {
          for (let k = 0; k < K; k++) sum[k] += membrane[k];
        }
      });
    }
    for (let k = 0; k < K; k++) logits[s * K + k] = sum[k] / T;
  }
  return { logits, spikeCounts };
}
