/**
 * Quantization of a trained network for one hardware profile: integer weights with a per-tensor or
 * per-channel scale and a shared exponent, biases and thresholds in state units, decays in the
 * target's representation, and the per-layer error that this costs.
 *
 * Units: a weight w (float) becomes the integer round(w·κ_c) for output channel c. The weighted sum
 * of a step is shifted by the layer exponent e and by the profile's input shift s, so the current
 * and membrane hold S_c = κ_c·2^(e+s)·P state units per float unit, P being the window area of a
 * sum-pool (1 otherwise). Thresholds are round(θ·S_c / 2^thresholdShift); the readout is
 * de-quantized by dividing by S_c.
 */
import { SnnError } from '../errors.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { checkParams } from '../spec/params.ts';
import type { Encoder, ResetMode } from '../spec/types.ts';
import type { Block, OutputKind, ResolvedSpec } from '../spec/validate.ts';
import { describe, shapeSize, validateSpec } from '../spec/validate.ts';
import type { Tensor } from '../util/tensor.ts';
import type { FeasibilityOptions, LayerPlacement, Placement } from './feasibility.ts';
import { checkFeasibility } from './feasibility.ts';
import { roundHalfAway } from './integer.ts';
import type { HardwareProfile } from './profile.ts';
import { registerRange, val } from './profile.ts';

/** One chip layer in the target's integer terms. */
export interface QuantizedLayer {
  /** Name of the neuron layer (keys spike counts). */
  name: string;
  /** Name of the weighted layer (`<weightedName>.weight` in the checkpoint). */
  weightedName: string;
  kind: 'dense' | 'conv2d';
  /** Input shape (spikes from the layer below, or the chip's input), per step. */
  inShape: number[];
  /** Output shape of the weighted layer, before pooling. */
  mapShape: number[];
  /** Shape of the neuron layer. */
  outShape: number[];
  /** Convolution geometry; 1/1/0 for dense. */
  kernel: number;
  stride: number;
  padding: number;
  /** Pooling of the synaptic input before the neuron: `max`, or `sum` for an average pool (its 1/k² is in the scale). */
  pool: { kind: 'max' | 'sum'; size: number } | null;
  /** Integer weights, layout as the float weights: dense [out, in], conv [out, in, k, k]. */
  weights: Int32Array;
  weightShape: number[];
  /** Shared weight exponent e: the weighted sum is shifted left by e (right, flooring, if negative). */
  weightExponent: number;
  /** Bias per output channel in state units (before pooling), or null. */
  bias: Int32Array | null;
  /** The non-spiking readout (the last layer of a `membrane` network). */
  readout: boolean;
  /** Current and membrane decay in the profile's representation (fraction: d of 2^bits; shift: dash; none: 0). */
  currentDecay: number;
  membraneDecay: number;
  /**
   * Threshold per output channel (compared as membrane > threshold << thresholdShift). For the
   * readout: empty (it never fires), or the profile's `threshold.readout` when the target runs the
   * readout as a neuron that fires and resets above it (Loihi).
   */
  threshold: Int32Array;
  reset: ResetMode;
  /** State units per float unit, per output channel. */
  scale: Float64Array;
  /** Output channels (dense: units; conv: channels); neuron i belongs to channel ⌊i / (N / channels)⌋. */
  channels: number;
  placement: LayerPlacement;
}

/** A network in a target's integer terms, ready for the simulator and the bundle. */
export interface QuantizedNetwork {
  profile: HardwareProfile;
  name: string;
  timeSteps: number;
  encoder: Encoder['kind'];
  classes: number;
  /**
   * What the class scores are: `membrane`, the last layer is the readout (scores: its summed
   * membrane); `spikes`, the last layer spikes (scores: its spike counts, ties to the lowest class).
   */
  output: OutputKind;
  /** Neuron layers that run in float on the host (the `direct` encoder), by name. */
  hostLayers: string[];
  /** Shape of the chip's input events' address space. */
  inputShape: number[];
  layers: QuantizedLayer[];
  coresUsed: number;
}

