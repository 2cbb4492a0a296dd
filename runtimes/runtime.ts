import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import type { ResetMode } from '../src/spec/types.ts';

/**
 * A batch in the layout of the exported ONNX model's `input`:
 * `[B, C, H, W]` images for `direct` encoding, `[T, B, C, H, W]` spikes for `rate` (already
 * encoded by the seeded encoder) and `[T, B, 2, H, W]` frames for `events`.
 */
export interface ModelInput {
  batchSize: number;
  shape: number[];
  data: Float32Array;
}

/** What every runtime returns for a batch. */
export interface RuntimeOutput {
  /** `[B, classes]`: the mean over t of the readout membrane. */
  logits: Float32Array;
  /** Per spiking layer (in network order, keyed by layer name): spike counts `[B, N]` over all steps. */
  spikeCounts: Map<string, Float32Array>;
}

/** Where a runtime gets the model from. */
export interface RuntimeContext {
  checkpoint: Checkpoint;
  /** Path of an exported ONNX model (ONNX runtimes). */
  onnxPath?: string;
  /** Hardware profile name (the hardware simulator). */
  target?: string;
  /** Reset the target runs spiking layers with when it lacks the trained one (`--reset-as`, as `export events`). */
  resetAs?: ResetMode;
}

export interface PreparedRuntime {
  run(input: ModelInput): Promise<RuntimeOutput>;
  dispose(): Promise<void>;
}

/**
 * A runtime that can execute a trained network for the parity report (`verify`). A new runtime
 * is one file in runtimes/ plus one line in runtimes/index.ts.
 */
export interface Runtime {
  name: string;
  description: string;
  prepare(context: RuntimeContext): Promise<PreparedRuntime>;
}
