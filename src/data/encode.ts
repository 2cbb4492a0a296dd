import type { NetworkSpec } from '../spec/types.ts';
import type { Dataset } from './dataset.ts';
import { Random, deriveSeed } from '../util/random.ts';
import { SnnError } from '../errors.ts';

/** A batch in the layout of the network's `input` (see runtimes/runtime.ts `ModelInput`). */
export interface EncodedBatch {
  batchSize: number;
  shape: number[];
  data: Float32Array;
  labels: Uint8Array;
}

/**
 * Builds the network input for the samples `indices` of `ds`:
 * `direct` → `[B, C, H, W]`; `rate` → `[T, B, C, H, W]` Bernoulli spikes with probability = pixel
 * value, seeded per (encoder seed, `stream`, sample index) so every runtime sees the same spikes;
 * `events` → `[T, B, 2, H, W]` frames.
 */
export function encodeBatch(spec: NetworkSpec, ds: Dataset, indices: ArrayLike<number>, stream = 0): EncodedBatch {
  const B = indices.length;
  const T = spec.timeSteps;
  const per = ds.sampleShape.reduce((a, b) => a * b, 1);
  const labels = new Uint8Array(B);
  for (let b = 0; b < B; b++) labels[b] = ds.labels[indices[b]];
  if (spec.encoder.kind === 'direct') {
    const data = new Float32Array(B * per);
    for (let b = 0; b < B; b++) ds.writeSample(indices[b], data, b * per);
    return { batchSize: B, shape: [B, ...ds.sampleShape], data, labels };
  }
  if (spec.encoder.kind === 'rate') {
    const sample = new Float32Array(per);
    const data = new Float32Array(T * B * per);
    const seed = spec.encoder.seed;
    for (let b = 0; b < B; b++) {
      ds.writeSample(indices[b], sample, 0);
      const rng = new Random(deriveSeed(seed, stream, indices[b]));
      for (let t = 0; t < T; t++) {
        const off = (t * B + b) * per;
        for (let i = 0; i < per; i++) data[off + i] = rng.next() < sample[i] ? 1 : 0;
      }
    }
    return { batchSize: B, shape: [T, B, ...ds.sampleShape], data, labels };
  }
  // Event frames: the data set gives [T, 2, H, W] per sample; the network wants [T, B, 2, H, W].
  const frame = per / T;
  const sample = new Float32Array(per);
  const data = new Float32Array(T * B * frame);
  for (let b = 0; b < B; b++) {
    ds.writeSample(indices[b], sample, 0);
    for (let t = 0; t < T; t++) data.set(sample.subarray(t * frame, (t + 1) * frame), (t * B + b) * frame);
  }
  return { batchSize: B, shape: [T, B, ...ds.sampleShape.slice(1)], data, labels };
}

/**
 * One-hot labels `[B, classes]`; with label smoothing ε the targets are 1 − ε + ε/K for the label
 * and ε/K elsewhere (the losses take any target distribution, src/compile/loss.ts).
 */
export function oneHot(labels: Uint8Array, classes: number, smoothing = 0): Float32Array {
  const out = new Float32Array(labels.length * classes).fill(smoothing / classes);
  labels.forEach((l, b) => { out[b * classes + l] = 1 - smoothing + smoothing / classes; });
  return out;
}

/** Checks a label-smoothing ε: a number in [0, 1). */
export function checkLabelSmoothing(smoothing: number, where: string): void {
  if (!(smoothing >= 0 && smoothing < 1)) throw new SnnError('usage', `${where}: label smoothing must be at least 0 and below 1, got ${smoothing}`);
}
