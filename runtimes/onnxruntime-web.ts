import { onnxModelRuntime } from './onnx-runtime.ts';

/**
 * The exported ONNX model in onnxruntime-web's WebAssembly backend, run in Node: the same engine
 * a browser uses (one thread).
 */
export const onnxruntimeWebRuntime = onnxModelRuntime('ort-web', 'exported ONNX model in onnxruntime-web (WebAssembly), run in Node', 'onnxruntime-web');
