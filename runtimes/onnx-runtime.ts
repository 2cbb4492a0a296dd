import { validateSpec } from '../src/spec/validate.ts';
import { SnnError } from '../src/errors.ts';
import type { Runtime } from './runtime.ts';
import { readOnnxModel } from './onnx-model-file.ts';
import { splitOutputs } from './onnx-outputs.ts';

/** The part of an onnxruntime session (node or web) that running an exported model needs. */
export interface OnnxSession<T> {
  run(feeds: { input: T }): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

/**
 * A runtime that runs the exported ONNX model (`--onnx`) in one onnxruntime package. `open` makes
 * a session from the model bytes and a float tensor from a batch; the rest is shared.
 */
export function onnxModelRuntime<T>(name: string, description: string, open: (model: Uint8Array) => Promise<{ session: OnnxSession<T>; tensor: (data: Float32Array, dims: number[]) => T }>): Runtime {
  return {
    name,
    description,
    async prepare({ checkpoint, onnxPath }) {
      if (!onnxPath) throw new SnnError('usage', `runtime ${name} needs --onnx MODEL`);
      const { session, tensor } = await open(readOnnxModel(onnxPath, validateSpec(checkpoint.spec)));
      return {
        async run(input) {
          const out = await session.run({ input: tensor(input.data, input.shape) });
          return splitOutputs(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array])));
        },
        dispose: () => session.release(),
      };
    },
  };
}
