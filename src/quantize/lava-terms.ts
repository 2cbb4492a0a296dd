/**
 * A quantized network in Lava's own terms: the parameters of Lava's LIF and Dense processes
 * (`PyLifModelBitAcc`, `PyDenseModelBitAcc`) that run a chip layer bit for bit, and the Lava time
 * steps at which to read it. Used by the bundle (so that a Lava user needs nothing else) and by
 * `export lava` (lava-dl netx HDF5).
 *
 * Lava counts time steps from 1, and its step k sends the input events of logical step k − 1
 * (a `RingBuffer` source sends column k − 1). Chip step c (src/quantize/chip-time.ts) is Lava step c + 1.
 */
import { readWindow } from './chip-time.ts';
import type { HardwareProfile } from './profile.ts';
import { val } from './profile.ts';
import type { QuantizedLayer, QuantizedNetwork } from './quantize.ts';

/** One chip layer as a Lava Dense (or Conv) process feeding a Lava LIF process. */
export interface LavaLayerTerms {
  /** LIF `du`: lava-dl's iDecay − 1 (Lava adds Loihi's ds_offset of 1 back). −1 means no current decay. */
  du: number;
  /** LIF `dv`, unchanged. */
  dv: number;
  /** LIF `vth` per output channel (spike when v > vth << 6); for a readout, the threshold it never reaches in practice. */
  vth: number[];
  /** LIF `bias_mant` and `bias_exp`: always 0 (a target with Lava's arithmetic refuses chip-layer biases). */
  biasMant: number;
  biasExp: number;
  /** Dense `weight_exp`. */
  weightExp: number;
  /** Lava time steps (1-based, inclusive) at which the layer computes the sample's logical steps 0 … T − 1. */
  firstReadStep: number;
  lastReadStep: number;
}

/**
 * Why a profile's arithmetic is not Lava's bit-accurate CUBA LIF and Dense, or null when it is.
 * Lava fixes these; a profile that differs in any of them computes something Lava does not.
 */
export function lavaMismatch(p: HardwareProfile): string | null {
  const d = p.decay;
  const checks: [boolean, string][] = [
    [d.kind === 'fraction' && val(d.bits) === 12 && val(d.currentMax) === 4096 && val(d.membraneMax) === 4095, 'decays are not 12-bit fractions with du + 1 reaching 4096 (decay)'],
    [val(p.synapse.inputShift) === 6 && p.synapse.intermediate === 'int32', "the synaptic input is not int32 shifted left by 6 (synapse)"],
    [val(p.synapse.delaySteps) === 1, 'Dense does not delay by one step (synapse.delaySteps)'],
    [val(p.state.current.bits) === 24 && p.state.current.overflow === 'wrap-once', 'the current is not 24-bit wrap-once (state.current)'],
    [val(p.state.membrane.bits) === 24 && p.state.membrane.overflow === 'saturate-symmetric', 'the membrane is not 24-bit saturate-symmetric (state.membrane)'],
    [val(p.threshold.shift) === 6 && val(p.threshold.max) <= 131071, 'the threshold is not 17-bit compared at << 6 (threshold)'],
    [p.threshold.readout !== undefined && val(p.threshold.readout) <= 131071, 'the readout does not run as a LIF with a 17-bit threshold (threshold.readout)'],
    [p.reset.modes.length === 1 && p.reset.modes[0] === 'zero', 'resets other than to zero (reset.modes)'],
    [p.bias.supported?.value === false, 'chip-layer biases are allowed on the current (bias.supported)'],
    [val(p.weights.min) >= -256 && val(p.weights.max) <= 254 && val(p.weights.step) % 2 === 0 && p.weights.scaling === 'per-tensor', 'weights are not even 8-bit mantissas with one scale per layer (weights)'],
    [val(p.weights.exponent.min) === 0 && val(p.weights.exponent.max) === 0, "the weight exponent is not 0, the only one lava-dl's netx stores (weights.exponent)"],
  ];
  const failed = checks.find(([ok]) => !ok);
  return failed ? failed[1] : null;
}

/** A layer's Lava parameters and read window; the network's profile must pass `lavaMismatch`. */
export function lavaLayerTerms(net: QuantizedNetwork, layer: QuantizedLayer): LavaLayerTerms {
  const window = readWindow(net, layer);
  return {
    du: layer.currentDecay - 1,
    dv: layer.membraneDecay,
    vth: Array.from(layer.threshold),
    biasMant: 0,
    biasExp: 0,
    weightExp: layer.weightExponent,
    firstReadStep: window.first + 1,
    lastReadStep: window.last + 1,
  };
}
