import { SnnError } from '../errors.ts';
import { shown } from '../util/shown.ts';
import { SPEC_LIMITS } from './limits.ts';
import type { ClifLayer, Conv2dLayer, DenseLayer, Layer, NetworkSpec, ReadoutLayer } from './types.ts';
import { SPEC_VERSION } from './types.ts';

/** A layer with its resolved name and its output shape (per sample, per step). */
export interface ResolvedLayer<L extends Layer = Layer> {
  layer: L;
  name: string;
  index: number;
  inShape: number[];
  outShape: number[];
}

/**
 * A block is what the compiler lowers as one unit: an optional flatten, one weighted layer
 * (dense or conv2d), pooling/flatten on the synaptic input, then one neuron layer.
 */
export interface Block {
  weighted: ResolvedLayer<DenseLayer | Conv2dLayer>;
  /** Pooling and flatten applied to the weighted layer's output, in order. */
  post: ResolvedLayer[];
  /** Flatten layers applied to the block input before the weighted layer. */
  pre: ResolvedLayer[];
  neuron: ResolvedLayer<ClifLayer | ReadoutLayer>;
  /** Shape of the block's input (spikes or the encoded image) per sample. */
  inShape: number[];
  /** Shape of the block's neuron state and output per sample. */
  outShape: number[];
}

/**
 * What the network's class scores are: `'membrane'`, the mean over time of a non-spiking readout's
 * membrane (the paper's decoder, the default), or `'spikes'`, the spike counts of a last spiking C-LIF
 * layer (as snnTorch's tutorials and the chips report them). Either way the predicted class is the
 * highest score, ties going to the lowest class index.
 */
export type OutputKind = 'membrane' | 'spikes';

export interface ResolvedSpec {
  spec: NetworkSpec;
  layers: ResolvedLayer[];
  blocks: Block[];
  classes: number;
  /** How the last block's output becomes class scores. */
  output: OutputKind;
}

/** The output kind of a network whose last neuron layer is `layer`. */
export const outputKindOf = (layer: Layer): OutputKind => (layer.kind === 'readout' ? 'membrane' : 'spikes');

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

const KINDS = ['dense', 'conv2d', 'avgpool', 'maxpool', 'flatten', 'clif', 'readout'];

function fail(where: string, what: string): never {
  throw new SnnError('invalidSpec', `${where}: ${what}`);
}

function positiveInt(v: unknown, where: string, field: string, max?: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(where, `'${field}' must be a positive integer, got ${shown(v)}`);
  if (max !== undefined && v > max) fail(where, `'${field}' is ${v}, more than the limit of ${max}`);
  return v;
}

/** Refuses a layer output (or input) of more values than a layer may have, before anything is allocated. */
function checkNeurons(shape: number[], where: string): void {
  const n = size(shape);
  if (n > SPEC_LIMITS.neuronsPerLayer) fail(where, `shape [${shape}] holds ${n} values per step, more than the limit of ${SPEC_LIMITS.neuronsPerLayer} neurons per layer`);
}

function unitInterval(v: unknown, where: string, field: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(where, `'${field}' must be a number in [0, 1], got ${shown(v)}`);
  return v;
}

/** The output shape of one layer, or a message naming the layer when it does not fit its input. */
function outputShape(layer: Layer, inShape: number[], where: string): number[] {
  switch (layer.kind) {
    case 'dense':
      positiveInt(layer.units, where, 'units', SPEC_LIMITS.units);
      if (inShape.length !== 1) fail(where, `dense needs a flat input, got shape [${inShape}]; add a flatten layer before it`);
      return [layer.units];
    case 'conv2d': {
      positiveInt(layer.channels, where, 'channels', SPEC_LIMITS.units);
      const k = positiveInt(layer.kernel, where, 'kernel', SPEC_LIMITS.kernel);
      const s = positiveInt(layer.stride ?? 1, where, 'stride', SPEC_LIMITS.kernel);
      const p = layer.padding ?? 0;
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 0) fail(where, `'padding' must be a non-negative integer, got ${shown(p)}`);
      if (p > SPEC_LIMITS.kernel) fail(where, `'padding' is ${p}, more than the limit of ${SPEC_LIMITS.kernel}`);
      if (inShape.length !== 3) fail(where, `conv2d needs a [C, H, W] input, got shape [${inShape}]`);
      const [, h, w] = inShape;
      if (k > h + 2 * p || k > w + 2 * p) fail(where, `kernel ${k}×${k} is larger than its ${h}×${w} input map (padding ${p})`);
      return [layer.channels, Math.floor((h + 2 * p - k) / s) + 1, Math.floor((w + 2 * p - k) / s) + 1];
    }
    case 'avgpool':
    case 'maxpool': {
      const k = positiveInt(layer.size, where, 'size', SPEC_LIMITS.kernel);
      if (inShape.length !== 3) fail(where, `${layer.kind} needs a [C, H, W] input, got shape [${inShape}]`);
      const [c, h, w] = inShape;
      if (k > h || k > w) fail(where, `pooling window ${k}×${k} is larger than its ${h}×${w} input map`);
      return [c, Math.floor(h / k), Math.floor(w / k)];
    }
    case 'flatten':
      return [size(inShape)];
    case 'clif':
      unitInterval(layer.alpha, where, 'alpha');
      unitInterval(layer.beta, where, 'beta');
      if (layer.theta !== undefined && !(typeof layer.theta === 'number' && layer.theta > 0)) fail(where, `'theta' must be a positive number, got ${shown(layer.theta)}`);
      if (layer.reset !== undefined && layer.reset !== 'subtract' && layer.reset !== 'zero') fail(where, `'reset' must be 'subtract' or 'zero', got ${shown(layer.reset)}`);
      return inShape;
    case 'readout':
      unitInterval(layer.alpha, where, 'alpha');
      unitInterval(layer.beta, where, 'beta');
      if (inShape.length !== 1) fail(where, `the readout needs a flat input, got shape [${inShape}]`);
      return inShape;
    default:
      fail(where, `unknown layer kind ${shown((layer as { kind: unknown }).kind)}; known: ${KINDS.join(', ')}`);
  }
}

