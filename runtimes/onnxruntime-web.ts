import { onnxModelRuntime } from './onnx-runtime.ts';

/**
 * The exported ONNX model in onnxruntime-web's WebAssembly backend, run in Node: the same engine
 * a browser uses. Loaded lazily so that other commands do not pay for its start-up.
 */
export const onnxruntimeWebRuntime = onnxModelRuntime('ort-web', 'exported ONNX model in onnxruntime-web (WebAssembly), run in Node', async (model) => {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  return {
    session: await ort.InferenceSession.create(model, { executionProviders: ['wasm'] }),
    tensor: (data, dims) => new ort.Tensor('float32', data, dims),
  };
});
