/**
 * Checkpoint → NIR graph file (HDF5), in the layout `nir.write` produces
 * (NIR's `nir/serialization.py` layout, exporters/nir/README.md) and within what every NIR reader since 1.0.5 accepts.
 */
import { basename } from 'node:path';
import type { Checkpoint } from '../../src/checkpoint/checkpoint.ts';
import { SnnError } from '../../src/errors.ts';
import { checkParams } from '../../src/spec/params.ts';
import type { ResetMode } from '../../src/spec/types.ts';
import { describe, validateSpec } from '../../src/spec/validate.ts';
import type { ResolvedLayer } from '../../src/spec/validate.ts';
import type { Tensor } from '../../src/util/tensor.ts';
import { cubaFromDecays, DEFAULT_DT, NIR_VERSION, TIME_UNIT } from './convention.ts';
import type { Group } from './h5.ts';
import { writeFloat32, writeFloat64, writeHdf5, writeInt64, writeString, writeStringTable } from './h5.ts';
import { VERSION } from '../../src/version.ts';

/** How average pooling is written: NIR `AvgPool2d`, or `SumPool2d` with 1/k² folded into the weights before it. */
export type PoolingForm = 'avg' | 'sum';

/**
 * How the non-spiking readout is written. No NIR reader maps `CubaLI`; `LI` → `LI` in series is
 * the same neuron in NIR's own equations (Norse maps LI); a `CubaLIF` whose threshold the
 * membrane cannot reach is the same membrane for readers that only have spiking neurons (their
 * output is then its never-firing spikes, so they must read the membrane).
 */
export type NirReadoutForm = 'cubali' | 'li' | 'cubalif';
export const NIR_READOUT_FORMS: readonly NirReadoutForm[] = ['li', 'cubali', 'cubalif'];

/**
 * How spiking layers are written: `simplest`, the simplest NIR neuron that is exact for the
 * layer's constants (alpha = 0 and beta = 1: `IF`; alpha = 0: `LIF`; else `CubaLIF`), or
 * `cubalif`, every layer as `CubaLIF` (alpha = 0 is tau_syn = dt), which every reader we measured maps.
 */
export type NirNeuronForm = 'simplest' | 'cubalif';
export const NIR_NEURON_FORMS: readonly NirNeuronForm[] = ['simplest', 'cubalif'];

/**
 * The NIR readers `--reader` writes for: the forms each maps (README, "NIR interop", measured with
 * their own importers). Norse and lava-dl map `SumPool2d` but not `AvgPool2d`, snnTorch the
 * reverse; only Norse maps `LI`; lava-dl maps no `LIF` and snnTorch's `IF` leaks (beta 0.9), so
 * every spiking layer is a `CubaLIF`; lava-dl takes no conv bias.
 */
export const NIR_READERS = {
  snntorch: { readout: 'cubalif', pooling: 'avg', neurons: 'cubalif', bias: true, stateScale: 1, leak: false },
  // Norse ignores r, so a neuron without leak (beta 1: tau = ∞, r = ∞) integrates nothing there (measured).
  norse: { readout: 'li', pooling: 'sum', neurons: 'cubalif', bias: true, stateScale: 1, leak: true },
  // lava-dl keeps neuron state as integers of 1/4096 and truncates every product: weights and
  // thresholds ×256 (a power of two, so the network computes exactly the same in float) move its
  // rounding 256 times further below the threshold. State stays far inside int32 (|v|·4096·256 < 2^31 for |v| < 2048 thresholds).
  'lava-dl': { readout: 'cubalif', pooling: 'sum', neurons: 'cubalif', bias: false, stateScale: 256, leak: false },
} as const satisfies Record<string, { readout: NirReadoutForm; pooling: PoolingForm; neurons: NirNeuronForm; bias: boolean; stateScale: number; leak: boolean }>;
export type NirReader = keyof typeof NIR_READERS;

/** Options of `snn-export export nir`. */
export interface NirExportOptions {
  /** Time step in seconds that the time constants are computed for (default 1e-4, snnTorch's). */
  dt: number;
  /**
   * Export a network whose neurons reset by subtraction. NIR can only express reset-to-value, so
   * readers that ignore our metadata will reset to 0 instead; refused unless this is set.
   */
  allowSubtractReset: boolean;
  pooling: PoolingForm;
  /** How the readout is written (default `li`). */
  readout?: NirReadoutForm;
  /** How spiking layers are written (default `simplest`). */
  neurons?: NirNeuronForm;
  /** The reader the file is written for, if one was named: its limits are checked before writing. */
  reader?: NirReader;
  /** Written to the graph metadata as `source`. */
  sourceName?: string;
}

