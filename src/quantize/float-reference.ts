/**
 * The float network of docs/neuron.md on one sample, written plainly from the spec (float64 sums
 * rounded to float32, `clifStep` for the neurons): the reference that quantized accuracy and spike
 * agreement are measured against. Inputs skip zeros, so spike inputs cost their spikes.
 */
import { clifParams, clifStep, zeroState } from '../neuron/clif.ts';
import type { ResolvedSpec } from '../spec/validate.ts';
import type { Tensor } from '../util/tensor.ts';
import { FloatSynapticInput } from './input-events.ts';

/** One sample's float outputs. */
export interface FloatResult {
  /** Mean over t of the readout membrane. */
  logits: Float32Array;
  /** Spike counts per spiking layer, in network order. */
  spikeCounts: Float32Array[];
}

export class FloatReference {
  private readonly inputs: FloatSynapticInput[];

  constructor(private readonly resolved: ResolvedSpec, params: Map<string, Tensor>) {
    this.inputs = resolved.blocks.map((b) => new FloatSynapticInput(b, params));
  }

  /**
   * Runs one sample. `stepInput(t)` gives what the first block sees at step t: the image at every
   * step for `direct`, the spikes or event counts of step t otherwise.
   */
  run(stepInput: (t: number) => Float32Array): FloatResult {
    const { blocks, spec } = this.resolved;
    const states = blocks.map((b, i) => zeroState(this.inputs[i].outSize));
    const params = blocks.map((b) => clifParams(b.neuron.layer));
    const spikes = blocks.map((b, i) => new Float32Array(this.inputs[i].outSize));
    const spikeCounts = blocks.slice(0, -1).map((b, i) => new Float32Array(this.inputs[i].outSize));
    const membrane = new Float32Array(this.resolved.classes);
    const logits = new Float64Array(this.resolved.classes);
    const staticInput = spec.encoder.kind === 'direct';
    let firstZ: Float32Array | undefined;
    for (let t = 0; t < spec.timeSteps; t++) {
      for (let l = 0; l < blocks.length; l++) {
        let z: Float32Array;
        if (l === 0) z = staticInput ? (firstZ ??= this.inputs[0].compute(stepInput(0))) : this.inputs[0].compute(stepInput(t));
        else z = this.inputs[l].compute(spikes[l - 1]);
        const last = l === blocks.length - 1;
        clifStep(z, states[l], params[l], last ? undefined : spikes[l], last ? membrane : undefined);
        if (last) for (let c = 0; c < membrane.length; c++) logits[c] += membrane[c];
        else for (let i = 0; i < spikes[l].length; i++) spikeCounts[l][i] += spikes[l][i];
      }
    }
    return { logits: Float32Array.from(logits, (v) => v / spec.timeSteps), spikeCounts };
  }
}