/** How far one layer's integers are from its float parameters. */
export interface LayerQuantizationReport {
  name: string;
  weightBits: number;
  weightExponent: number;
  /** ‖W − Ŵ‖ / ‖W‖ with Ŵ the de-quantized weights. */
  weightRelativeError: number;
  /** max |W − Ŵ| / max |W|. */
  weightMaxError: number;
  /** Weights clipped to the integer range (only when a scale is capped by the state headroom). */
  clippedWeights: number;
  biasMaxError: number;
  /** max over channels of |θ̂ − θ| / θ (0 for the readout). */
  thresholdRelativeError: number;
  alpha: number;
  alphaEffective: number;
  beta: number;
  betaEffective: number;
  /** Range of the state scale S_c over channels (state units per float unit). */
  scaleMin: number;
  scaleMax: number;
  reset: ResetMode;
}

export interface QuantizationResult {
  network: QuantizedNetwork;
  report: LayerQuantizationReport[];
  placement: Placement;
}

/** Effective decay factor (retention per step, ignoring truncation) of a decay code. */
export function effectiveDecay(profile: HardwareProfile, code: number, which: 'current' | 'membrane'): number {
  const d = profile.decay;
  if (d.kind === 'fraction') return (2 ** val(d.bits) - code) / 2 ** val(d.bits);
  if (d.kind === 'shift') return 1 - 2 ** -code;
  return which === 'current' ? 0 : 1;
}

/** The decay code nearest to a float retention factor (alpha or beta). */
export function decayCode(profile: HardwareProfile, retention: number, which: 'current' | 'membrane'): number {
  const d = profile.decay;
  if (d.kind === 'fraction') {
    const one = 2 ** val(d.bits);
    const max = val(which === 'current' ? d.currentMax : d.membraneMax);
    return Math.min(max, Math.max(0, Math.round(one * (1 - retention))));
  }
  if (d.kind === 'shift') {
    const max = val(d.max);
    if (retention >= 1) return max;
    return Math.min(max, Math.max(0, Math.round(Math.log2(1 / (1 - retention)))));
  }
  return 0;
}

function param(params: Map<string, Tensor>, key: string): Tensor | undefined {
  return params.get(key);
}

