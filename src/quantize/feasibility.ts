/**
 * Does a network fit a target? Works out which blocks run on the chip (for `direct` input the
 * first block is the encoder and runs on the host, docs/neuron.md), checks every chip layer against the
 * profile's kinds, neuron models, reset modes and limits, and places the layers on cores. A network
 * that does not fit is refused with a `doesNotFit` SnnError naming the limit, the layer and the
 * numbers.
 */
import { SnnError } from '../errors.ts';
import { fanIn } from '../spec/params.ts';
import type { ResetMode } from '../spec/types.ts';
import type { Block, ResolvedSpec } from '../spec/validate.ts';
import { describe, shapeSize } from '../spec/validate.ts';
import type { HardwareProfile, NeuronModel, Sourced } from './profile.ts';
import { val } from './profile.ts';

/** A run of a layer's neurons on one core. */
export interface CoreSegment {
  core: number;
  /** First neuron of the layer (flat index) on this core. */
  firstNeuron: number;
  count: number;
}

/** Where one chip layer lives. */
export interface LayerPlacement {
  /** The neuron layer's name. */
  name: string;
  /** The layer's neurons, in order, split over cores; empty when the layer sits on the target's dedicated output neurons. */
  segments: CoreSegment[];
  /** True for a readout on the target's output neurons (Xylo's 8) rather than in a core. */
  outputStage: boolean;
  /** Chip time steps between the input events and this layer's logical step (profile synapse delay × depth). */
  delaySteps: number;
}

/** The outcome of a successful feasibility check. */
export interface Placement {
  /** Blocks run on the host in float (the `direct` encoder), in order. */
  hostBlocks: Block[];
  /** Blocks run on the chip, in order; the last is the readout. */
  chipBlocks: Block[];
  layers: LayerPlacement[];
  coresUsed: number;
  /** Reset mode the chip runs for each chip block (the spec's, or the override). */
  resets: ResetMode[];
}

/** Options that change what is accepted. */
export interface FeasibilityOptions {
  /**
   * Run spiking layers with this reset mode when the spec's is not available on the target.
   * This changes the dynamics; the quantized accuracy then shows what it costs.
   */
  resetOverride?: ResetMode;
}

const MODEL_ORDER: NeuronModel[] = ['iaf', 'lif', 'cuba'];

/** The most restricted neuron model that can express a layer's decays. */
export function neuronModelOf(alpha: number, beta: number): NeuronModel {
  if (alpha === 0 && beta === 1) return 'iaf';
  if (alpha === 0) return 'lif';
  return 'cuba';
}

function supportsModel(profile: HardwareProfile, needed: NeuronModel): boolean {
  const rank = MODEL_ORDER.indexOf(needed);
  return profile.neuronModels.models.some((m) => MODEL_ORDER.indexOf(m) >= rank);
}

const MODEL_TEXT: Record<NeuronModel, string> = {
  cuba: 'C-LIF/CUBA (alpha > 0: a synaptic current state)',
  lif: 'LIF (alpha = 0, leaky membrane)',
  iaf: 'IAF (alpha = 0, beta = 1)',
};

function refuse(profile: HardwareProfile, what: string): never {
  throw new SnnError('doesNotFit', `the network does not fit ${profile.name}: ${what}`);
}

function limit(profile: HardwareProfile, key: keyof HardwareProfile['limits']): number | undefined {
  const l = profile.limits[key] as Sourced | undefined;
  return l === undefined ? undefined : val(l);
}

/** The largest number of neurons one input of a weighted layer reaches. */
function fanOutOf(block: Block): number {
  const w = block.weighted.layer;
  if (w.kind === 'dense') return w.units;
  const s = w.stride ?? 1;
  return w.channels * Math.ceil(w.kernel / s) ** 2;
}

