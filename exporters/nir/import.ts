/**
 * NIR graph file → checkpoint. Reads what snnTorch, Norse and `nir.write` produce (legacy files
 * without v_reset, gzip-compressed datasets, nested metadata), converts the continuous
 * parameters to our discrete C-LIF at a stated dt (convention.ts), and refuses, with one line,
 * what our networks cannot run: unknown node types, recurrence, branches, shapes that do not chain.
 */
import { basename, extname } from 'node:path';
import type { Checkpoint } from '../../src/checkpoint/checkpoint.ts';
import { SnnError, malformed } from '../../src/errors.ts';
import { SPEC_LIMITS } from '../../src/spec/limits.ts';
import { checkParams } from '../../src/spec/params.ts';
import type { Encoder, Layer, NetworkSpec, ResetMode } from '../../src/spec/types.ts';
import { SPEC_VERSION } from '../../src/spec/types.ts';
import { validateSpec } from '../../src/spec/validate.ts';
import type { Tensor } from '../../src/util/tensor.ts';
import { DEFAULT_DT, DEFAULT_TIME_STEPS, stageGain, tauToDecay } from './convention.ts';
import type { H5Tree } from './h5-tree.ts';
import { readHdf5Tree } from './h5-tree.ts';

/** Choices the file cannot make for us; each falls back to the file's metadata, then to a default. */
export interface NirImportOptions {
  /** Time step in seconds (default: the metadata's `dt`, else 1e-4, snnTorch's). */
  dt?: number;
  /** Time steps T (default: the metadata's `time_steps`, else 25). */
  timeSteps?: number;
  /** Input encoder (default: the metadata's `encoder`, else `direct`). */
  encoder?: Encoder;
  /** Reset of the spiking layers (default: the metadata's `reset_mode`, else NIR's reset-to-zero). */
  reset?: ResetMode;
  /** Input shape to present to the network, e.g. [1, 28, 28] for a graph whose Input is flat [784]. */
  inputShape?: number[];
  name?: string;
}

/** The imported checkpoint and a one-line summary saying where each choice came from. */
export interface NirImportResult {
  checkpoint: Checkpoint;
  summary: string;
}

type RawGroup = H5Tree;

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Node types we convert, for the message that refuses the others. */
const SUPPORTED = ['Input', 'Output', 'Affine', 'Linear', 'Conv2d', 'SumPool2d', 'AvgPool2d', 'Flatten', 'CubaLIF', 'LIF', 'IF', 'CubaLI', 'LI'];

/** One node of the file with helpers that name it in every message. */
class NodeReader {
  constructor(readonly file: string, readonly key: string, readonly type: string, readonly raw: RawGroup) {}

  fail(what: string): never {
    throw malformed(this.file, `node '${this.key}' (${this.type}): ${what}`);
  }

  has(name: string): boolean {
    return this.raw.fields.has(name);
  }

  numbers(name: string): { shape: number[]; data: Float64Array } {
    const f = this.raw.fields.get(name);
    if (!f) this.fail(`field '${name}' is missing`);
    if (f.kind !== 'number') this.fail(`field '${name}' must be numeric, got ${f.kind === 'string' ? 'a string' : f.what}`);
    return f;
  }

  /** A tensor of the given rank, as float32 (other tools write float64 too). */
  tensor(name: string, rank: number): Tensor {
    const { shape, data } = this.numbers(name);
    if (shape.length !== rank) this.fail(`field '${name}' must have ${rank} dimensions, got shape ${fmt(shape)}`);
    if (!data.every(Number.isFinite)) this.fail(`field '${name}' holds a value that is not finite`);
    return { shape, data: Float32Array.from(data) };
  }

  /** An integer or an equal pair (NIR writes stride/padding/kernel as int or (2,) int64). */
  square(name: string, fallback?: number): number {
    if (!this.has(name) && fallback !== undefined) return fallback;
    const f = this.raw.fields.get(name);
    if (f?.kind === 'string') this.fail(`field '${name}' must be an integer or a pair, got '${f.data[0]}'`);
    const { data } = this.numbers(name);
    if (data.length < 1 || data.length > 2 || !data.every(Number.isInteger)) this.fail(`field '${name}' must be an integer or a pair of integers, got [${[...data]}]`);
    if (data.length === 2 && data[0] !== data[1]) this.fail(`field '${name}' is (${data[0]}, ${data[1]}); snn-export supports equal values in both dimensions only`);
    return data[0];
  }