/** Quantizes one chip block. */
function quantizeBlock(block: Block, params: Map<string, Tensor>, profile: HardwareProfile, reset: ResetMode, placement: LayerPlacement): { layer: QuantizedLayer; report: LayerQuantizationReport } {
  const w = block.weighted;
  const W = param(params, `${w.name}.weight`)!;
  const B = param(params, `${w.name}.bias`);
  const channels = W.shape[0];
  const perChannel = W.data.length / channels;
  const neuron = block.neuron.layer;
  const readout = neuron.kind === 'readout';
  const theta = neuron.kind === 'clif' ? neuron.theta ?? 1 : 1;

  const poolLayer = block.post.find((r) => r.layer.kind === 'maxpool' || r.layer.kind === 'avgpool');
  const pool = poolLayer ? { kind: poolLayer.layer.kind === 'maxpool' ? 'max' as const : 'sum' as const, size: (poolLayer.layer as { size: number }).size } : null;
  const poolFactor = pool?.kind === 'sum' ? pool.size * pool.size : 1;

  const step = val(profile.weights.step);
  const wMin = val(profile.weights.min), wMax = val(profile.weights.max);
  // Symmetric integer range, on the step grid, so that +w and −w quantize alike.
  const wq = Math.floor(Math.min(-wMin, wMax) / step) * step;

  const maxAbs = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) m = Math.max(m, Math.abs(W.data[i]));
    maxAbs[c] = m;
  }
  const tensorMax = maxAbs.reduce((a, b) => Math.max(a, b), 0);
  const kappa = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = profile.weights.scaling === 'per-channel' ? maxAbs[c] : tensorMax;
    kappa[c] = m > 0 ? wq / m : tensorMax > 0 ? wq / tensorMax : 1;
  }

  // The state budget per float unit of threshold: headroom for large currents, and the threshold register.
  const stateMax = Math.min(registerRange(val(profile.state.current.bits)).max, registerRange(val(profile.state.membrane.bits)).max);
  const inputShift = val(profile.synapse.inputShift);
  const thresholdShift = val(profile.threshold.shift);
  let budget = stateMax / val(profile.quantization.stateHeadroom);
  if (!readout) budget = Math.min(budget, val(profile.threshold.max) * 2 ** thresholdShift);
  const eMin = val(profile.weights.exponent.min), eMax = val(profile.weights.exponent.max);
  const kappaMax = kappa.reduce((a, b) => Math.max(a, b), 0);
  const unitsAt = (e: number, k: number) => theta * k * 2 ** (e + inputShift) * poolFactor;
  // The largest exponent that keeps every channel within the budget gives the finest state resolution.
  let exponent = eMin;
  for (let e = eMax; e >= eMin; e--) {
    if (unitsAt(e, kappaMax) <= budget) { exponent = e; break; }
  }
  for (let c = 0; c < channels; c++) {
    if (unitsAt(exponent, kappa[c]) > budget) kappa[c] = budget / unitsAt(exponent, 1);
  }

  const weights = new Int32Array(W.data.length);
  let errSq = 0, normSq = 0, maxErr = 0, clipped = 0;
  for (let c = 0; c < channels; c++) {
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) {
      let q = step * roundHalfAway((W.data[i] * kappa[c]) / step);
      if (q > wMax || q < wMin) { clipped++; q = Math.min(wMax, Math.max(wMin, q)); }
      weights[i] = q;
      const err = W.data[i] - q / kappa[c];
      errSq += err * err; normSq += W.data[i] * W.data[i];
      maxErr = Math.max(maxErr, Math.abs(err));
    }
  }

  const preScale = (c: number) => kappa[c] * 2 ** (exponent + inputShift);
  let bias: Int32Array | null = null;
  let biasMaxError = 0;
  if (B && profile.bias.supported?.value === false) refuseBias(block, B, profile);
  if (B) {
    const { min, max } = registerRange(val(profile.bias.bits));
    bias = new Int32Array(channels);
    for (let c = 0; c < channels; c++) {
      bias[c] = Math.min(max, Math.max(min, roundHalfAway(B.data[c] * preScale(c))));
      biasMaxError = Math.max(biasMaxError, Math.abs(B.data[c] - bias[c] / preScale(c)));
    }
  }

  const scale = new Float64Array(channels);
  const readoutThreshold = profile.threshold.readout ? val(profile.threshold.readout) : undefined;
  const threshold = new Int32Array(readout && readoutThreshold === undefined ? 0 : channels);
  if (readout && readoutThreshold !== undefined) threshold.fill(readoutThreshold);
  let thresholdError = 0;
  for (let c = 0; c < channels; c++) {
    scale[c] = preScale(c) * poolFactor;
    if (!readout) {
      threshold[c] = Math.min(val(profile.threshold.max), Math.max(0, Math.round((theta * scale[c]) / 2 ** thresholdShift)));
      thresholdError = Math.max(thresholdError, Math.abs((threshold[c] * 2 ** thresholdShift) / scale[c] - theta) / theta);
    }
  }

  const currentDecay = decayCode(profile, neuron.alpha, 'current');
  const membraneDecay = decayCode(profile, neuron.beta, 'membrane');
  const conv = w.layer.kind === 'conv2d' ? w.layer : undefined;
  const layer: QuantizedLayer = {
    name: block.neuron.name,
    weightedName: w.name,
    kind: w.layer.kind,
    inShape: block.inShape,
    mapShape: w.outShape,
    outShape: block.outShape,
    kernel: conv?.kernel ?? 1,
    stride: conv?.stride ?? 1,
    padding: conv?.padding ?? 0,
    pool,
    weights,
    weightShape: W.shape,
    weightExponent: exponent,
    bias,
    readout,
    currentDecay,
    membraneDecay,
    threshold,
    reset,
    scale,
    channels,
    placement,
  };
  const scales = [...scale];
  const report: LayerQuantizationReport = {
    name: block.neuron.name,
    weightBits: Math.log2((wMax - wMin) / step + 1),
    weightExponent: exponent,
    weightRelativeError: normSq > 0 ? Math.sqrt(errSq / normSq) : 0,
    weightMaxError: tensorMax > 0 ? maxErr / tensorMax : 0,
    clippedWeights: clipped,
    biasMaxError,
    thresholdRelativeError: thresholdError,
    alpha: neuron.alpha,
    alphaEffective: effectiveDecay(profile, currentDecay, 'current'),
    beta: neuron.beta,
    betaEffective: effectiveDecay(profile, membraneDecay, 'membrane'),
    scaleMin: Math.min(...scales),
    scaleMax: Math.max(...scales),
    reset,
  };
  return { layer, report };
}

