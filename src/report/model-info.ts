import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import type { Layer } from '../spec/types.ts';
import { validateSpec } from '../spec/validate.ts';
import { describeOutput } from '../spec/prediction.ts';
import type { ReportEpoch, ReportModelInfo } from './types.ts';

/** One readable line per layer, e.g. `conv1: conv2d 12 × 5×5 → [12, 24, 24]`. */
function describeLayer(layer: Layer, name: string, outShape: number[]): string {
  const what = layer.kind === 'dense' ? `dense ${layer.units}`
    : layer.kind === 'conv2d' ? `conv2d ${layer.channels} × ${layer.kernel}×${layer.kernel}${layer.stride && layer.stride !== 1 ? ` stride ${layer.stride}` : ''}${layer.padding ? ` pad ${layer.padding}` : ''}`
    : layer.kind === 'maxpool' || layer.kind === 'avgpool' ? `${layer.kind} ${layer.size}`
    : layer.kind === 'clif' ? `C-LIF α=${layer.alpha} β=${layer.beta} θ=${layer.theta ?? 1} reset ${layer.reset ?? 'subtract'}`
    : layer.kind === 'readout' ? `readout (CubaLI) α=${layer.alpha} β=${layer.beta}`
    : layer.kind;
  return `${name}: ${what} → [${outShape.join(', ')}]`;
}

/** The model section's facts from the checkpoint. */
export function modelInfo(checkpoint: Checkpoint, checkpointPath: string, onnxPath?: string): ReportModelInfo {
  const resolved = validateSpec(checkpoint.spec);
  const spec = resolved.spec;
  let parameterCount = 0;
  for (const t of checkpoint.params.values()) parameterCount += t.data.length;
  return {
    checkpointPath,
    onnxPath,
    name: spec.name,
    layers: resolved.layers.map((l) => describeLayer(l.layer, l.name, l.outShape)),
    timeSteps: spec.timeSteps,
    encoder: spec.encoder.kind,
    classNames: spec.classNames ?? Array.from({ length: resolved.classes }, (_, i) => String(i)),
    output: describeOutput(resolved),
    parameterCount,
    training: checkpoint.training,
  };
}

/** The checkpoint's history reduced to the figures the curves plot (extra fields are left out). */
export function trainingHistory(checkpoint: Checkpoint): ReportEpoch[] {
  return checkpoint.history.map((h) => ({
    epoch: h.epoch, trainLoss: h.trainLoss, trainAccuracy: h.trainAccuracy, testAccuracy: h.testAccuracy, validationAccuracy: h.validationAccuracy, seconds: h.seconds,
  }));
}
