import { validateSpec } from '../src/spec/validate.ts';
import { SnnError, malformed } from '../src/errors.ts';
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
      const model = readOnnxModel(onnxPath, validateSpec(checkpoint.spec));
      // The file passed our checks but may still be one onnxruntime refuses (an unknown operator, a
      // graph that does not type-check): that is a fact about the file, said in one line.
      const refused = (doing: string) => (err: unknown): never => {
        if (err instanceof SnnError) throw err;
        throw malformed(onnxPath, `${name} cannot ${doing} this model: ${String((err as Error)?.message ?? err).split('\n')[0].slice(0, 300)}`);
      };
      const { session, tensor } = await open(model).catch(refused('load'));
      return {
        async run(input) {
          const out = await session.run({ input: tensor(input.data, input.shape) }).catch(refused('run'));
          return splitOutputs(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array])));
        },
        dispose: () => session.release(),
      };
    },
  };
}