/**
 * Refuses a chip layer with a nonzero bias on a target whose bias is not the C-LIF's (an all-zero
 * bias is no bias): the network would not run as it was trained.
 */
function refuseBias(block: Block, B: Tensor, profile: HardwareProfile): void {
  let largest = 0;
  for (let i = 0; i < B.data.length; i++) largest = Math.max(largest, Math.abs(B.data[i]));
  if (largest === 0) return;
  throw new SnnError('doesNotFit', `the network does not fit ${profile.name}: ${describe(block.weighted)} has a bias (largest |b| ${largest.toPrecision(3)}), and ${profile.name} adds its bias to the membrane, not to the current as the trained C-LIF does (bias.supported); train it without biases on its chip layers: snn-export train --target ${profile.name}, or "bias": false on the layer in a --spec`);
}

/**
 * Checks that the network fits the profile (`doesNotFit` otherwise) and quantizes its chip layers.
 * The host layers (the `direct` encoder) stay in float and are named in `hostLayers`.
 */
export function quantizeNetwork(resolved: ResolvedSpec, params: Map<string, Tensor>, profile: HardwareProfile, options: FeasibilityOptions = {}): QuantizationResult {
  checkParams(resolved, params, `network '${resolved.spec.name}'`);
  const placement = checkFeasibility(resolved, profile, options);
  const layers: QuantizedLayer[] = [];
  const report: LayerQuantizationReport[] = [];
  placement.chipBlocks.forEach((block, i) => {
    const q = quantizeBlock(block, params, profile, placement.resets[i], placement.layers[i]);
    layers.push(q.layer);
    report.push(q.report);
  });
  const spec = resolved.spec;
  return {
    network: {
      profile,
      name: spec.name,
      timeSteps: spec.timeSteps,
      encoder: spec.encoder.kind,
      classes: resolved.classes,
      output: resolved.output,
      hostLayers: placement.hostBlocks.map((b) => b.neuron.name),
      inputShape: placement.chipBlocks[0].inShape,
      layers,
      coresUsed: placement.coresUsed,
    },
    report,
    placement,
  };
}

/** `quantizeNetwork` for a checkpoint. */
export function quantizeCheckpoint(checkpoint: Checkpoint, profile: HardwareProfile, options: FeasibilityOptions = {}): QuantizationResult {
  return quantizeNetwork(validateSpec(checkpoint.spec), checkpoint.params, profile, options);
}

