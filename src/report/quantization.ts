import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { SnnError } from '../errors.ts';
import type { HardwareProfile } from '../quantize/profile.ts';
import { quantizeCheckpoint } from '../quantize/quantize.ts';
import type { FeasibilityOptions } from '../quantize/feasibility.ts';
import type { TargetQuantization } from './types.ts';

/**
 * The per-layer quantization error of the checkpoint for each target (src/quantize's report). A
 * target that refuses the network is kept with its reason, because "does not fit" is an answer a
 * reader of the report needs as much as an error figure.
 */
export function quantizationErrors(checkpoint: Checkpoint, targets: { name: string; profile?: HardwareProfile; error?: string }[], options: FeasibilityOptions = {}): TargetQuantization[] {
  return targets.map(({ name, profile, error }) => {
    if (!profile) return { target: name, hostLayers: [], layers: [], error: error ?? 'profile not found' };
    try {
      const q = quantizeCheckpoint(checkpoint, profile, options);
      return { target: name, hostLayers: q.network.hostLayers, layers: q.report };
    } catch (err) {
      if (!(err instanceof SnnError)) throw err;
      return { target: name, hostLayers: [], layers: [], error: err.message };
    }
  });
}