/** DYNAP-CNN memory needs of a conv layer (docs/hardware.md, "Speck"). */
function dynapcnnMemory(block: Block): { kernel: number; neuron: number } {
  const w = block.weighted;
  const c = w.inShape[0];
  const k = w.layer.kind === 'conv2d' ? w.layer.kernel : 1;
  const f = w.outShape[0];
  const [fy, fx] = w.outShape.length === 3 ? [w.outShape[1], w.outShape[2]] : [1, 1];
  const log2ceil = (x: number) => Math.ceil(Math.log2(x));
  return { kernel: c * 2 ** (log2ceil(k * k) + log2ceil(f)), neuron: f * 2 ** (log2ceil(fy) + log2ceil(fx)) };
}

/**
 * Checks the network against the profile and places it on cores. Throws `doesNotFit` naming the
 * first limit that is broken.
 */
export function checkFeasibility(resolved: ResolvedSpec, profile: HardwareProfile, options: FeasibilityOptions = {}): Placement {
  const { blocks, spec } = resolved;
  const hostCount = spec.encoder.kind === 'direct' ? 1 : 0;
  if (blocks.length <= hostCount) {
    refuse(profile, `a 'direct'-encoded network runs its first layer on the host and sends its spikes to the chip, so it needs a spiking layer before the readout; ${describe(blocks[0].neuron)} is the readout`);
  }
  const hostBlocks = blocks.slice(0, hostCount);
  const chipBlocks = blocks.slice(hostCount);
  const kinds = new Set<string>(profile.layerKinds.kinds);
  const resets: ResetMode[] = [];

  const chipInput = shapeSize(chipBlocks[0].inShape);
  const inputOrigin = hostCount
    ? ` (the spikes of the host-side encoder ${describe(hostBlocks[0].neuron)}, computed from the ${shapeSize(spec.inputShape)}-value input)`
    : ` (the network's ${shapeSize(spec.inputShape)}-value input)`;
  const inputChannels = limit(profile, 'inputChannels');
  if (inputChannels !== undefined && chipInput > inputChannels) {
    refuse(profile, `the chip has ${inputChannels} input channels (limits.inputChannels) but ${describe(chipBlocks[0].weighted)} receives ${chipInput} inputs${inputOrigin}`);
  }

  let hidden = 0, neurons = 0, synapses = 0;
  chipBlocks.forEach((block, i) => {
    for (const r of [...block.pre, block.weighted, ...block.post]) {
      if (!kinds.has(r.layer.kind)) refuse(profile, `${describe(r)} is a ${r.layer.kind} layer; the target runs only ${[...kinds].join(', ')} (layerKinds)`);
    }
    const pools = block.post.filter((r) => r.layer.kind === 'maxpool' || r.layer.kind === 'avgpool');
    if (pools.length > 1) refuse(profile, `${describe(pools[1])} is a second pooling layer on the same synaptic input; the simulator maps one pooling per layer`);

    const n = block.neuron.layer;
    const model = neuronModelOf(n.alpha, n.beta);
    if (!supportsModel(profile, model)) {
      refuse(profile, `${describe(block.neuron)} is a ${MODEL_TEXT[model]} neuron (alpha ${n.alpha}, beta ${n.beta}); the target has only ${profile.neuronModels.models.map((m) => MODEL_TEXT[m]).join(', ')} neurons (neuronModels)`);
    }
    if (n.kind === 'clif') {
      const wanted = n.reset ?? 'subtract';
      let reset: ResetMode = wanted;
      if (!profile.reset.modes.includes(wanted)) {
        if (options.resetOverride && profile.reset.modes.includes(options.resetOverride)) reset = options.resetOverride;
        else refuse(profile, `${describe(block.neuron)} resets by '${wanted}'; the target resets only by ${profile.reset.modes.map((m) => `'${m}'`).join(', ')} (reset.modes); train with that reset, or accept the change of dynamics with --reset-as ${profile.reset.modes[0]}`);
      }
      resets.push(reset);
    } else {
      resets.push('zero');
    }

    const size = shapeSize(block.outShape);
    const isReadout = n.kind === 'readout';
    neurons += size;
    if (!isReadout) hidden += size;
    const fan = fanIn(block);
    const mapSize = shapeSize(block.weighted.outShape);
    synapses += mapSize * fan;
    const fanInLimit = limit(profile, 'fanIn');
    if (fanInLimit !== undefined && fan > fanInLimit) refuse(profile, `${describe(block.weighted)} gives each neuron ${fan} inputs; the target allows ${fanInLimit} (limits.fanIn)`);

    // Fan-out counts the chip neurons a chip neuron drives (Xylo's hidden→hidden limit); the chip's input channels are not neurons.
    const fanOutLimit = limit(profile, 'fanOut');
    const next = chipBlocks[i + 1];
    if (fanOutLimit !== undefined && next && next.neuron.layer.kind !== 'readout' && fanOutOf(next) > fanOutLimit) {
      refuse(profile, `each neuron of ${describe(block.neuron)} drives ${fanOutOf(next)} neurons of ${describe(next.weighted)}; the target allows a fan-out of ${fanOutLimit} (limits.fanOut)`);
    }

    const w = block.weighted.layer;
    if (w.kind === 'conv2d') {
      const checks: [keyof HardwareProfile['limits'], number, string][] = [
        ['channels', Math.max(block.weighted.inShape[0], w.channels), 'channels'],
        ['kernel', w.kernel, 'kernel side'],
        ['padding', w.padding ?? 0, 'padding'],
        ['inputMap', Math.max(block.weighted.inShape[1], block.weighted.inShape[2]), 'input map side'],
        ['outputMap', Math.max(block.weighted.outShape[1], block.weighted.outShape[2]), 'output map side'],
      ];
      for (const [key, value, what] of checks) {
        const l = limit(profile, key);
        if (l !== undefined && value > l) refuse(profile, `${describe(block.weighted)} has ${what} ${value}; the target allows ${l} (limits.${key})`);
      }
      const strides = profile.limits.strides?.value;
      if (strides && !strides.includes(w.stride ?? 1)) refuse(profile, `${describe(block.weighted)} has stride ${w.stride ?? 1}; the target allows ${strides.join(', ')} (limits.strides)`);
    }
    if (isReadout) {
      const out = limit(profile, 'outputNeurons');
      if (out !== undefined && size > out) refuse(profile, `the readout ${describe(block.neuron)} has ${size} neurons; the target has ${out} output neurons (limits.outputNeurons)`);
    }
  });

  const totals: [keyof HardwareProfile['limits'], number, string][] = [
    ['hiddenNeurons', hidden, 'spiking neurons'],
    ['neurons', neurons, 'neurons'],
    ['synapses', synapses, 'synapses'],
  ];
  for (const [key, value, what] of totals) {
    const l = limit(profile, key);
    if (l !== undefined && value > l) refuse(profile, `the chip part of the network has ${value} ${what}; the target has ${l} (limits.${key})`);
  }

  const layers = profile.limits.oneLayerPerCore ? placeOnePerCore(profile, chipBlocks) : placeSplit(profile, chipBlocks);
  const coresUsed = new Set(layers.flatMap((l) => l.segments.map((g) => g.core))).size;
  return { hostBlocks, chipBlocks, layers, coresUsed, resets };
}