  int(name: string, fallback: number): number {
    if (!this.has(name)) return fallback;
    const { data } = this.numbers(name);
    if (data.length !== 1 || !Number.isInteger(data[0])) this.fail(`field '${name}' must be one integer, got [${[...data]}]`);
    return data[0];
  }

  /**
   * A neuron parameter: shaped like the layer (`shape`), flat `(N,)`, or a legacy scalar; one
   * value for all neurons, since our layers have per-layer constants.
   */
  uniform(name: string, shape: number[], from: string, fallback?: number): number {
    if (!this.has(name) && fallback !== undefined) return fallback;
    const { shape: s, data } = this.numbers(name);
    const n = count(shape);
    if (!(sameShape(s, shape) || sameShape(s, [n]) || data.length === 1)) {
      this.fail(`shapes do not chain: '${name}' has shape ${fmt(s)}, but ${from} gives ${fmt(shape)}`);
    }
    const v = data[0];
    if (Number.isNaN(v)) this.fail(`'${name}' is NaN`);
    const other = data.find((x) => x !== v);
    if (other !== undefined) this.fail(`'${name}' differs between neurons (${v} and ${other}); snn-export layers have one value per layer`);
    return v;
  }
}

/** A node's output shape per sample, and where it came from, while walking the chain. */
interface Walk {
  shape: number[];
  from: string;
}

/**
 * Orders the graph as a chain Input → … → Output, refusing recurrence (any cycle), branches and
 * nodes that are not connected.
 */
function chainOrder(file: string, keys: string[], edges: [string, string][], typeOf: (k: string) => string): string[] {
  const out = new Map<string, string[]>(keys.map((k) => [k, []]));
  const inDeg = new Map<string, number>(keys.map((k) => [k, 0]));
  for (const [a, b] of edges) { out.get(a)!.push(b); inDeg.set(b, inDeg.get(b)! + 1); }

  // A back edge in a depth-first search is exactly a cycle: NIR's recurrence.
  const state = new Map<string, 1 | 2>();
  const visit = (k: string): void => {
    state.set(k, 1);
    for (const next of out.get(k)!) {
      if (state.get(next) === 1) throw new SnnError('doesNotFit', `${file}: recurrent edge '${k}' → '${next}'; snn-export runs feed-forward networks only`);
      if (!state.has(next)) visit(next);
    }
    state.set(k, 2);
  };
  for (const k of keys) if (!state.has(k)) visit(k);

  const inputs = keys.filter((k) => typeOf(k) === 'Input');
  if (inputs.length !== 1) throw malformed(file, `the graph needs exactly one Input node, found ${inputs.length}${inputs.length ? ` (${inputs.join(', ')})` : ''}`);
  const order: string[] = [];
  for (let k: string | undefined = inputs[0]; k !== undefined;) {
    order.push(k);
    const next: string[] = out.get(k)!;
    if (next.length > 1) throw new SnnError('doesNotFit', `${file}: node '${k}' feeds ${next.length} nodes (${next.join(', ')}); snn-export runs chains from Input to Output only`);
    if (next.length === 1 && inDeg.get(next[0])! > 1) throw new SnnError('doesNotFit', `${file}: node '${next[0]}' has ${inDeg.get(next[0])} inputs; snn-export runs chains from Input to Output only`);
    k = next[0];
  }
  const last = order[order.length - 1];
  if (typeOf(last) !== 'Output') throw malformed(file, `the chain from '${inputs[0]}' ends at '${last}' (${typeOf(last)}), not at an Output node`);
  const stray = keys.filter((k) => !order.includes(k));
  if (stray.length) throw new SnnError('doesNotFit', `${file}: node '${stray[0]}' is not on the path from Input to Output; snn-export runs chains only`);
  return order;
}

/** NIR keys are any string ("0", "lif1.w_rec"); our layer names are identifiers. */
function layerNames(keys: string[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const key of keys) {
    let base = key.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(base)) base = `n${base}`;
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    names.set(key, name);
  }
  return names;
}

