/**
 * What the browser page needs, prepared in Node: the exported model, its raster variant (per-step
 * spikes and output membrane, for the "over time" view), encoded test inputs and the reference outputs
 * onnxruntime-node computes for them, so the page can check its own results against Node's.
 */
import * as ort from 'onnxruntime-node';
import type { Checkpoint } from '../../src/checkpoint/checkpoint.ts';
import type { Dataset } from '../../src/data/dataset.ts';
import { encodeBatch } from '../../src/data/encode.ts';
import { buildRasterGraph } from '../../src/compile/raster-graph.ts';
import { validateSpec } from '../../src/spec/validate.ts';
import type { OutputKind } from '../../src/spec/validate.ts';
import { describeOutput } from '../../src/spec/prediction.ts';
import { argmax } from '../../src/train/engine.ts';

/** Facts about the model the page needs to feed it and label its output (`/api/info.json`). */
export interface BrowserModelInfo {
  name: string;
  timeSteps: number;
  encoder: string;
  /** Per-sample input shape, e.g. `[1, 28, 28]`. */
  inputShape: number[];
  classNames: string[];
  /** What the logits are: the readout's mean membrane, or the spike counts of a spiking output layer. */
  output: OutputKind;
  /** The same in words, e.g. `spike counts of layer 'clif2' over 8 steps`. */
  outputDescription: string;
  /** Spiking layers of the raster model, in network order. */
  spikingLayers: { name: string; size: number }[];
  /** Number of test samples in `/api/test-inputs.bin`. */
  samples: number;
  /**
   * Shape of `/api/test-inputs.bin` (float32, little-endian): `[N, …]` for `direct` encoding,
   * `[T, N, …]` for encoded spikes or event frames (the exported model's `input` layout).
   */
  testInputShape: number[];
}

/** onnxruntime-node's outputs for the served test samples (`/api/reference.json`). */
export interface BrowserReference {
  runtime: 'onnxruntime-node';
  labels: number[];
  predictions: number[];
  /** `[N][classes]`. */
  logits: number[][];
}

/** Everything the server serves besides static files. */
export interface BrowserContent {
  info: BrowserModelInfo;
  model: Uint8Array;
  rasterModel: Uint8Array;
  testInputs: Float32Array;
  reference: BrowserReference;
}

/**
 * Builds the raster model from the checkpoint and runs the exported model (`model`, the ONNX
 * bytes) in onnxruntime-node on the first `samples` test samples.
 */
export async function prepareBrowserContent(checkpoint: Checkpoint, model: Uint8Array, test: Dataset, samples: number): Promise<BrowserContent> {
  const resolved = validateSpec(checkpoint.spec);
  const raster = buildRasterGraph({ resolved, params: checkpoint.params });
  const count = Math.min(samples, test.count);
  const batch = encodeBatch(resolved.spec, test, Array.from({ length: count }, (_, i) => i));
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  let logits: Float32Array;
  try {
    logits = (await session.run({ input: new ort.Tensor('float32', batch.data, batch.shape) })).logits.data as Float32Array;
  } finally {
    await session.release();
  }
  const K = resolved.classes;
  return {
    info: {
      name: resolved.spec.name, timeSteps: resolved.spec.timeSteps, encoder: resolved.spec.encoder.kind, inputShape: resolved.spec.inputShape,
      classNames: resolved.spec.classNames ?? Array.from({ length: K }, (_, i) => String(i)), spikingLayers: raster.spikingLayers,
      output: resolved.output, outputDescription: describeOutput(resolved),
      samples: count, testInputShape: batch.shape,
    },
    model,
    rasterModel: raster.model,
    testInputs: batch.data,
    reference: {
      runtime: 'onnxruntime-node',
      labels: Array.from(batch.labels),
      predictions: Array.from({ length: count }, (_, b) => argmax(logits, b * K, K)),
      logits: Array.from({ length: count }, (_, b) => Array.from(logits.subarray(b * K, (b + 1) * K))),
    },
  };
}