/** One NIR node: its key in the graph, its class name, and how its fields are written. */
interface NirNode {
  key: string;
  type: string;
  write(g: Group): void;
}

const filled = (n: number, v: number): Float64Array => new Float64Array(n).fill(v);
const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function scaled(t: Tensor, factor: number): Float32Array {
  if (factor === 1) return t.data;
  return t.data.map((v) => Math.fround(v * factor));
}

/** Names no layer uses, so that `input` and `output` never collide with a layer called that. */
function freeKey(base: string, taken: Set<string>): string {
  let key = base;
  for (let i = 1; taken.has(key); i++) key = `${base}_${i}`;
  taken.add(key);
  return key;
}

/**
 * Works out the NIR graph of a checkpoint, refusing what NIR cannot express: max pooling
 * (naming the layer, suggesting average or sum pooling) and, unless allowed, subtract reset.
 */
function buildNirGraph(ck: Checkpoint, options: NirExportOptions): { nodes: NirNode[]; edges: string[][]; metadata: (g: Group) => void } {
  const resolved = validateSpec(ck.spec);
  checkParams(resolved, ck.params, 'checkpoint');
  const { spec } = resolved;
  const { dt } = options;
  if (!(dt > 0 && Number.isFinite(dt))) throw new SnnError('usage', `option --dt: must be a positive number of seconds, got ${dt}`);

  const maxpool = resolved.layers.find((r) => r.layer.kind === 'maxpool');
  if (maxpool) {
    throw new SnnError('doesNotFit', `${describe(maxpool)}: NIR has no max pooling; retrain with average pooling (train --target snntorch, norse or lava-dl does that, or a spec with "kind": "avgpool")`);
  }
  const resets = new Map<string, ResetMode>();
  for (const r of resolved.layers) if (r.layer.kind === 'clif') resets.set(r.name, r.layer.reset ?? 'subtract');
  const subtracting = [...resets].filter(([, mode]) => mode === 'subtract').map(([name]) => name);
  if (subtracting.length && !options.allowSubtractReset) {
    throw new SnnError('doesNotFit', `layer '${subtracting[0]}' resets by subtraction, which NIR cannot express (its CubaLIF resets to v_reset): pass --allow-subtract-reset to export it anyway (recorded in the metadata; readers that ignore it reset to 0), or train with --reset zero (or --target snntorch, norse or lava-dl)`);
  }

  if (resolved.output === 'spikes' && options.readout !== undefined && !options.reader) {
    throw new SnnError('usage', `option --nir-readout cannot apply: ${spec.name} ends in the spiking layer '${resolved.blocks[resolved.blocks.length - 1].neuron.name}', not a readout; leave --nir-readout out`);
  }
  if (options.reader && NIR_READERS[options.reader].leak) {
    const leakless = resolved.blocks.find((b) => b.neuron.layer.beta === 1);
    if (leakless) throw new SnnError('doesNotFit', `${describe(leakless.neuron)} has beta 1 (no leak: tau = ∞), which ${options.reader} cannot run (it ignores NIR's r, so the neuron integrates nothing); train with --target ${options.reader} (beta below 1)`);
  }
  if (options.reader && !NIR_READERS[options.reader].bias) {
    const biased = resolved.blocks.find((b) => b.weighted.layer.bias !== false);
    if (biased) throw new SnnError('doesNotFit', `${describe(biased.weighted)} has a bias, which ${options.reader} does not take; train with --target ${options.reader} (no bias), or export without --reader`);
  }

  const stateScale = options.reader ? NIR_READERS[options.reader].stateScale : 1;
  // Average pooling written as SumPool2d needs 1/k² folded into the weighted layer of its block.
  const weightScale = new Map<string, number>();
  for (const block of resolved.blocks) {
    let factor = 1;
    if (options.pooling === 'sum') for (const p of block.post) if (p.layer.kind === 'avgpool') factor /= p.layer.size * p.layer.size;
    weightScale.set(block.weighted.name, factor * stateScale);
  }

  // A network that starts by flattening its input is written with a flat Input and no Flatten:
  // readers turn NIR's batch-free Flatten (start_dim 0) into one that also flattens the batch, so
  // only this form runs batched in them. The image shape goes to the metadata for our importer.
  const flatInput = resolved.layers[0]?.layer.kind === 'flatten' && spec.inputShape.length > 1;
  const layers = flatInput ? resolved.layers.slice(1) : resolved.layers;
  const taken = new Set(resolved.layers.map((r) => r.name));
  const inputKey = freeKey('input', taken);
  const outputKey = freeKey('output', taken);
  const nodes: NirNode[] = [{ key: inputKey, type: 'Input', write: (g) => writeInt64(g, 'shape', flatInput ? [count(spec.inputShape)] : spec.inputShape) }];
  const last = resolved.blocks[resolved.blocks.length - 1];
  const readout: ReadoutBlock = { weightLayer: last.weighted.name, timeSteps: spec.timeSteps, fedBySpikes: resolved.blocks.length > 1 };
  for (const r of layers) nodes.push(...layerNodes(r, ck.params, weightScale.get(r.name) ?? 1, options, taken, readout, stateScale));
  nodes.push({ key: outputKey, type: 'Output', write: (g) => writeInt64(g, 'shape', [resolved.classes]) });
  const edges = nodes.slice(1).map((n, i) => [nodes[i].key, n.key]);

  const modes = new Set(resets.values());
  const resetMode = modes.size === 0 ? 'none' : modes.size === 1 ? [...modes][0] : [...resets].map(([k, m]) => `${k}=${m}`).join(';');
  const metadata = (g: Group): void => {
    writeFloat64(g, 'dt', [dt], []);
    writeString(g, 'time_unit', TIME_UNIT);
    writeString(g, 'integrator', 'forward-euler');
    writeString(g, 'equations', 'I[t] = alpha*I[t-1] + x[t]; U[t] = beta*V[t-1] + I[t]; s[t] = U[t] > v_threshold; reset on the same step; alpha = 1 - dt/tau_syn, beta = 1 - dt/tau_mem');
    writeString(g, 'reset_mode', resetMode);
    writeString(g, 'source', `snn-export ${VERSION}${options.sourceName ? ` (${options.sourceName})` : ''}`);
    writeString(g, 'name', spec.name);
    writeInt64(g, 'time_steps', [spec.timeSteps], []);
    if (flatInput) writeInt64(g, 'input_shape', spec.inputShape);
    // Weights, biases and thresholds are this many times ours (our importer divides it out).
    if (stateScale !== 1) writeInt64(g, 'state_scale', [stateScale], []);
    writeString(g, 'output', resolved.output);
    if (resolved.output === 'membrane') writeString(g, 'readout', options.readout ?? 'li');
    writeString(g, 'encoder', spec.encoder.kind);
    if (spec.encoder.kind === 'rate') writeInt64(g, 'encoder_seed', [spec.encoder.seed], []);
    if (spec.classNames) writeStringTable(g, 'class_names', spec.classNames.map((c) => [c]));
  };
  return { nodes, edges, metadata };
}