/** Graph-level metadata values we understand, read from nested groups too. */
interface Metadata {
  dt?: number;
  timeUnit: number;
  timeSteps?: number;
  encoder?: Encoder;
  reset?: string;
  source?: string;
  name?: string;
  classNames?: string[];
  /** The image shape of a graph written with a flat Input (our exports of networks that start by flattening). */
  inputShape?: number[];
  /** How our export wrote the readout: 'cubalif' marks a CubaLIF whose threshold is out of reach. */
  readout?: string;
  /** Our export for lava-dl scales weights, biases and thresholds by this power of two. */
  stateScale?: number;
}

const TIME_UNITS: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6 };

function readMetadata(file: string, g: RawGroup | undefined): Metadata {
  const str = (k: string): string | undefined => { const f = g?.fields.get(k); return f?.kind === 'string' ? f.data[0] : undefined; };
  const num = (k: string): number | undefined => { const f = g?.fields.get(k); return f?.kind === 'number' && f.data.length === 1 ? f.data[0] : undefined; };
  const unitName = str('time_unit') ?? 's';
  const timeUnit = TIME_UNITS[unitName];
  if (timeUnit === undefined) throw malformed(file, `metadata 'time_unit' is '${unitName}'; expected one of ${Object.keys(TIME_UNITS).join(', ')}`);
  const enc = str('encoder');
  const seed = num('encoder_seed');
  const encoder: Encoder | undefined = enc === 'direct' || enc === 'events' ? { kind: enc } : enc === 'rate' && seed !== undefined ? { kind: 'rate', seed } : undefined;
  const names = g?.fields.get('class_names');
  const dt = num('dt');
  const timeSteps = num('time_steps');
  if (timeSteps !== undefined && !(Number.isInteger(timeSteps) && timeSteps >= 1 && timeSteps <= SPEC_LIMITS.timeSteps)) {
    throw malformed(file, `metadata 'time_steps' is ${timeSteps}; expected a whole number from 1 to ${SPEC_LIMITS.timeSteps}`);
  }
  const shapeField = g?.fields.get('input_shape');
  const inputShape = shapeField?.kind === 'number' && shapeField.data.length > 0 && shapeField.data.every((d) => Number.isInteger(d) && d > 0) ? [...shapeField.data] : undefined;
  const stateScale = num('state_scale');
  if (stateScale !== undefined && !(Number.isInteger(Math.log2(stateScale)) && stateScale >= 1 && stateScale <= 2 ** 20)) {
    throw malformed(file, `metadata 'state_scale' is ${stateScale}; expected a power of two from 1 to 2^20`);
  }
  return {
    inputShape, readout: str('readout'), stateScale,
    dt: dt !== undefined ? dt * timeUnit : undefined, timeUnit, timeSteps, encoder, reset: str('reset_mode'),
    source: str('source'), name: str('name'), classNames: names?.kind === 'string' ? names.data : undefined,
  };
}

/** The reset of spiking layer `key`: the flag, else the metadata (one mode, or `key=mode;…`), else zero. */
function resetFor(key: string, flag: ResetMode | undefined, meta: string | undefined): ResetMode {
  if (flag) return flag;
  if (meta === 'subtract' || meta === 'zero') return meta;
  const perNode = meta?.split(';').map((p) => p.split('=')).find(([k]) => k === key)?.[1];
  return perNode === 'subtract' ? 'subtract' : 'zero';
}

