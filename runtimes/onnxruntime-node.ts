import * as ort from 'onnxruntime-node';
import { onnxModelRuntime } from './onnx-runtime.ts';

/** The exported ONNX model in onnxruntime-node (CPU, one intra-op thread). */
export const onnxruntimeNodeRuntime = onnxModelRuntime('ort-node', 'exported ONNX model in onnxruntime-node (CPU)', async (model) => ({
  session: await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 }),
  tensor: (data, dims) => new ort.Tensor('float32', data, dims),
}));