/**
 * A threshold the readout's membrane cannot reach: |I| ≤ m·T and |U| ≤ m·T² for any decays ≤ 1,
 * with m the largest Σ|w| + |b| of a unit and inputs of at most 1 (spikes; a readout fed by the
 * input itself gets a bound of 1e6 per unit of input), rounded up to a power of ten, at least 1e6.
 */
function unreachableThreshold(params: Map<string, Tensor>, readout: ReadoutBlock): number {
  const { weightLayer, timeSteps, fedBySpikes } = readout;
  let m = 0;
  const weight = params.get(`${weightLayer}.weight`);
  const bias = params.get(`${weightLayer}.bias`);
  if (weight) {
    const rows = weight.shape[0], per = weight.data.length / rows;
    for (let o = 0; o < rows; o++) {
      let sum = Math.abs(bias?.data[o] ?? 0);
      for (let i = 0; i < per; i++) sum += Math.abs(weight.data[o * per + i]);
      m = Math.max(m, sum);
    }
  }
  const bound = m * timeSteps * timeSteps * (fedBySpikes ? 1 : 1e6);
  return 10 ** Math.max(6, Math.ceil(Math.log10(2 * bound + 1)));
}

/** What the unreachable threshold of a `cubalif` readout is computed from. */
interface ReadoutBlock { weightLayer: string; timeSteps: number; fedBySpikes: boolean }

