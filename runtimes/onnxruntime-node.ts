import * as ort from 'onnxruntime-node';
import { validateSpec } from '../src/spec/validate.ts';
import { SnnError } from '../src/errors.ts';
import type { Runtime } from './runtime.ts';
import { readOnnxModel } from './onnx-model-file.ts';
import { splitOutputs } from './onnx-outputs.ts';

/** The exported ONNX model in onnxruntime-node (CPU, one intra-op thread). */
export const onnxruntimeNodeRuntime: Runtime = {
  name: 'ort-node',
  description: 'exported ONNX model in onnxruntime-node (CPU)',
  async prepare({ checkpoint, onnxPath }) {
    if (!onnxPath) throw new SnnError('usage', 'runtime ort-node needs --onnx MODEL');
    const bytes = readOnnxModel(onnxPath, validateSpec(checkpoint.spec));
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return {
      async run(input) {
        const out = await session.run({ input: new ort.Tensor('float32', input.data, input.shape) });
        return splitOutputs(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array])));
      },
      dispose: () => session.release(),
    };
  },
};
