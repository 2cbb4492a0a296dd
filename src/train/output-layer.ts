/**
 * `train --output`: what the built-in architectures' class scores are. `membrane` keeps their
 * non-spiking readout (the mean of its membrane over time, the paper's decoder); `spikes` makes the
 * last layer a spiking C-LIF layer with the same constants as the hidden ones, whose spike counts
 * are the class scores (as snnTorch's tutorials and the chips report them).
 */
import type { NetworkSpec, ResetMode } from '../spec/types.ts';
import type { OutputKind } from '../spec/validate.ts';

export const OUTPUT_KINDS: readonly OutputKind[] = ['membrane', 'spikes'];

/** `spec` with its readout replaced by a spiking clif layer of the same decays (unchanged for 'membrane'). */
export function withOutput(spec: NetworkSpec, output: OutputKind, neuron: { theta: number; reset: ResetMode }): NetworkSpec {
  if (output === 'membrane') return spec;
  const layers = spec.layers.map((layer, i) => (i === spec.layers.length - 1 && layer.kind === 'readout'
    ? { kind: 'clif' as const, ...(layer.name ? { name: layer.name } : {}), alpha: layer.alpha, beta: layer.beta, theta: neuron.theta, reset: neuron.reset }
    : layer));
  return { ...spec, layers };
}