function layerNodes(r: ResolvedLayer, params: Map<string, Tensor>, weightScale: number, options: NirExportOptions, taken: Set<string>, readout: ReadoutBlock, stateScale: number): NirNode[] {
  const { layer, name, outShape } = r;
  const form = options.readout ?? 'li';
  if (layer.kind !== 'readout' || form === 'cubali') return [layerNode(r, params, weightScale, options, stateScale)];
  const n = count(outShape);
  const c = cubaFromDecays(layer.alpha, layer.beta, options.dt);
  const common = (g: Group): void => writeFloat64(g, 'v_leak', filled(n, 0), outShape);
  if (form === 'li') {
    // I ← (1 − dt/τ_syn)·I + (dt/τ_syn)·w_in·x, then V ← (1 − dt/τ_mem)·V + (dt/τ_mem)·r·I: CubaLI's two stages.
    const synapse = freeKey(`${name}_syn`, taken);
    return [
      { key: synapse, type: 'LI', write: (g) => { writeFloat64(g, 'tau', filled(n, c.tau_syn), outShape); writeFloat64(g, 'r', filled(n, c.w_in), outShape); common(g); } },
      { key: name, type: 'LI', write: (g) => { writeFloat64(g, 'tau', filled(n, c.tau_mem), outShape); writeFloat64(g, 'r', filled(n, c.r), outShape); common(g); } },
    ];
  }
  const theta = unreachableThreshold(params, readout) * stateScale;
  return [{
    key: name, type: 'CubaLIF', write: (g) => {
      for (const [field, v] of [['tau_syn', c.tau_syn], ['tau_mem', c.tau_mem], ['r', c.r], ['w_in', c.w_in]] as const) writeFloat64(g, field, filled(n, v), outShape);
      common(g);
      writeFloat64(g, 'v_threshold', filled(n, theta), outShape);
    },
  }];
}

function layerNode(r: ResolvedLayer, params: Map<string, Tensor>, weightScale: number, options: NirExportOptions, stateScale: number): NirNode {
  const { layer, name, inShape, outShape } = r;
  const n = count(outShape);
  switch (layer.kind) {
    case 'dense': {
      const weight = params.get(`${name}.weight`)!;
      const bias = params.get(`${name}.bias`);
      return {
        key: name, type: bias ? 'Affine' : 'Linear', write: (g) => {
          writeFloat32(g, 'weight', scaled(weight, weightScale), weight.shape);
          if (bias) writeFloat32(g, 'bias', scaled(bias, weightScale), bias.shape);
        },
      };
    }
    case 'conv2d': {
      const weight = params.get(`${name}.weight`)!;
      const bias = params.get(`${name}.bias`);
      const s = layer.stride ?? 1, p = layer.padding ?? 0;
      return {
        key: name, type: 'Conv2d', write: (g) => {
          // Every reader needs input_shape (HEAD requires it), and NIR's Conv2d always has a bias.
          writeInt64(g, 'input_shape', inShape.slice(1));
          writeFloat32(g, 'weight', scaled(weight, weightScale), weight.shape);
          writeInt64(g, 'stride', [s, s]);
          writeInt64(g, 'padding', [p, p]);
          writeInt64(g, 'dilation', [1, 1]);
          writeInt64(g, 'groups', [1], []);
          writeFloat32(g, 'bias', bias ? scaled(bias, weightScale) : new Float32Array(layer.channels), [layer.channels]);
        },
      };
    }
    case 'avgpool': {
      const k = layer.size;
      return {
        key: name, type: options.pooling === 'sum' ? 'SumPool2d' : 'AvgPool2d', write: (g) => {
          writeInt64(g, 'kernel_size', [k, k]);
          writeInt64(g, 'stride', [k, k]);
          writeInt64(g, 'padding', [0, 0]);
        },
      };
    }
    case 'flatten':
      // NIR counts dims without the batch: flattening all of [C, H, W] is start_dim 0.
      return {
        key: name, type: 'Flatten', write: (g) => {
          writeInt64(g, 'input_type', inShape);
          writeInt64(g, 'start_dim', [0], []);
          writeInt64(g, 'end_dim', [-1], []);
        },
      };
    case 'clif':
    case 'readout': {
      const c = cubaFromDecays(layer.alpha, layer.beta, options.dt);
      // Parameters take the layer's full output shape, never scalars: NIR's type inference
      // compares them with the upstream output shape (snnTorch #334, #410).
      const write = (g: Group, field: string, v: number): void => writeFloat64(g, field, filled(n, v), outShape);
      const form = layer.kind === 'clif' && (options.neurons ?? 'simplest') === 'simplest' && layer.alpha === 0 ? (layer.beta === 1 ? 'IF' : 'LIF') : undefined;
      // v_reset is 0 for both our reset modes, so it is never written (readers ≤ 1.0.5 reject it).
      if (form === 'IF') {
        // v ← v + r·I per step, as snnTorch, Norse and lava-dl read IF (NIR's Euler form would be r·dt): r = 1.
        return { key: name, type: 'IF', write: (g) => { write(g, 'r', 1); write(g, 'v_threshold', ((layer as { theta?: number }).theta ?? 1) * stateScale); } };
      }
      if (form === 'LIF') {
        // tau·dv/dt = (v_leak − v) + r·I at Euler step dt: beta = 1 − dt/tau and r = tau/dt gives gain 1 (snnTorch's Leaky export).
        return { key: name, type: 'LIF', write: (g) => { write(g, 'tau', c.tau_mem); write(g, 'r', c.r); write(g, 'v_leak', 0); write(g, 'v_threshold', ((layer as { theta?: number }).theta ?? 1) * stateScale); } };
      }
      return {
        key: name, type: layer.kind === 'clif' ? 'CubaLIF' : 'CubaLI', write: (g) => {
          write(g, 'tau_syn', c.tau_syn);
          write(g, 'tau_mem', c.tau_mem);
          write(g, 'r', c.r);
          write(g, 'v_leak', c.v_leak);
          write(g, 'w_in', c.w_in);
          if (layer.kind === 'clif') write(g, 'v_threshold', (layer.theta ?? 1) * stateScale);
        },
      };
    }
    case 'maxpool':
      throw new Error('unreachable: max pooling is refused before nodes are built');
  }
}