/** Refuses a quantized network whose arrays disagree with its shapes (a corrupted bundle). */
export function checkQuantizedNetwork(net: QuantizedNetwork, where: string): void {
  const bad = (what: string): never => { throw new SnnError('malformedInput', `${where}: ${what}`); };
  if (net.layers.length === 0) bad('the network has no chip layers');
  const last = net.layers[net.layers.length - 1];
  if (net.output === 'membrane' && !last.readout) bad("the last chip layer is not a readout, but the output is 'membrane'");
  if (net.output === 'spikes' && last.readout) bad("the last chip layer is a readout, but the output is 'spikes'");
  net.layers.slice(0, -1).forEach((l, i) => { if (l.readout) bad(`layer ${i + 1} ('${l.name}') is a readout before the last layer`); });
  net.layers.forEach((l, i) => {
    const at = `layer ${i + 1} ('${l.name}')`;
    if (shapeSize(l.weightShape) !== l.weights.length) bad(`${at}: ${l.weights.length} weights for shape [${l.weightShape}]`);
    if (l.weightShape[0] !== l.channels) bad(`${at}: weight shape [${l.weightShape}] does not start with its ${l.channels} channels`);
    const fan = l.kind === 'dense' ? shapeSize(l.inShape) : l.inShape[0] * l.kernel * l.kernel;
    if (l.weights.length !== l.channels * fan) bad(`${at}: ${l.weights.length} weights, expected ${l.channels} × ${fan}`);
    if (l.bias && l.bias.length !== l.channels) bad(`${at}: ${l.bias.length} biases for ${l.channels} channels`);
    if (l.bias && net.profile.bias.supported?.value === false) bad(`${at}: has a bias, which profile '${net.profile.name}' does not run (bias.supported)`);
    if (l.scale.length !== l.channels) bad(`${at}: ${l.scale.length} scales for ${l.channels} channels`);
    if ((!l.readout || l.threshold.length > 0) && l.threshold.length !== l.channels) bad(`${at}: ${l.threshold.length} thresholds for ${l.channels} channels`);
    if (shapeSize(l.outShape) % l.channels !== 0) bad(`${at}: ${shapeSize(l.outShape)} neurons do not divide into ${l.channels} channels`);
    const prev = i === 0 ? net.inputShape : net.layers[i - 1].outShape;
    if (shapeSize(prev) !== shapeSize(l.inShape)) bad(`${at}: input of ${shapeSize(l.inShape)} values after ${shapeSize(prev)}`);
    if (l.kind === 'conv2d') {
      if (l.inShape.length !== 3 || l.mapShape.length !== 3) bad(`${at}: a conv layer needs [C, H, W] shapes`);
      const expect = (n: number) => Math.floor((n + 2 * l.padding - l.kernel) / l.stride) + 1;
      if (l.mapShape[1] !== expect(l.inShape[1]) || l.mapShape[2] !== expect(l.inShape[2])) bad(`${at}: map shape [${l.mapShape}] does not follow from input [${l.inShape}]`);
    } else if (shapeSize(l.mapShape) !== l.channels) bad(`${at}: dense map of ${shapeSize(l.mapShape)} for ${l.channels} units`);
    const pooled = l.pool && l.mapShape.length === 3 ? l.mapShape[0] * Math.floor(l.mapShape[1] / l.pool.size) * Math.floor(l.mapShape[2] / l.pool.size) : shapeSize(l.mapShape);
    if (pooled !== shapeSize(l.outShape)) bad(`${at}: ${shapeSize(l.outShape)} neurons after pooling ${shapeSize(l.mapShape)} values`);
  });
  if (shapeSize(last.outShape) !== net.classes) bad(`the output layer has ${shapeSize(last.outShape)} neurons for ${net.classes} classes`);
}

/** max over outputs of Σ|w| of its inputs: the largest weighted sum one binary input step can make. */
export function accumulatorBound(q: QuantizedLayer): number {
  const fan = q.weights.length / q.channels;
  let bound = 0;
  for (let o = 0; o < q.channels; o++) {
    let sum = 0;
    for (let i = o * fan; i < (o + 1) * fan; i++) sum += Math.abs(q.weights[i]);
    bound = Math.max(bound, sum);
  }
  return bound;
}
