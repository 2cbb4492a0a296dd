import { validateSpec } from '../src/spec/validate.ts';
import { SnnError } from '../src/errors.ts';
import type { Runtime } from './runtime.ts';
import { readOnnxModel } from './onnx-model-file.ts';
import { splitOutputs } from './onnx-outputs.ts';

/**
 * The exported ONNX model in onnxruntime-web's WebAssembly backend, run in Node: the same engine
 * a browser uses. Loaded lazily so that other commands do not pay for its start-up.
 */
export const onnxruntimeWebRuntime: Runtime = {
  name: 'ort-web',
  description: 'exported ONNX model in onnxruntime-web (WebAssembly), run in Node',
  async prepare({ checkpoint, onnxPath }) {
    if (!onnxPath) throw new SnnError('usage', 'runtime ort-web needs --onnx MODEL');
    const bytes = readOnnxModel(onnxPath, validateSpec(checkpoint.spec));
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    return {
      async run(input) {
        const out = await session.run({ input: new ort.Tensor('float32', input.data, input.shape) });
        return splitOutputs(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array])));
      },
      dispose: () => session.release(),
    };
  },
};