/**
 * Next-fit packing: layers fill cores in order, a layer continuing on the next core when one is
 * full; a readout goes to the dedicated output neurons when the target has them (limits.outputNeurons).
 */
function placeSplit(profile: HardwareProfile, chipBlocks: Block[]): LayerPlacement[] {
  const perCore = limit(profile, 'neuronsPerCore') ?? Number.POSITIVE_INFINITY;
  const delay = val(profile.synapse.delaySteps);
  const outputStage = limit(profile, 'outputNeurons') !== undefined;
  let core = 0, free = perCore, needed = 0;
  const placed = chipBlocks.map((block, i): LayerPlacement => {
    const size = shapeSize(block.outShape);
    const base = { name: block.neuron.name, delaySteps: delay * (i + 1) };
    if (outputStage && block.neuron.layer.kind === 'readout') return { ...base, segments: [], outputStage: true };
    const segments: CoreSegment[] = [];
    for (let first = 0; first < size;) {
      if (free === 0) { core++; free = perCore; }
      const count = Math.min(free, size - first);
      segments.push({ core, firstNeuron: first, count });
      first += count; free -= count;
      needed = core + 1;
    }
    return { ...base, segments, outputStage: false };
  });
  const available = limit(profile, 'cores');
  if (available !== undefined && needed > available) {
    const detail = placed.map((p, i) => `${describe(chipBlocks[i].neuron)}: ${shapeSize(chipBlocks[i].outShape)} neurons`).join(', ');
    refuse(profile, `the network needs ${needed} cores of ${perCore} neurons (limits.neuronsPerCore) but the target has ${available} (limits.cores); ${detail}`);
  }
  return placed;
}