/** Default layer names: kind plus a 1-based count per kind (`dense1`, `clif2`), deterministic. */
function resolveNames(layers: Layer[]): string[] {
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  return layers.map((layer, i) => {
    const n = (counts.get(layer.kind) ?? 0) + 1;
    counts.set(layer.kind, n);
    const name = layer.name ?? `${layer.kind}${n}`;
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(`layer ${i + 1}`, `name ${shown(name)} must be an identifier (letters, digits, _)`);
    if (seen.has(name)) fail(`layer ${i + 1} (${layer.kind} '${name}')`, 'duplicate layer name');
    seen.add(name);
    return name;
  });
}

/**
 * Checks a spec and works out every layer's shape and the compiler's blocks. Throws an
 * `invalidSpec` SnnError naming the layer (1-based index, kind and name) that does not fit.
 */
export function validateSpec(spec: NetworkSpec): ResolvedSpec {
  if (typeof spec !== 'object' || spec === null) fail('spec', 'must be a JSON object');
  if (spec.version !== SPEC_VERSION) fail('spec', `version ${shown(spec.version)} is not supported (expected ${String(SPEC_VERSION)})`);
  if (!Array.isArray(spec.inputShape) || spec.inputShape.length === 0 || spec.inputShape.length > 3) fail('spec.inputShape', `must be an array of 1 to 3 positive integers, got ${shown(spec.inputShape)}`);
  spec.inputShape.forEach((d, i) => positiveInt(d, 'spec.inputShape', `[${i}]`, SPEC_LIMITS.neuronsPerLayer));
  checkNeurons(spec.inputShape, 'spec.inputShape');
  positiveInt(spec.timeSteps, 'spec', 'timeSteps', SPEC_LIMITS.timeSteps);
  if (typeof spec.name !== 'string') fail('spec', `'name' must be a string, got ${shown(spec.name)}`);
  const enc = spec.encoder;
  if (typeof enc !== 'object' || enc === null || !['direct', 'rate', 'events'].includes(enc.kind)) fail('spec.encoder', `kind must be 'direct', 'rate' or 'events', got ${shown(enc?.kind)}`);
  if (enc.kind === 'rate' && !Number.isInteger(enc.seed)) fail('spec.encoder', `rate encoder needs an integer 'seed'`);
  if (enc.kind === 'events' && (spec.inputShape.length !== 3 || spec.inputShape[0] !== 2)) fail('spec.inputShape', `event input must be [2, H, W] (ON/OFF), got [${spec.inputShape}]`);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) fail('spec.layers', 'must be a non-empty array');
  if (spec.layers.length > SPEC_LIMITS.layers) fail('spec.layers', `${spec.layers.length} layers, more than the limit of ${SPEC_LIMITS.layers}`);
  spec.layers.forEach((layer, i) => {
    if (typeof layer !== 'object' || layer === null || Array.isArray(layer)) fail(`layer ${i + 1}`, `must be an object with a 'kind', got ${shown(layer)}`);
    if (!KINDS.includes((layer as { kind: unknown }).kind as string)) fail(`layer ${i + 1}`, `unknown layer kind ${shown((layer as { kind: unknown }).kind)}; known: ${KINDS.join(', ')}`);
  });

  const names = resolveNames(spec.layers);
  const layers: ResolvedLayer[] = [];
  let shape = spec.inputShape;
  let parameters = 0, neurons = 0, connections = 0;
  spec.layers.forEach((layer, index) => {
    const where = `layer ${index + 1} (${layer.kind} '${names[index]}')`;
    const outShape = outputShape(layer, shape, where);
    checkNeurons(outShape, where);
    neurons += size(outShape);
    if (neurons > SPEC_LIMITS.totalNeurons) fail(where, `brings the network to ${neurons} layer outputs per step, more than the limit of ${SPEC_LIMITS.totalNeurons}`);
    if (layer.kind === 'dense' || layer.kind === 'conv2d') {
      const fan = layer.kind === 'dense' ? shape[0] : shape[0] * layer.kernel * layer.kernel;
      const outputs = layer.kind === 'dense' ? layer.units : layer.channels;
      parameters += outputs * fan + (layer.bias === false ? 0 : outputs);
      if (parameters > SPEC_LIMITS.parameters) fail(where, `brings the network to ${parameters} parameters, more than the limit of ${SPEC_LIMITS.parameters}`);
      connections += size(outShape) * fan;
      if (connections > SPEC_LIMITS.connections) fail(where, `brings the network to ${connections} synaptic connections per step, more than the limit of ${SPEC_LIMITS.connections}`);
    }
    layers.push({ layer, name: names[index], index, inShape: shape, outShape });
    shape = outShape;
  });

  const blocks = groupBlocks(layers);
  const unrolled = spec.timeSteps * blocks.length;
  if (unrolled > SPEC_LIMITS.unrolledSteps) fail('spec', `${spec.timeSteps} time steps × ${blocks.length} neuron layers = ${unrolled} unrolled steps, more than the limit of ${SPEC_LIMITS.unrolledSteps}`);
  const last = blocks[blocks.length - 1].neuron;
  if (last.outShape.length !== 1) fail(describe(last), `the output layer needs a flat input (one neuron per class), got shape [${last.outShape}]; add a flatten layer before its dense layer`);
  blocks.slice(0, -1).forEach((b) => { if (b.neuron.layer.kind === 'readout') fail(describe(b.neuron), 'a readout is non-spiking and must be the last neuron layer'); });
  const classes = last.outShape[0];
  if (spec.classNames !== undefined && (!Array.isArray(spec.classNames) || spec.classNames.length !== classes)) {
    fail('spec.classNames', `must list ${classes} names (the output size), got ${Array.isArray(spec.classNames) ? spec.classNames.length : shown(spec.classNames)}`);
  }
  if (spec.classNames?.some((c) => typeof c !== 'string')) fail('spec.classNames', 'must be strings');
  return { spec, layers, blocks, classes, output: outputKindOf(last.layer) };
}

