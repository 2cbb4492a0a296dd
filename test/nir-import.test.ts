// NIR files as other tools write them (research/targets.md §1.5), built here with h5wasm, and
// malformed ones: each is read, converted or refused with one clear line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import h5wasm from 'h5wasm/node';
import type { Group } from 'h5wasm/node';
import { importNir } from '../exporters/nir/import.ts';
import type { NirImportOptions } from '../exporters/nir/import.ts';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { SnnError } from '../src/errors.ts';
import { clifParams, clifStep, zeroState } from '../src/neuron/clif.ts';
import type { ClifLayer } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { Random } from '../src/util/random.ts';
import type { Tensor } from '../src/util/tensor.ts';

await h5wasm.ready;
const dir = mkdtempSync(join(tmpdir(), 'nir-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// --- writing HDF5 the way h5py/nir.write does -------------------------------------------------

type Fields = Record<string, (g: Group, name: string) => void>;
const str = (v: string) => (g: Group, name: string) => { g.create_dataset({ name, data: v }); };
const i64 = (v: number[], shape = [v.length]) => (g: Group, name: string) => {
  g.create_dataset({ name, data: BigInt64Array.from(v, (x) => BigInt(x)), shape, dtype: '<q' });
};
/** A float dataset; `gzip` writes it chunked and deflated as nir.write does since HEAD. */
const float = (dtype: '<f' | '<d', v: ArrayLike<number>, shape: number[], gzip = false) => (g: Group, name: string) => {
  const data = dtype === '<f' ? Float32Array.from(v) : Float64Array.from(v);
  g.create_dataset({ name, data, shape, dtype, ...(gzip ? { chunks: shape, compression: 'gzip' as const, compression_opts: 4 } : {}) });
};
const f32 = (v: ArrayLike<number>, shape: number[], gzip = false) => float('<f', v, shape, gzip);
const f64 = (v: ArrayLike<number>, shape: number[], gzip = false) => float('<d', v, shape, gzip);
const full = (n: number, v: number, gzip = false) => f64(new Array(n).fill(v), [n], gzip);

function writeFields(g: Group, fields: Fields): void {
  // An undefined field is how a test leaves one out.
  for (const [name, write] of Object.entries(fields)) if (write) write(g, name);
}

interface NirFileSpec {
  version?: string;
  nodes: Record<string, Fields & { type?: never }>;
  types: Record<string, string>;
  edges: [string, string][];
  metadata?: (g: Group) => void;
  nested?: Record<string, (g: Group) => void>;
}

function writeNir(file: string, spec: NirFileSpec): string {
  const path = join(dir, file);
  const f = new h5wasm.File(path, 'w');
  try {
    if (spec.version) f.create_dataset({ name: 'version', data: spec.version });
    const graph = f.create_group('node');
    graph.create_dataset({ name: 'type', data: 'NIRGraph' });
    graph.create_dataset({ name: 'edges', data: spec.edges.flat(), shape: [spec.edges.length, 2] });
    if (spec.metadata) spec.metadata(graph.create_group('metadata'));
    const nodes = graph.create_group('nodes');
    for (const [key, fields] of Object.entries(spec.nodes)) {
      const g = nodes.create_group(key);
      g.create_dataset({ name: 'type', data: spec.types[key] });
      writeFields(g, fields);
    }
    for (const [key, build] of Object.entries(spec.nested ?? {})) build(nodes.create_group(key));
  } finally {
    f.close();
  }
  return path;
}

const rng = new Random(11);
const randoms = (n: number, scale = 1): number[] => Array.from({ length: n }, () => Math.fround(rng.uniform(-scale, scale)));

// snnTorch's convention at its hard-coded dt = 1e-4: alpha 0.9, beta 0.8.
const DT = 1e-4;
const snnTorchCuba = (n: number, alpha: number, beta: number): Fields => {
  const tauSyn = DT / (1 - alpha), tauMem = DT / (1 - beta);
  return { tau_syn: full(n, tauSyn), tau_mem: full(n, tauMem), r: full(n, tauMem / DT), v_leak: full(n, 0), w_in: full(n, tauSyn / DT) };
};

/** A dense chain input → fc1 → lif1 → fc2 → out → output, with node fields to override. */
function denseFile(file: string, override: Partial<Record<string, Fields>> = {}, types: Record<string, string> = {}, extra: Partial<NirFileSpec> = {}): string {
  const w1 = randoms(30 * 12, 0.5), b1 = randoms(12, 0.1), w2 = randoms(4 * 12, 0.5), b2 = randoms(4, 0.1);
  return writeNir(file, {
    version: '1.0.4',
    types: { input: 'Input', fc1: 'Affine', lif1: 'CubaLIF', fc2: 'Affine', out: 'CubaLI', output: 'Output', ...types },
    nodes: {
      input: { shape: i64([30]) },
      fc1: { weight: f32(w1, [12, 30]), bias: f32(b1, [12]) },
      lif1: { ...snnTorchCuba(12, 0.9, 0.8), v_threshold: full(12, 1) },
      fc2: { weight: f32(w2, [4, 12]), bias: f32(b2, [4]) },
      out: snnTorchCuba(4, 0.9, 0.8),
      output: { shape: i64([4]) },
      ...override,
    },
    edges: [['input', 'fc1'], ['fc1', 'lif1'], ['lif1', 'fc2'], ['fc2', 'out'], ['out', 'output']],
    ...extra,
  });
}

/** Runs the import and returns the SnnError it throws. */
async function refusal(path: string, options: NirImportOptions = {}): Promise<SnnError> {
  try {
    await importNir(path, options);
  } catch (err) {
    assert.ok(err instanceof SnnError, `expected an SnnError, got ${(err as Error)?.stack}`);
    assert.ok(!err.message.includes('\n'), `not one line: ${err.message}`);
    return err;
  }
  assert.fail(`${path} was imported, expected a refusal`);
}

// --- files other tools write ------------------------------------------------------------------

test('a legacy snnTorch-style file (no v_reset, float64 params, keys "0", "1") imports with snnTorch defaults', async () => {
  const w1 = randoms(8 * 6), w2 = randoms(3 * 8);
  const path = writeNir('snntorch.nir', {
    version: '1.0.4',
    types: { input: 'Input', 0: 'Affine', 1: 'CubaLIF', 2: 'Linear', 3: 'CubaLI', output: 'Output' },
    nodes: {
      input: { shape: i64([6]) },
      0: { weight: f32(w1, [8, 6]), bias: f32(randoms(8), [8]) },
      1: { ...snnTorchCuba(8, 0.9, 0.8), v_threshold: full(8, 1.5) },
      2: { weight: f32(w2, [3, 8]) },
      3: snnTorchCuba(3, 0.95, 0.5),
      output: { shape: i64([3]) },
    },
    edges: [['input', '0'], ['0', '1'], ['1', '2'], ['2', '3'], ['3', 'output']],
  });
  const { checkpoint, summary } = await importNir(path);
  const { spec, params } = checkpoint;
  assert.deepEqual(spec.layers, [
    { kind: 'dense', name: 'n0', units: 8, bias: true },
    { kind: 'clif', name: 'n1', alpha: 0.9, beta: 0.8, theta: 1.5, reset: 'zero' },
    { kind: 'dense', name: 'n2', units: 3, bias: false },
    { kind: 'readout', name: 'n3', alpha: 0.95, beta: 0.5 },
  ]);
  assert.deepEqual(spec.inputShape, [6]);
  assert.equal(spec.timeSteps, 25);
  assert.deepEqual(spec.encoder, { kind: 'direct' });
  // snnTorch's convention has gain 1: the weights carry over bit for bit.
  assert.deepEqual(params.get('n0.weight')!.data, Float32Array.from(w1));
  assert.deepEqual(params.get('n2.weight')!.data, Float32Array.from(w2));
  assert.match(summary, /dt = 0\.0001 s \(default; the file states none\)/);
  assert.match(summary, /NIR 1\.0\.4/);
});

/** One layer of the reference simulation: Affine weights, then a NIR neuron node. */
interface SimLayer { w: number[]; b: number[]; out: number; inF: number; neuron: Record<string, number>; type: string }

/** NIR's CubaLIF/CubaLI/LI equations, forward Euler in float64 with the current updated first, reset to v_reset = 0. */
function simulateNir(layers: SimLayer[], x: number[], T: number, dt: number) {
  const state = layers.map((l) => ({ i: new Float64Array(l.out), v: new Float64Array(l.out) }));
  const scores = new Float64Array(layers[layers.length - 1].out);
  let spikes = 0;
  for (let t = 0; t < T; t++) {
    let input = x;
    layers.forEach((l, k) => {
      const s = Array.from({ length: l.out }, (_, o) => l.b[o] + l.w.slice(o * l.inF, (o + 1) * l.inF).reduce((a, w, i) => a + w * input[i], 0));
      const { i: I, v } = state[k];
      const n = l.neuron;
      const z: number[] = [];
      for (let o = 0; o < l.out; o++) {
        if (l.type === 'LI' || l.type === 'LIF') {
          v[o] += (dt / n.tau) * (n.v_leak - v[o] + n.r * s[o]);
        } else {
          I[o] += (dt / n.tau_syn) * (-I[o] + n.w_in * s[o]);
          v[o] += (dt / n.tau_mem) * (n.v_leak - v[o] + n.r * I[o]);
        }
        if (l.type === 'CubaLIF' || l.type === 'LIF') {
          const fire = v[o] > n.v_threshold ? 1 : 0;
          if (fire) v[o] = 0;
          z.push(fire);
          spikes += fire;
        } else {
          z.push(v[o]);
          scores[o] += v[o] / T;
        }
      }
      input = z;
    });
  }
  return { scores, spikes };
}

/** Our side: the imported spec run with clifStep (dense layers only). */
function runImported(spec: ReturnType<typeof validateSpec>, params: Map<string, Tensor>, x: number[]) {
  const states = spec.blocks.map((b) => zeroState(b.outShape[0]));
  const scores = new Float64Array(spec.classes);
  let spikes = 0;
  for (let t = 0; t < spec.spec.timeSteps; t++) {
    let input = Float32Array.from(x);
    spec.blocks.forEach((block, k) => {
      const w = params.get(`${block.weighted.name}.weight`)!, b = params.get(`${block.weighted.name}.bias`);
      const [out, inF] = w.shape;
      const z = new Float32Array(out).map((_, o) => (b ? b.data[o] : 0) + w.data.subarray(o * inF, (o + 1) * inF).reduce((a, wi, i) => a + wi * input[i], 0));
      const s = new Float32Array(out), u = new Float32Array(out);
      clifStep(z, states[k], clifParams(block.neuron.layer), s, u);
      if (block.neuron.layer.kind === 'readout') u.forEach((v, o) => { scores[o] += v / spec.spec.timeSteps; });
      else spikes += s.reduce((a, v) => a + v, 0);
      input = s;
    });
  }
  return { scores, spikes };
}

test("a Norse-style file (r = w_in = 1, gzip datasets, nested metadata) imports so that our network computes NIR's Euler equations", async () => {
  const dt = 1e-3;
  const layers: SimLayer[] = [
    { type: 'CubaLIF', inF: 5, out: 6, w: randoms(30, 1.5), b: randoms(6, 0.2), neuron: { tau_syn: 5e-3, tau_mem: 1e-2, r: 1, w_in: 1, v_leak: 0, v_threshold: 0.05 } },
    { type: 'LIF', inF: 6, out: 5, w: randoms(30, 2), b: randoms(5, 0.2), neuron: { tau: 4e-3, r: 1, v_leak: 0, v_threshold: 0.2 } },
    { type: 'LI', inF: 5, out: 3, w: randoms(15, 1), b: randoms(3, 0.1), neuron: { tau: 2e-2, r: 1, v_leak: 0 } },
  ];
  const nodes: NirFileSpec['nodes'] = { input: { shape: i64([5]) }, output: { shape: i64([3]) } };
  const types: Record<string, string> = { input: 'Input', output: 'Output' };
  const chain = ['input'];
  layers.forEach((l, k) => {
    nodes[`linear${k}`] = { weight: f32(l.w, [l.out, l.inF], true), bias: f32(l.b, [l.out], true) };
    types[`linear${k}`] = 'Affine';
    nodes[`neuron${k}`] = Object.fromEntries(Object.entries(l.neuron).map(([name, v]) => [name, full(l.out, v, true)]));
    types[`neuron${k}`] = l.type;
    chain.push(`linear${k}`, `neuron${k}`);
  });
  chain.push('output');
  const path = writeNir('norse.nir', {
    version: '0.2.0', nodes, types,
    edges: chain.slice(1).map((k, i) => [chain[i], k] as [string, string]),
    metadata: (g) => {
      g.create_dataset({ name: 'dt', data: dt });
      const tool = g.create_group('tool');
      tool.create_dataset({ name: 'name', data: 'norse' });
      tool.create_group('settings').create_dataset({ name: 'dt_default', data: 1e-3 });
    },
  });
  const { checkpoint, summary } = await importNir(path, { timeSteps: 30 });
  assert.match(summary, /dt = 0\.001 s \(metadata\)/);
  const [l0, l1, l2] = checkpoint.spec.layers.filter((l) => l.kind !== 'dense');
  assert.deepEqual([l0, l1, l2].map((l) => l.kind), ['clif', 'clif', 'readout']);
  assert.equal((l0 as ClifLayer).alpha, 0.8);
  assert.equal((l0 as ClifLayer).beta, 0.9);
  assert.equal((l1 as ClifLayer).alpha, 0);
  assert.equal((l1 as ClifLayer).beta, 0.75);
  const resolved = validateSpec(checkpoint.spec);
  const inputs = [randoms(5, 1), randoms(5, 1), randoms(5, 1), [1, 1, 1, 1, 1]];
  let spikes = 0;
  for (const x of inputs) {
    const ours = runImported(resolved, checkpoint.params, x);
    const nir = simulateNir(layers, x, 30, dt);
    assert.equal(ours.spikes, nir.spikes, 'spike counts differ');
    ours.scores.forEach((v, i) => assert.ok(Math.abs(v - nir.scores[i]) <= 1e-5 + 1e-4 * Math.abs(nir.scores[i]), `score ${i}: ${v} vs ${nir.scores[i]}`));
    spikes += nir.spikes;
  }
  assert.ok(spikes > 0, 'no spikes: the thresholds would be untested');
});

test('a conv file with sum pooling, int padding scalars, "same" padding and a batch-counting Flatten imports', async () => {
  const w1 = randoms(4 * 1 * 3 * 3), w2 = randoms(5 * 4 * 3 * 3);
  const path = writeNir('conv.nir', {
    version: '1.0.7',
    types: { input: 'Input', conv1: 'Conv2d', pool1: 'SumPool2d', lif1: 'CubaLIF', conv2: 'Conv2d', pool2: 'AvgPool2d', lif2: 'LIF', flat: 'Flatten', fc: 'Affine', out: 'CubaLI', output: 'Output' },
    nodes: {
      input: { shape: i64([1, 8, 8]) },
      conv1: { input_shape: i64([8, 8]), weight: f32(w1, [4, 1, 3, 3], true), stride: i64([1], []), padding: str('same'), dilation: i64([1], []), groups: i64([1], []), bias: f32(randoms(4), [4]) },
      pool1: { kernel_size: i64([2, 2]), stride: i64([2, 2]), padding: i64([0, 0]) },
      lif1: { ...snnTorchCuba(4 * 4 * 4, 0.9, 0.8), v_threshold: full(64, 1) },
      conv2: { input_shape: i64([4, 4]), weight: f32(w2, [5, 4, 3, 3]), stride: i64([1, 1]), padding: i64([1, 1]), dilation: i64([1, 1]), groups: i64([1], []), bias: f32(new Array(5).fill(0), [5]) },
      pool2: { kernel_size: i64([2], []), stride: i64([2], []), padding: i64([0], []) },
      lif2: { tau: f64(new Array(20).fill(DT / 0.2), [5, 2, 2]), r: f64(new Array(20).fill(5), [5, 2, 2]), v_leak: f64(new Array(20).fill(0), [5, 2, 2]), v_threshold: f64(new Array(20).fill(1), [5, 2, 2]) },
      flat: { input_type: i64([5, 2, 2]), start_dim: i64([1], []), end_dim: i64([-1], []) },
      fc: { weight: f32(randoms(3 * 20), [3, 20]), bias: f32(randoms(3), [3]) },
      out: snnTorchCuba(3, 0.9, 0.8),
      output: { shape: i64([3]) },
    },
    edges: [['input', 'conv1'], ['conv1', 'pool1'], ['pool1', 'lif1'], ['lif1', 'conv2'], ['conv2', 'pool2'], ['pool2', 'lif2'], ['lif2', 'flat'], ['flat', 'fc'], ['fc', 'out'], ['out', 'output']],
  });
  const { checkpoint } = await importNir(path, { dt: DT, encoder: { kind: 'rate', seed: 3 }, timeSteps: 8 });
  assert.deepEqual(checkpoint.spec.layers.map((l) => l.kind), ['conv2d', 'avgpool', 'clif', 'conv2d', 'avgpool', 'clif', 'flatten', 'dense', 'readout']);
  assert.deepEqual(checkpoint.spec.layers[0], { kind: 'conv2d', name: 'conv1', channels: 4, kernel: 3, stride: 1, padding: 1, bias: true });
  // A zero bias is how NIR writers say "no bias".
  assert.equal((checkpoint.spec.layers[3] as { bias?: boolean }).bias, false);
  // LIF: no synaptic filter, beta = 1 − dt/tau.
  assert.equal((checkpoint.spec.layers[5] as ClifLayer).alpha, 0);
  assert.equal((checkpoint.spec.layers[5] as ClifLayer).beta, 0.8);
  // Sum pooling = 4 × average pooling: the 4 lands in the conv weights (exactly, a power of two).
  assert.deepEqual(checkpoint.params.get('conv1.weight')!.data, Float32Array.from(w1, (v) => v * 4));
  assert.deepEqual(checkpoint.params.get('conv2.weight')!.data, Float32Array.from(w2));
  assert.deepEqual(checkpoint.spec.encoder, { kind: 'rate', seed: 3 });
  validateSpec(checkpoint.spec);
});

test('--input-shape presents a flat graph input as an image (a flatten layer is prepended)', async () => {
  const { checkpoint } = await importNir(denseFile('flat-input.nir'), { inputShape: [1, 5, 6] });
  assert.deepEqual(checkpoint.spec.inputShape, [1, 5, 6]);
  assert.equal(checkpoint.spec.layers[0].kind, 'flatten');
  const err = await refusal(denseFile('flat-input-2.nir'), { inputShape: [1, 28, 28] });
  assert.match(err.message, /--input-shape \[1, 28, 28\] does not fit the graph's Input shape \[30\]/);
});

// --- what is refused, one line each -----------------------------------------------------------

test('malformed files are refused with one line naming the node and field', async () => {
  const cases: [string, string, RegExp, string][] = [
    ['missing-field.nir', denseFile('missing-field.nir', { lif1: { ...snnTorchCuba(12, 0.9, 0.8), tau_mem: undefined as never, v_threshold: full(12, 1) } }),
      /node 'lif1' \(CubaLIF\): field 'tau_mem' is missing/, 'malformedInput'],
    ['wrong-param-shape.nir', denseFile('wrong-param-shape.nir', { lif1: { ...snnTorchCuba(12, 0.9, 0.8), tau_syn: full(5, 1e-3), v_threshold: full(12, 1) } }),
      /node 'lif1' \(CubaLIF\): shapes do not chain: 'tau_syn' has shape \[5\], but 'fc1' gives \[12\]/, 'malformedInput'],
    ['wrong-weight-shape.nir', denseFile('wrong-weight-shape.nir', { fc2: { weight: f32(randoms(4 * 7), [4, 7]), bias: f32(randoms(4), [4]) } }),
      /node 'fc2' \(Affine\): shapes do not chain: the weight takes 7 inputs, but 'lif1' gives \[12\]/, 'malformedInput'],
    ['bias-shape.nir', denseFile('bias-shape.nir', { fc2: { weight: f32(randoms(48), [4, 12]), bias: f32(randoms(3), [3]) } }),
      /node 'fc2' \(Affine\): 'bias' has shape \[3\], the weight needs \[4\]/, 'malformedInput'],
    ['weight-rank.nir', denseFile('weight-rank.nir', { fc1: { weight: f32(randoms(360), [360]), bias: f32(randoms(12), [12]) } }),
      /node 'fc1' \(Affine\): field 'weight' must have 2 dimensions, got shape \[360\]/, 'malformedInput'],
    ['output-shape.nir', denseFile('output-shape.nir', { output: { shape: i64([10]) } }),
      /node 'output' \(Output\): shapes do not chain: 'shape' is \[10\], but 'out' gives \[4\]/, 'malformedInput'],
    ['dangling-edge.nir', denseFile('dangling-edge.nir', {}, {}, { edges: [['input', 'fc1'], ['fc1', 'lif1'], ['lif1', 'fc9']] }),
      /edge 2 \('lif1' → 'fc9'\) names 'fc9', which is not a node/, 'malformedInput'],
  ];
  for (const [name, path, pattern, kind] of cases) {
    const err = await refusal(path);
    assert.match(err.message, pattern, name);
    assert.equal(err.kind, kind, name);
  }
});

test('a truncated HDF5 file, a non-HDF5 file, an HDF5 file that is not NIR and a missing file each give one line', async () => {
  const good = readFileSync(denseFile('whole.nir'));
  writeFileSync(join(dir, 'truncated.nir'), good.subarray(0, Math.floor(good.length / 2)));
  writeFileSync(join(dir, 'text.nir'), 'this is not HDF5\n');
  const plain = new h5wasm.File(join(dir, 'plain.h5'), 'w');
  plain.create_dataset({ name: 'data', data: new Float32Array([1, 2]) });
  plain.close();
  const truncated = await refusal(join(dir, 'truncated.nir'));
  assert.match(truncated.message, /truncated\.nir: truncated HDF5 file: \d+ of \d+ bytes present$/);
  assert.equal(truncated.kind, 'malformedInput');
  assert.match((await refusal(join(dir, 'text.nir'))).message, /text\.nir: not an HDF5 file/);
  assert.match((await refusal(join(dir, 'plain.h5'))).message, /plain\.h5: no '\/node' group: not a NIR graph file/);
  const missing = await refusal(join(dir, 'absent.nir'));
  assert.equal(missing.kind, 'missingInput');
});

test('what snn-export cannot run is refused: unknown node types, recurrence, nested graphs, branches, v_reset, v_leak, per-neuron constants, tau < dt', async () => {
  const cases: [string, RegExp][] = [
    [denseFile('delay.nir', { fc2: { delay: full(12, 1) } }, { fc2: 'Delay' }), /node 'fc2' has type 'Delay', which snn-export cannot run \(supported: Input, Output, Affine/],
    [denseFile('recurrent.nir', {}, {}, { edges: [['input', 'fc1'], ['fc1', 'lif1'], ['lif1', 'fc2'], ['fc2', 'out'], ['out', 'output'], ['lif1', 'fc1']] }), /recurrent edge 'lif1' → 'fc1'/],
    [denseFile('nested.nir', {}, {}, { nested: { rnn: (g) => { g.create_dataset({ name: 'type', data: 'NIRGraph' }); g.create_group('nodes'); } } }), /node 'rnn' is a nested NIRGraph/],
    [denseFile('branch.nir', { extra: { weight: f32(randoms(12), [1, 12]) } }, { extra: 'Linear' }, { edges: [['input', 'fc1'], ['fc1', 'lif1'], ['lif1', 'fc2'], ['lif1', 'extra'], ['fc2', 'out'], ['out', 'output']] }), /node 'lif1' feeds 2 nodes \(fc2, extra\)/],
    [denseFile('v-reset.nir', { lif1: { ...snnTorchCuba(12, 0.9, 0.8), v_threshold: full(12, 1), v_reset: full(12, -0.5) } }), /node 'lif1' \(CubaLIF\): v_reset = -0\.5/],
    [denseFile('v-leak.nir', { out: { ...snnTorchCuba(4, 0.9, 0.8), v_leak: full(4, 0.1) } }), /node 'out' \(CubaLI\): v_leak = 0\.1/],
    [denseFile('per-neuron.nir', { lif1: { ...snnTorchCuba(12, 0.9, 0.8), v_threshold: f64([...new Array(11).fill(1), 2], [12]) } }), /'v_threshold' differs between neurons \(1 and 2\)/],
    [denseFile('short-tau.nir', { out: { ...snnTorchCuba(4, 0.9, 0.8), tau_mem: full(4, 5e-5) } }), /node 'out' \(CubaLI\): tau_mem = 0\.00005 s is shorter than dt = 0\.0001 s|tau_mem = 5e-5 s is shorter than dt = 0\.0001 s/],
  ];
  for (const [path, pattern] of cases) assert.match((await refusal(path)).message, pattern, path);
});

test('the CLI writes a checkpoint other commands load, and prints a refusal as one line with its exit code', () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
    "import { Command } from 'commander'; import { registerImport } from './src/cli/import.ts';"
    + "const p = new Command('snn-export').exitOverride(); registerImport(p); await p.parseAsync(process.argv.slice(1), { from: 'user' });", '--', ...args],
  { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' });
  const good = denseFile('cli.nir');
  const out = join(dir, 'cli.safetensors');
  const ok = run(['import', 'nir', good, '-o', out, '--time-steps', '9', '--reset', 'subtract']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^imported .*cli\.nir .* T = 9 \(--time-steps\).* → .*cli\.safetensors\n$/);
  const ck = loadCheckpoint(out);
  assert.equal(ck.spec.timeSteps, 9);
  assert.equal((ck.spec.layers[1] as ClifLayer).reset, 'subtract');
  writeFileSync(join(dir, 'cli-bad.nir'), readFileSync(good).subarray(0, 700));
  const bad = run(['import', 'nir', join(dir, 'cli-bad.nir'), '-o', join(dir, 'never.safetensors')]);
  assert.equal(bad.status, 3);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /^snn-export: .*cli-bad\.nir: truncated HDF5 file/);
});

test('a metadata dt that is not a positive number is refused naming the file and the field (exit 3); a bad --dt names the option', async () => {
  const path = denseFile('bad-dt.nir', {}, {}, { metadata: (g) => { g.create_dataset({ name: 'dt', data: new Float64Array([-1e-4]), shape: [], dtype: '<d' }); } });
  const err = await refusal(path);
  assert.equal(err.kind, 'malformedInput');
  assert.match(err.message, /bad-dt\.nir: metadata 'dt' is -0\.0001 s; expected a positive number of seconds$/);
  const flag = await refusal(path, { dt: 0 });
  assert.equal(flag.kind, 'usage');
  assert.match(flag.message, /^option --dt: must be a positive number of seconds, got 0$/);
});