/** Writes `ck` as a NIR graph to `outPath` atomically and returns a one-line summary. */
export async function exportNir(ck: Checkpoint, outPath: string, options: NirExportOptions): Promise<string> {
  const { nodes, edges, metadata } = buildNirGraph(ck, options);
  const bytes = await writeHdf5(outPath, (root) => {
    writeString(root, 'version', NIR_VERSION);
    const graph = root.create_group('node');
    writeString(graph, 'type', 'NIRGraph');
    writeStringTable(graph, 'edges', edges);
    metadata(graph.create_group('metadata'));
    const group = graph.create_group('nodes');
    for (const node of nodes) {
      const g = group.create_group(node.key);
      writeString(g, 'type', node.type);
      node.write(g);
    }
  });
  const resets = ck.spec.layers.some((l) => l.kind === 'clif' && (l.reset ?? 'subtract') === 'subtract')
    ? '; subtract reset recorded in metadata only (other readers reset to 0)' : '';
  return `wrote ${outPath}: NIR graph of ${nodes.length} nodes (${nodes.map((n) => n.type).join(' → ')}), dt = ${options.dt} s, ${bytes} bytes${resets}`;
}

/** Parses the exporter's command-line options (commander passes strings). */
export function nirExportOptions(opts: Record<string, unknown>, checkpointPath: string): NirExportOptions {
  const dt = opts.dt === undefined ? DEFAULT_DT : Number(opts.dt);
  if (!(dt > 0 && Number.isFinite(dt))) throw new SnnError('usage', `option --dt: must be a positive number of seconds, got '${String(opts.dt)}'`);
  const reader = opts.reader as string | undefined;
  if (reader !== undefined && !(reader in NIR_READERS)) throw new SnnError('usage', `option --reader: must be one of ${Object.keys(NIR_READERS).join(', ')}, got '${reader}'`);
  const preset = reader ? NIR_READERS[reader as NirReader] : undefined;
  // A form flag given with --reader must agree with the reader's form: it is refused rather than silently overridden.
  const pick = <T extends string>(flag: string, value: unknown, forms: readonly T[], fallback: T, wanted?: T): T => {
    const v = (value ?? wanted ?? fallback) as T;
    if (!forms.includes(v)) throw new SnnError('usage', `option --${flag}: must be one of ${forms.join(', ')}, got '${v}'`);
    if (wanted !== undefined && value !== undefined && v !== wanted) throw new SnnError('usage', `option --${flag} ${v} cannot apply with --reader ${reader}: ${reader} maps only '${wanted}'; leave --${flag} out`);
    return v;
  };
  // Left undefined when neither the flag nor a reader names it, so that a spiking-output network can refuse a given one.
  const readout = opts.nirReadout === undefined && !preset ? undefined : pick<NirReadoutForm>('nir-readout', opts.nirReadout, NIR_READOUT_FORMS, 'li', preset?.readout);
  const neurons = pick<NirNeuronForm>('nir-neurons', opts.nirNeurons, NIR_NEURON_FORMS, 'simplest', preset?.neurons);
  const pooling = pick<PoolingForm>('pooling', opts.pooling, ['avg', 'sum'], 'avg', preset?.pooling);
  return { dt, allowSubtractReset: opts.allowSubtractReset === true, pooling, readout, neurons, reader: reader as NirReader | undefined, sourceName: basename(checkpointPath) };
}