/** Reads a NIR file and converts it to a checkpoint; nothing is written. */
export async function importNir(file: string, options: NirImportOptions = {}): Promise<NirImportResult> {
  const root = await readHdf5Tree(file);
  const versionField = root.fields.get('version');
  const version = versionField?.kind === 'string' ? versionField.data[0] : undefined;
  const top = root.groups.get('node');
  if (!top) throw malformed(file, "no '/node' group: not a NIR graph file");
  const typeField = top.fields.get('type');
  const topType = typeField?.kind === 'string' ? typeField.data[0] : undefined;
  if (topType !== 'NIRGraph') throw malformed(file, `/node/type is ${topType === undefined ? 'missing' : `'${topType}'`}; expected 'NIRGraph'`);
  const nodesGroup = top.groups.get('nodes');
  if (!nodesGroup) throw malformed(file, "/node/nodes is missing");

  const meta = readMetadata(file, top.groups.get('metadata'));
  const nodes = new Map<string, NodeReader>();
  for (const [key, raw] of nodesGroup.groups) {
    const t = raw.fields.get('type');
    if (t?.kind !== 'string') throw malformed(file, `node '${key}': field 'type' is missing or not a string`);
    nodes.set(key, new NodeReader(file, key, t.data[0], raw));
  }
  for (const node of nodes.values()) {
    if (node.type === 'NIRGraph') {
      throw new SnnError('doesNotFit', `${file}: node '${node.key}' is a nested NIRGraph (snnTorch writes recurrent layers this way); snn-export runs flat feed-forward chains only`);
    }
    if (!SUPPORTED.includes(node.type)) throw new SnnError('doesNotFit', `${file}: node '${node.key}' has type '${node.type}', which snn-export cannot run (supported: ${SUPPORTED.join(', ')})`);
  }

  const edgesField = top.fields.get('edges');
  if (!edgesField) throw malformed(file, '/node/edges is missing');
  // nir.write stores an empty edge list as a float64 (0,) array.
  const edgeStrings = edgesField.kind === 'string' ? edgesField.data : edgesField.kind === 'number' && edgesField.data.length === 0 ? [] : undefined;
  if (!edgeStrings || edgeStrings.length % 2 !== 0 || (edgesField.kind === 'string' && edgesField.shape.length === 2 && edgesField.shape[1] !== 2)) {
    throw malformed(file, '/node/edges must be an (E, 2) table of node names');
  }
  const edges: [string, string][] = [];
  for (let i = 0; i < edgeStrings.length; i += 2) {
    const pair = [edgeStrings[i], edgeStrings[i + 1]].map((end) => {
      if (nodes.has(end)) return end;
      throw malformed(file, `edge ${i / 2} ('${edgeStrings[i]}' → '${edgeStrings[i + 1]}') names '${end}', which is not a node`);
    });
    edges.push([pair[0], pair[1]]);
  }
  const order = chainOrder(file, [...nodes.keys()], edges, (k) => nodes.get(k)!.type);

  const dt = options.dt ?? meta.dt ?? DEFAULT_DT;
  const dtSource = options.dt !== undefined ? '--dt' : meta.dt !== undefined ? 'metadata' : 'default; the file states none';
  if (!(dt > 0 && Number.isFinite(dt))) {
    if (options.dt !== undefined) throw new SnnError('usage', `option --dt: must be a positive number of seconds, got ${dt}`);
    throw malformed(file, `metadata 'dt' is ${dt} s; expected a positive number of seconds`);
  }

  const input: NodeReader = nodes.get(order[0])!;
  const inputShape = [...input.numbers('shape').data];
  if (!inputShape.length || !inputShape.every((d) => Number.isInteger(d) && d > 0)) input.fail(`'shape' must list positive integers, got ${fmt(inputShape)}`);
  const names = layerNames(order.slice(1, -1));
  const layers: Layer[] = [];
  const params = new Map<string, Tensor>();
  let walk: Walk = { shape: inputShape, from: `'${input.key}'` };

  let specInput = inputShape;
  const presented = options.inputShape ?? meta.inputShape;
  if (presented && !sameShape(presented, inputShape)) {
    if (inputShape.length !== 1 || count(presented) !== inputShape[0]) {
      if (options.inputShape) throw new SnnError('usage', `--input-shape ${fmt(presented)} does not fit the graph's Input shape ${fmt(inputShape)}`);
      throw malformed(file, `metadata 'input_shape' ${fmt(presented)} does not fit the Input shape ${fmt(inputShape)}`);
    }
    specInput = presented;
    layers.push({ kind: 'flatten', name: 'input_flatten' });
  }

  // The weighted layer of the block being read and the factor its tensors still need: NIR's
  // input gain of the next neuron (Norse's convention) and k² per sum pooling.
  let pending: { name: string; factor: number } | undefined;
  let lastNeuron: { node: NodeReader; spiking: boolean } | undefined;
  // The weighted layer the last neuron node took its input from, for a second LI stage's gain.
  let lastWeighted: string | undefined;
  let readoutStages = 0;
  let neuronsSeen = 0;

  const lastNeuronKey = [...order].reverse().find((k) => ['CubaLIF', 'CubaLI', 'LIF', 'LI', 'IF'].includes(nodes.get(k)!.type));
  for (const key of order.slice(1, -1)) {
    const node: NodeReader = nodes.get(key)!;
    const name = names.get(key)!;
    const here = walk;
    const chain = (shape: number[]): void => { walk = { shape, from: `'${key}'` }; };
    // LI → LI in series is CubaLI's two stages (our 'li' readout form): the second LI's tau is the
    // membrane decay, the first's the current decay.
    const secondStage = node.type === 'LI' && lastNeuron?.node.type === 'LI' && readoutStages === 1;
    if (lastNeuron && !lastNeuron.spiking && !secondStage) {
      throw new SnnError('doesNotFit', `${file}: node '${key}' follows the non-spiking '${lastNeuron.node.key}' (${lastNeuron.node.type}); snn-export's only non-spiking layer is the final readout`);
    }
    switch (node.type) {
      case 'Affine':
      case 'Linear': {
        const weight = node.tensor('weight', 2);
        const [outF, inF] = weight.shape;
        if (here.shape.length !== 1 || here.shape[0] !== inF) node.fail(`shapes do not chain: the weight takes ${inF} inputs, but ${here.from} gives ${fmt(here.shape)}${here.shape.length > 1 && count(here.shape) === inF ? ' (a Flatten is missing)' : ''}`);
        params.set(`${name}.weight`, weight);
        if (node.type === 'Affine') {
          const bias = node.tensor('bias', 1);
          if (bias.shape[0] !== outF) node.fail(`'bias' has shape ${fmt(bias.shape)}, the weight needs [${outF}]`);
          params.set(`${name}.bias`, bias);
        }
        layers.push({ kind: 'dense', name, units: outF, bias: node.type === 'Affine' });
        pending = { name, factor: 1 };
        chain([outF]);
        break;
      }
      case 'Conv2d': {
        const weight = node.tensor('weight', 4);
        const [cOut, cIn, kh, kw] = weight.shape;
        if (kh !== kw) node.fail(`kernel ${kh}×${kw} is not square; snn-export supports square kernels only`);
        if (here.shape.length !== 3 || here.shape[0] !== cIn) node.fail(`shapes do not chain: the weight takes ${cIn} channels, but ${here.from} gives ${fmt(here.shape)}`);
        if (node.has('input_shape')) {
          const declared = [...node.numbers('input_shape').data];
          if (!sameShape(declared, here.shape.slice(1))) node.fail(`shapes do not chain: input_shape is ${fmt(declared)}, but ${here.from} gives ${fmt(here.shape)}`);
        }
        const stride = node.square('stride');
        const paddingField = node.raw.fields.get('padding');
        let padding: number;
        if (paddingField?.kind === 'string') {
          const p = paddingField.data[0];
          if (p === 'valid') padding = 0;
          else if (p === 'same' && stride === 1 && kh % 2 === 1) padding = (kh - 1) / 2;
          else node.fail(`padding '${p}' with stride ${stride} and kernel ${kh} has no symmetric integer equivalent`);
        } else padding = node.square('padding');
        if (node.square('dilation', 1) !== 1) node.fail('dilation other than 1 is not supported');
        if (node.int('groups', 1) !== 1) node.fail('grouped convolution (groups ≠ 1) is not supported');
        const bias = node.tensor('bias', 1);
        if (bias.shape[0] !== cOut) node.fail(`'bias' has shape ${fmt(bias.shape)}, the weight needs [${cOut}]`);
        // NIR's Conv2d always carries a bias; all zeros is how exporters say "none" (Norse #438).
        const hasBias = bias.data.some((v) => v !== 0);
        params.set(`${name}.weight`, weight);
        if (hasBias) params.set(`${name}.bias`, bias);
        layers.push({ kind: 'conv2d', name, channels: cOut, kernel: kh, stride, padding, bias: hasBias });
        pending = { name, factor: 1 };
        const [, h, w] = here.shape;
        if (kh > h + 2 * padding || kh > w + 2 * padding) node.fail(`shapes do not chain: kernel ${kh}×${kh} is larger than the ${h}×${w} map from ${here.from}`);
        chain([cOut, Math.floor((h + 2 * padding - kh) / stride) + 1, Math.floor((w + 2 * padding - kh) / stride) + 1]);
        break;
      }
      case 'SumPool2d':
      case 'AvgPool2d': {
        const k = node.square('kernel_size');
        const stride = node.square('stride');
        if (stride !== k) node.fail(`stride ${stride} differs from kernel_size ${k}; snn-export pools with stride = window`);
        if (node.square('padding', 0) !== 0) node.fail('padded pooling is not supported');
        if (here.shape.length !== 3) node.fail(`shapes do not chain: pooling needs [C, H, W], but ${here.from} gives ${fmt(here.shape)}`);
        const [c, h, w] = here.shape;
        if (k > h || k > w) node.fail(`shapes do not chain: window ${k}×${k} is larger than the ${h}×${w} map from ${here.from}`);
        // sum = k²·average: the factor goes into the weighted layer before it.
        if (node.type === 'SumPool2d' && pending) pending.factor *= k * k;
        layers.push({ kind: 'avgpool', name, size: k });
        chain([c, Math.floor(h / k), Math.floor(w / k)]);
        break;
      }
      case 'Flatten': {
        if (node.has('input_type')) {
          const declared = [...node.numbers('input_type').data];
          if (!sameShape(declared, here.shape)) node.fail(`shapes do not chain: input_type is ${fmt(declared)}, but ${here.from} gives ${fmt(here.shape)}`);
        }
        const rank = here.shape.length;
        const start = node.int('start_dim', 1), end = node.int('end_dim', -1);
        const s = start < 0 ? rank + start : start, e = end < 0 ? rank + end : end;
        // Dims count without the batch (NIR); start_dim 1 to the end is the batch-counting
        // convention of older Norse/snnTorch exports and also means "flatten everything".
        const full = (s <= 0 && e >= rank - 1) || (start === 1 && end === -1) || rank === 1;
        if (!full) node.fail(`flattens dims ${start}…${end} of ${fmt(here.shape)} only; snn-export flattens the whole sample`);
        layers.push({ kind: 'flatten', name });
        chain([count(here.shape)]);
        break;
      }
      case 'CubaLIF':
      case 'CubaLI':
      case 'LIF':
      case 'LI':
      case 'IF': {
        const spiking = node.type === 'CubaLIF' || node.type === 'LIF' || node.type === 'IF';
        const p = (field: string, fallback?: number): number => node.uniform(field, here.shape, here.from, fallback);
        const unit = meta.timeUnit;
        const decay = (tau: number, field: string): number => {
          const d = tauToDecay(tau, dt);
          if (d === undefined) node.fail(`${field} = ${tau} s is shorter than dt = ${dt} s (the decay 1 − dt/τ would be negative); import with a smaller --dt`);
          return d;
        };
        let alpha: number, beta: number, gain: number;
        if (node.type === 'CubaLIF' || node.type === 'CubaLI') {
          const tauSyn = p('tau_syn') * unit, tauMem = p('tau_mem') * unit;
          alpha = decay(tauSyn, 'tau_syn');
          beta = decay(tauMem, 'tau_mem');
          gain = stageGain(p('w_in', 1), tauSyn, dt) * stageGain(p('r'), tauMem, dt);
        } else if (node.type === 'IF') {
          // v ← v + r·I per step: how Sinabs writes IF and snnTorch, Norse and lava-dl read it (no dt factor).
          alpha = 0; beta = 1;
          gain = p('r');
        } else {
          const tau = p('tau') * unit;
          alpha = 0;
          beta = decay(tau, 'tau');
          gain = stageGain(p('r'), tau, dt);
        }
        if (!(Number.isFinite(gain) && gain > 0)) node.fail(`its input gain (dt/τ)·w_in·(dt/τ)·r is ${gain}; expected a positive finite number`);
        if (node.type !== 'IF' && p('v_leak') !== 0) node.fail(`v_leak = ${p('v_leak')}; snn-export neurons leak towards 0 only`);
        const reset = spiking ? resetFor(key, options.reset, meta.reset) : undefined;
        if (spiking && p('v_reset', 0) !== 0) node.fail(`v_reset = ${p('v_reset')}; snn-export resets to 0 or by subtracting the threshold only`);
        if (secondStage) {
          const first = layers.pop() as Extract<Layer, { kind: 'readout' }>;
          pending = { name: lastWeighted!, factor: 1 };
          alpha = first.beta;
        }
        readoutStages = spiking ? 0 : readoutStages + 1;
        if (pending && gain !== 1) pending.factor *= gain;
        const stateScale = meta.stateScale ?? 1;
        if (pending && stateScale !== 1) pending.factor /= stateScale;
        if (pending && pending.factor !== 1) {
          for (const suffix of ['weight', 'bias']) {
            const t = params.get(`${pending.name}.${suffix}`);
            if (t) t.data = t.data.map((v) => Math.fround(v * pending!.factor));
          }
        }
        if (pending) lastWeighted = pending.name;
        pending = undefined;
        const readoutInDisguise = node.type === 'CubaLIF' && meta.readout === 'cubalif' && key === lastNeuronKey;
        if (spiking && !readoutInDisguise) {
          const theta = p('v_threshold') / (meta.stateScale ?? 1);
          if (!(theta > 0)) node.fail(`v_threshold = ${theta}; snn-export needs a positive threshold`);
          layers.push({ kind: 'clif', name, alpha, beta, theta, reset: reset! });
        } else {
          layers.push({ kind: 'readout', name, alpha, beta });
        }
        lastNeuron = { node, spiking: spiking && !readoutInDisguise };
        neuronsSeen++;
        chain(here.shape);
        break;
      }
    }
  }

  const output: NodeReader = nodes.get(order[order.length - 1])!;
  if (!lastNeuron) throw new SnnError('doesNotFit', `${file}: the graph has no neuron node; snn-export networks end in a non-spiking readout (CubaLI or LI) or a spiking layer (CubaLIF, LIF, IF)`);
  if (output.has('shape')) {
    const declared = [...output.numbers('shape').data];
    if (count(declared) !== count(walk.shape)) output.fail(`shapes do not chain: 'shape' is ${fmt(declared)}, but ${walk.from} gives ${fmt(walk.shape)}`);
  } else output.fail("field 'shape' is missing");

  const encoder = options.encoder ?? meta.encoder ?? { kind: 'direct' };
  const timeSteps = options.timeSteps ?? meta.timeSteps ?? DEFAULT_TIME_STEPS;
  const spec: NetworkSpec = {
    version: SPEC_VERSION,
    name: options.name ?? meta.name ?? basename(file, extname(file)),
    inputShape: specInput,
    encoder,
    timeSteps,
    layers,
    ...(meta.classNames && meta.classNames.length === walk.shape[0] ? { classNames: meta.classNames } : {}),
  };
  try {
    const resolved = validateSpec(spec);
    checkParams(resolved, params, file);
  } catch (err) {
    if (err instanceof SnnError) throw new SnnError(err.kind, `${file}: ${err.message}`);
    throw err;
  }
  const resets = [...new Set(layers.flatMap((l) => (l.kind === 'clif' ? [l.reset] : [])))];
  const checkpoint: Checkpoint = {
    spec,
    params,
    history: [],
    training: { importedFrom: { format: 'nir', file: basename(file), nirVersion: version, source: meta.source, dt, timeSteps, encoder: encoder.kind } },
  };
  const summary = `imported ${file} (NIR ${version ?? 'version unstated'}${meta.source ? `, from ${meta.source}` : ''}): ${layers.length} layers, ${neuronsSeen} neuron layers, `
    + `dt = ${dt} s (${dtSource}), T = ${timeSteps} (${options.timeSteps !== undefined ? '--time-steps' : meta.timeSteps !== undefined ? 'metadata' : 'default'}), `
    + `encoder ${encoder.kind}, reset ${resets.join('/') || 'none'}, `
    + (layers[layers.length - 1].kind === 'readout' ? 'output: mean membrane of the readout' : `output: spike counts of '${layers[layers.length - 1].name}'`);
  return { checkpoint, summary };
}
