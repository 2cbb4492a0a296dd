import { shapeSize, validateSpec } from '../src/spec/validate.ts';
import type { ResolvedSpec } from '../src/spec/validate.ts';
import { SnnError } from '../src/errors.ts';
import type { Runtime } from './runtime.ts';
import { readOnnxModel } from './onnx-model-file.ts';
import { splitOutputs } from './onnx-outputs.ts';
import { openHostedSession } from './onnx-host.ts';
import type { OrtPackage, SampleFootprint } from './onnx-host.ts';

/** Every layer output of every step as float32, per sample: what the unrolled graph computes. */
function sampleFootprint(resolved: ResolvedSpec): SampleFootprint {
  const { spec } = resolved;
  const perStep = resolved.layers.reduce((sum, l) => sum + shapeSize(l.outShape), 0);
  const inputValues = shapeSize(spec.inputShape) * (spec.encoder.kind === 'direct' ? 1 : spec.timeSteps);
  return { inputValues, activationBytes: 4 * spec.timeSteps * perStep };
}

/**
 * A runtime that runs the exported ONNX model (`--onnx`) in one onnxruntime package, in the
 * supervised host process of onnx-host.ts: a model that crashes onnxruntime, loops or allocates
 * without bound is refused in one line instead of taking the command down.
 */
export function onnxModelRuntime(name: string, description: string, runtime: OrtPackage): Runtime {
  return {
    name,
    description,
    async prepare({ checkpoint, onnxPath }) {
      if (!onnxPath) throw new SnnError('usage', `runtime ${name} needs --onnx MODEL`);
      const resolved = validateSpec(checkpoint.spec);
      const session = await openHostedSession(runtime, readOnnxModel(onnxPath, resolved), onnxPath, sampleFootprint(resolved));
      return {
        run: async (input) => splitOutputs(await session.run(input.data, input.shape)),
        dispose: () => session.release(),
      };
    },
  };
}
