import type { Checkpoint } from '../../src/checkpoint/checkpoint.ts';
import type { ResolvedSpec } from '../../src/spec/validate.ts';
import { clifParams } from '../../src/neuron/clif.ts';
import { describeOutput } from '../../src/spec/prediction.ts';

/**
 * The metadata properties of an exported model: what a user needs to feed it and to know where it
 * came from. All values are strings (ONNX `metadata_props`).
 */
export function modelMetadata(ck: Checkpoint, resolved: ResolvedSpec, sourceSha256: string, variant: 'unrolled' | 'loop'): Record<string, string> {
  const neurons = Object.fromEntries(resolved.blocks.map((b) => [b.neuron.name, { kind: b.neuron.layer.kind, ...clifParams(b.neuron.layer) }]));
  return {
    'snn_export.format_version': '1',
    'snn_export.time_steps': String(resolved.spec.timeSteps),
    'snn_export.encoder': JSON.stringify(resolved.spec.encoder),
    'snn_export.input_layout': resolved.spec.encoder.kind === 'direct' ? 'B,C,H,W' : 'T,B,C,H,W',
    'snn_export.neurons': JSON.stringify(neurons),
    // What `logits` holds: 'membrane' (mean readout membrane) or 'spikes' (output spike counts).
    'snn_export.output': resolved.output,
    'snn_export.logits': `${describeOutput(resolved)}; predicted class: the highest, ties to the lowest class index`,
    'snn_export.class_names': JSON.stringify(resolved.spec.classNames ?? Array.from({ length: resolved.classes }, (_, i) => String(i))),
    'snn_export.source_checkpoint_sha256': sourceSha256,
    'snn_export.spec': JSON.stringify(ck.spec),
    'snn_export.time_unrolling': variant,
  };
}