/** DYNAP-CNN style: one layer per core, each core with its own kernel and neuron memories. */
function placeOnePerCore(profile: HardwareProfile, chipBlocks: Block[]): LayerPlacement[] {
  const cores = limit(profile, 'cores') ?? chipBlocks.length;
  if (chipBlocks.length > cores) refuse(profile, `the chip part has ${chipBlocks.length} layers; the target has ${cores} cores, one layer each (limits.cores)`);
  const kernelMem = profile.limits.kernelMemory?.value;
  const neuronMem = profile.limits.neuronMemory?.value;
  const needs = chipBlocks.map(dynapcnnMemory);
  const fits = (layer: number, core: number) => !kernelMem || !neuronMem || (needs[layer].kernel <= kernelMem[core] && needs[layer].neuron <= neuronMem[core]);
  for (let i = 0; i < chipBlocks.length; i++) {
    // Without memory lists every core fits; with them, `cores` equals their length (validateProfile).
    let anyCore = !kernelMem || !neuronMem;
    for (let c = 0; !anyCore && c < Math.min(cores, kernelMem!.length); c++) anyCore = fits(i, c);
    if (!anyCore) {
      const maxK = Math.max(...(kernelMem ?? [0])), maxN = Math.max(...(neuronMem ?? [0]));
      refuse(profile, `${describe(chipBlocks[i].weighted)} needs ${needs[i].kernel} kernel and ${needs[i].neuron} neuron memory entries; the largest core has ${maxK} and ${maxN} (limits.kernelMemory, limits.neuronMemory)`);
    }
  }
  // Few layers and cores: a depth-first search finds an assignment whenever one exists.
  const assignment: number[] = [];
  const used = new Set<number>();
  const search = (i: number): boolean => {
    if (i === chipBlocks.length) return true;
    for (let c = 0; c < cores; c++) {
      if (used.has(c) || !fits(i, c)) continue;
      used.add(c); assignment[i] = c;
      if (search(i + 1)) return true;
      used.delete(c);
    }
    return false;
  };
  if (!search(0)) refuse(profile, `the layers' kernel and neuron memories (${needs.map((n) => `${n.kernel}/${n.neuron}`).join(', ')} entries) cannot be assigned to distinct cores (limits.kernelMemory, limits.neuronMemory)`);
  const delay = val(profile.synapse.delaySteps);
  return chipBlocks.map((block, i) => ({
    name: block.neuron.name,
    segments: [{ core: assignment[i], firstNeuron: 0, count: shapeSize(block.outShape) }],
    outputStage: false,
    delaySteps: delay * (i + 1),
  }));
}

/**
 * Refuses input events whose integer payload exceeds the target's (Xylo: 15 events per channel
 * per step). `where` names the sample.
 */
export function checkInputPayloads(profile: HardwareProfile, payloads: Int32Array | null, where: string): void {
  const max = limit(profile, 'inputPayload');
  if (max === undefined || payloads === null) return;
  for (let e = 0; e < payloads.length; e++) {
    if (payloads[e] > max) refuse(profile, `${where}: input event ${e} carries ${payloads[e]} events in one step; the target accepts ${max} per channel and step (limits.inputPayload)`);
  }
}
