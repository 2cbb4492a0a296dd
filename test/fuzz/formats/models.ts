/** Small networks the seed writers of several formats share (checkpoint, NIR, bundle, profile). */
import type { Checkpoint } from '../../../src/checkpoint/checkpoint.ts';
import { initParams } from '../../../src/spec/params.ts';
import type { NetworkSpec } from '../../../src/spec/types.ts';
import { validateSpec } from '../../../src/spec/validate.ts';

export const DENSE_SPEC: NetworkSpec = {
  version: 1, name: 'fuzz-dense', inputShape: [1, 6, 6], encoder: { kind: 'direct' }, timeSteps: 6,
  layers: [
    { kind: 'flatten' }, { kind: 'dense', units: 12 }, { kind: 'clif', alpha: 0.5, beta: 0.8, reset: 'zero' },
    { kind: 'dense', units: 4, bias: false }, { kind: 'readout', alpha: 0.5, beta: 0.8 },
  ],
};

export const CONV_SPEC: NetworkSpec = {
  version: 1, name: 'fuzz-conv', inputShape: [1, 8, 8], encoder: { kind: 'rate', seed: 3 }, timeSteps: 4, classNames: ['a', 'b', 'c'],
  layers: [
    { kind: 'conv2d', channels: 2, kernel: 3 }, { kind: 'avgpool', size: 2 }, { kind: 'clif', alpha: 0.6, beta: 0.9, reset: 'zero' },
    { kind: 'flatten' }, { kind: 'dense', units: 3 }, { kind: 'readout', alpha: 0.6, beta: 0.9 },
  ],
};

/** A checkpoint of `spec` with seeded weights (scaled up so that the neurons spike). */
export function checkpointOf(spec: NetworkSpec, seed: number): Checkpoint {
  return { spec, params: initParams(validateSpec(spec), seed, 3), history: [] };
}
