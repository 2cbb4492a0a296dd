import { onnxModelRuntime } from './onnx-runtime.ts';

/** The exported ONNX model in onnxruntime-node (CPU, one intra-op thread). */
export const onnxruntimeNodeRuntime = onnxModelRuntime('ort-node', 'exported ONNX model in onnxruntime-node (CPU)', 'onnxruntime-node');
