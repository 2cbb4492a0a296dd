import type { Runtime } from './runtime.ts';
import { hwsimRuntime } from './hwsim/index.ts';
import { tfjsReferenceRuntime } from './tfjs-reference.ts';
import { onnxruntimeNodeRuntime } from './onnxruntime-node.ts';
import { onnxruntimeWebRuntime } from './onnxruntime-web.ts';

/** Every runtime by name, for `verify --runtimes`. A new one is one file plus one line here. */
export const RUNTIMES: Record<string, Runtime> = {
  hwsim: hwsimRuntime,
  'ort-node': onnxruntimeNodeRuntime,
  'ort-web': onnxruntimeWebRuntime,
  tfjs: tfjsReferenceRuntime,
};
