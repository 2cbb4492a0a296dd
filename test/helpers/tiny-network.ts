import type { NetworkSpec } from '../../src/spec/types.ts';

/**
 * The small rate-encoded conv network the training tests run (a few seconds per epoch on 1 536
 * MNIST images), ending in the membrane readout or in a spiking output layer.
 */
export function tinyConvSpec(output: 'membrane' | 'spikes'): NetworkSpec {
  return {
    version: 1, name: output === 'membrane' ? 'tiny' : 'tiny-spikes', inputShape: [1, 28, 28], encoder: { kind: 'rate', seed: 3 }, timeSteps: 6,
    layers: [
      { kind: 'conv2d', channels: 4, kernel: 5, stride: 2 }, { kind: 'avgpool', size: 2 }, { kind: 'clif', alpha: 0.3, beta: 0.5 },
      { kind: 'flatten' }, { kind: 'dense', units: 32 }, { kind: 'clif', alpha: 0.3, beta: 0.5 },
      { kind: 'dense', units: 10 }, output === 'membrane' ? { kind: 'readout', alpha: 0.3, beta: 0.5 } : { kind: 'clif', alpha: 0.3, beta: 0.5 },
    ],
  };
}