export function describe(r: ResolvedLayer): string {
  return `layer ${r.index + 1} (${r.layer.kind} '${r.name}')`;
}

function groupBlocks(layers: ResolvedLayer[]): Block[] {
  const blocks: Block[] = [];
  let pre: ResolvedLayer[] = [];
  let weighted: ResolvedLayer<DenseLayer | Conv2dLayer> | undefined;
  let post: ResolvedLayer[] = [];
  let blockIn: number[] | undefined;
  for (const r of layers) {
    const k = r.layer.kind;
    if (blocks.length > 0 && blocks[blocks.length - 1].neuron.layer.kind === 'readout') fail(describe(r), 'nothing may follow the readout layer');
    if (k === 'dense' || k === 'conv2d') {
      if (weighted) fail(describe(r), `two weighted layers without a neuron layer between them (after ${describe(weighted)})`);
      weighted = r as ResolvedLayer<DenseLayer | Conv2dLayer>;
      blockIn ??= r.inShape;
    } else if (k === 'flatten') {
      if (weighted) post.push(r); else { pre.push(r); blockIn ??= r.inShape; }
    } else if (k === 'avgpool' || k === 'maxpool') {
      if (!weighted) fail(describe(r), 'pooling acts on the synaptic input: put it after a dense or conv2d layer and before the neuron layer');
      post.push(r);
    } else {
      if (!weighted) fail(describe(r), 'a neuron layer needs a dense or conv2d layer before it');
      blocks.push({ weighted, post, pre, neuron: r as ResolvedLayer<ClifLayer | ReadoutLayer>, inShape: blockIn!, outShape: r.outShape });
      weighted = undefined; pre = []; post = []; blockIn = undefined;
    }
  }
  if (weighted || pre.length || post.length) fail(describe(layers[layers.length - 1]), 'the network must end with a neuron layer (a readout, or a spiking clif output layer)');
  return blocks;
}

/** Number of elements of a shape. */
export { size as shapeSize };
