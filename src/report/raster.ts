import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import type { Dataset } from '../data/dataset.ts';
import { encodeBatch } from '../data/encode.ts';
import { buildRasterGraph, rasterOutputName, READOUT_MEMBRANE_OUTPUT } from '../compile/raster-graph.ts';
import { OrtGraph, feed } from '../engine/ort-session.ts';
import { validateSpec } from '../spec/validate.ts';
import { argmax } from '../train/engine.ts';
import type { RasterSample } from './types.ts';

/**
 * Runs the raster graph (src/compile/raster-graph.ts) in onnxruntime-node on the test samples
 * `indices` and returns each sample's spikes per layer and step and its output layer's membrane over time.
 */
export async function recordRasters(checkpoint: Checkpoint, test: Dataset, indices: number[]): Promise<RasterSample[]> {
  if (indices.length === 0) return [];
  const resolved = validateSpec(checkpoint.spec);
  const raster = buildRasterGraph({ resolved, params: checkpoint.params });
  const batch = encodeBatch(resolved.spec, test, indices);
  const session = await OrtGraph.create(raster.model);
  let out: Record<string, Float32Array>;
  try {
    out = await session.run({ input: feed(batch.data, batch.shape) });
  } finally {
    await session.release();
  }
  const T = raster.timeSteps, B = indices.length, K = raster.classes;
  const membrane = out[READOUT_MEMBRANE_OUTPUT];
  return indices.map((index, b) => {
    const readoutMembrane = Array.from({ length: T }, (_, t) => Array.from(membrane.subarray((t * B + b) * K, (t * B + b + 1) * K)));
    // The class scores: the mean readout membrane, or the output layer's spike counts.
    const logits = new Float32Array(K);
    if (resolved.output === 'spikes') {
      const s = out[rasterOutputName(resolved.blocks[resolved.blocks.length - 1].neuron.name)];
      for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) logits[k] += s[(t * B + b) * K + k];
    } else {
      for (const row of readoutMembrane) row.forEach((u, k) => { logits[k] += u / T; });
    }
    const spikes = raster.spikingLayers.map(({ name, size }) => {
      const s = out[rasterOutputName(name)];
      const events: [number, number][] = [];
      for (let t = 0; t < T; t++) {
        const row = (t * B + b) * size;
        for (let i = 0; i < size; i++) if (s[row + i] !== 0) events.push([t, i]);
      }
      return { layer: name, neurons: size, events };
    });
    return { index, label: batch.labels[b], prediction: argmax(logits, 0, K), spikes, readoutMembrane };
  });
}
