/**
 * A hardware profile as plain data: the integer arithmetic and the limits of one neuromorphic
 * target (docs/hardware.md). The JSON files and their schema live in hardware-profiles/; this module only
 * describes their shape, so that src/ never depends on where profiles come from.
 *
 * Every number is a `Sourced` value: it says where it comes from (docs/hardware.md) or that it is an assumption, and why.
 */

/** A number (or list of numbers) with its provenance: exactly one of `source` or `assumption`. */
export interface Sourced<T = number> {
  value: T;
  source?: string;
  assumption?: string;
}

/**
 * What happens when an integer state leaves its `bits`-wide register.
 * - `saturate`: clamp to the two's complement range [−2^(b−1), 2^(b−1)−1].
 * - `saturate-symmetric`: clamp to [−(2^(b−1)−1), 2^(b−1)−1] (Lava's voltage).
 * - `wrap`: two's complement modulo 2^b.
 * - `wrap-once`: Lava's current: one correction, x > 2^(b−1) → x − 2^b, else x ≤ −2^(b−1) → x + 2^b
 *   (so +2^(b−1) is kept and −2^(b−1) becomes +2^(b−1); docs/hardware.md, "Loihi 2").
 */
export type OverflowRule = 'saturate' | 'saturate-symmetric' | 'wrap' | 'wrap-once';

/** One integer state register of the neuron. */
export interface StateRegister {
  bits: Sourced;
  overflow: OverflowRule;
  source?: string;
  assumption?: string;
}

/**
 * How a target decays its states each step.
 * - `fraction`: x ← trunc(x·(2^bits − d) / 2^bits), d = round(2^bits·(1 − decay)) (Loihi, 12 bits).
 * - `shift`: x ← x − (x >> dash), i.e. retention 1 − 2^−dash, arithmetic (flooring) shift (Xylo).
 * - `none`: integrate-and-fire: no synaptic current state (alpha must be 0) and no leak (beta 1) (Speck).
 */
export type DecaySpec =
  | { kind: 'fraction'; bits: Sourced; currentMax: Sourced; membraneMax: Sourced; source?: string; assumption?: string }
  | { kind: 'shift'; max: Sourced; source?: string; assumption?: string }
  | { kind: 'none'; source?: string; assumption?: string };

/** Neuron models from the most general to the most restricted: C-LIF ⊃ LIF (alpha 0) ⊃ IAF (alpha 0, beta 1). */
export type NeuronModel = 'cuba' | 'lif' | 'iaf';

/** Optional limits; an absent limit is not checked. */
export interface ProfileLimits {
  /** Cores (or DYNAP-CNN layers, or processing elements) available. */
  cores?: Sourced;
  neuronsPerCore?: Sourced;
  /** Neurons on the whole chip (sum over the layers placed on it). */
  neurons?: Sourced;
  /** Synapses (stored weights after weight sharing is expanded) on the whole chip. */
  synapses?: Sourced;
  /** Largest number of inputs one neuron may have (dense: inputs; conv: in-channels × k × k). */
  fanIn?: Sourced;
  /** Largest number of neurons one chip neuron may project to (excludes the chip's input channels). */
  fanOut?: Sourced;
  /** Input channels of the chip (the addresses the input events may use). */
  inputChannels?: Sourced;
  /** Spiking (hidden) neurons on the chip. */
  hiddenNeurons?: Sourced;
  /** Readout (output) neurons. */
  outputNeurons?: Sourced;
  /** Largest integer payload of one input event (events per channel per step). */
  inputPayload?: Sourced;
  /** Largest channel count of a conv layer, in or out. */
  channels?: Sourced;
  /** Largest conv kernel side. */
  kernel?: Sourced;
  /** Allowed conv strides. */
  strides?: Sourced<number[]>;
  /** Largest conv padding. */
  padding?: Sourced;
  /** Largest input feature map side of a conv layer. */
  inputMap?: Sourced;
  /** Largest output feature map side of a conv layer. */
  outputMap?: Sourced;
  /** DYNAP-CNN per-core memories (entries), one number per core: see `coreMemoryModel`. */
  kernelMemory?: Sourced<number[]>;
  neuronMemory?: Sourced<number[]>;
  /** How a layer's memory needs are computed against kernelMemory/neuronMemory. */
  coreMemoryModel?: 'dynapcnn';
  /** One layer per core (DYNAP-CNN) instead of splitting layers over neuronsPerCore-sized cores. */
  oneLayerPerCore?: boolean;
}

/** A target's integer arithmetic and limits, as read from hardware-profiles/<name>.json. */
export interface HardwareProfile {
  name: string;
  title: string;
  description: string;
  weights: {
    min: Sourced;
    max: Sourced;
    /** Representable weights are multiples of `step` (2 on Loihi with mixed signs). */
    step: Sourced;
    scaling: 'per-tensor' | 'per-channel';
    scalingSource?: string;
    scalingAssumption?: string;
    /** Shared per-layer exponent: the weighted sum is shifted left by e (right, flooring, if e < 0). */
    exponent: { min: Sourced; max: Sourced };
  };
  synapse: {
    /** The shifted sum is shifted left by this before it reaches the current (Loihi: a_in << 6). */
    inputShift: Sourced;
    /** `int32`: sums wrap as 32-bit integers before the overflow rule (Lava's numpy); `exact`: they do not. */
    intermediate: 'int32' | 'exact';
    intermediateSource?: string;
    intermediateAssumption?: string;
    /** Time steps each weighted layer adds on the chip (Lava's Dense: 1). The simulator runs in logical time. */
    delaySteps: Sourced;
  };
  /**
   * The bias is an integer in state units added to the synaptic input every step. `supported`
   * false: the target's bias is not the C-LIF's (Loihi adds it to the membrane), so a chip layer
   * with a nonzero bias is refused.
   */
  bias: { bits: Sourced; supported?: Sourced<boolean> };
  state: { current: StateRegister; membrane: StateRegister };
  decay: DecaySpec;
  threshold: {
    max: Sourced;
    /** Spike when membrane > threshold << shift (Loihi: 6). */
    shift: Sourced;
    /**
     * The readout runs as a spiking neuron with this threshold (a Lava LIF: it resets to zero when
     * membrane > readout << shift); absent: the readout never fires.
     */
    readout?: Sourced;
  };
  reset: { modes: ('zero' | 'subtract')[]; source?: string; assumption?: string };
  neuronModels: { models: NeuronModel[]; source?: string; assumption?: string };
  layerKinds: { kinds: ('dense' | 'conv2d' | 'maxpool' | 'avgpool' | 'flatten')[]; source?: string; assumption?: string };
  limits: ProfileLimits;
  quantization: {
    /** State registers keep this many thresholds (readout: float units) of headroom; sets the weight exponent. */
    stateHeadroom: Sourced;
  };
}

/** The number of a `Sourced` field. */
export const val = <T>(s: Sourced<T>): T => s.value;

/** Largest and smallest value of a `bits`-wide signed register. */
export function registerRange(bits: number): { min: number; max: number } {
  return { min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 };
}

/** Effective weight resolution in bits: log2 of the number of representable weights. */
export function weightBits(p: HardwareProfile): number {
  return Math.log2((val(p.weights.max) - val(p.weights.min)) / val(p.weights.step) + 1);
}
