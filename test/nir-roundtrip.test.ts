// Export → import round trips: identical tensors, identical float32 neuron constants and
// identical predictions of a plain float forward written here from DESIGN §3 with clifStep.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { exportNir } from '../exporters/nir/export.ts';
import type { NirNeuronForm, NirReadoutForm } from '../exporters/nir/export.ts';
import { nirExportOptions } from '../exporters/nir/export.ts';
import { readHdf5Tree } from '../exporters/nir/h5-tree.ts';
import { importNir } from '../exporters/nir/import.ts';
import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import { loadCheckpoint, saveCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { clifParams, clifStep, zeroState } from '../src/neuron/clif.ts';
import type { ClifState } from '../src/neuron/clif.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';
import type { ResolvedSpec } from '../src/spec/validate.ts';
import { Random } from '../src/util/random.ts';
import type { Tensor } from '../src/util/tensor.ts';

const dir = mkdtempSync(join(tmpdir(), 'nir-roundtrip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function dense(x: Float32Array, w: Tensor, b: Tensor | undefined): Float32Array {
  const [out, inF] = w.shape;
  const y = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let acc = b ? b.data[o] : 0;
    for (let i = 0; i < inF; i++) acc += w.data[o * inF + i] * x[i];
    y[o] = acc;
  }
  return y;
}

function conv(x: Float32Array, inShape: number[], w: Tensor, b: Tensor | undefined, stride: number, pad: number): Float32Array {
  const [cOut, cIn, k] = w.shape;
  const [, h, wd] = inShape;
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1, ow = Math.floor((wd + 2 * pad - k) / stride) + 1;
  const y = new Float32Array(cOut * oh * ow);
  for (let co = 0; co < cOut; co++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    let acc = b ? b.data[co] : 0;
    for (let ci = 0; ci < cIn; ci++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
      const iy = oy * stride + ky - pad, ix = ox * stride + kx - pad;
      if (iy < 0 || ix < 0 || iy >= h || ix >= wd) continue;
      acc += w.data[((co * cIn + ci) * k + ky) * k + kx] * x[(ci * h + iy) * wd + ix];
    }
    y[(co * oh + oy) * ow + ox] = acc;
  }
  return y;
}

function avgpool(x: Float32Array, inShape: number[], k: number): Float32Array {
  const [c, h, w] = inShape;
  const oh = Math.floor(h / k), ow = Math.floor(w / k);
  const y = new Float32Array(c * oh * ow);
  for (let ch = 0; ch < c; ch++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    let acc = 0;
    for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) acc += x[(ch * h + oy * k + dy) * w + ox * k + dx];
    y[(ch * oh + oy) * ow + ox] = acc / (k * k);
  }
  return y;
}

/**
 * Class scores of a directly encoded static input: the mean readout membrane over T, or the spike
 * counts of a spiking output layer; counts all spikes into `spikeCount`.
 */
function forward(resolved: ResolvedSpec, params: Map<string, Tensor>, image: Float32Array, spikeCount = { n: 0 }): Float32Array {
  const states: ClifState[] = resolved.blocks.map((b) => zeroState(b.outShape.reduce((a, c) => a * c, 1)));
  const scores = new Float32Array(resolved.classes);
  for (let t = 0; t < resolved.spec.timeSteps; t++) {
    let x = image;
    resolved.blocks.forEach((block, i) => {
      const { layer, name, inShape } = block.weighted;
      const w = params.get(`${name}.weight`)!, b = params.get(`${name}.bias`);
      let z = layer.kind === 'dense' ? dense(x, w, b) : conv(x, inShape, w, b, layer.stride ?? 1, layer.padding ?? 0);
      for (const p of block.post) if (p.layer.kind === 'avgpool') z = avgpool(z, p.inShape, p.layer.size);
      const spikes = new Float32Array(z.length), membrane = new Float32Array(z.length);
      clifStep(z, states[i], clifParams(block.neuron.layer), spikes, membrane);
      for (const s of spikes) spikeCount.n += s;
      if (block.neuron.layer.kind === 'readout') for (let c = 0; c < scores.length; c++) scores[c] += membrane[c] / resolved.spec.timeSteps;
      else if (i === resolved.blocks.length - 1) for (let c = 0; c < scores.length; c++) scores[c] += spikes[c];
      x = spikes;
    });
  }
  return scores;
}

const argmax = (v: Float32Array): number => v.indexOf(Math.max(...v));

function images(n: number, size: number, seed: number): Float32Array[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: size }, () => rng.uniform(0, 1)));
}

const fcSpec: NetworkSpec = {
  version: 1, name: 'fc-small', inputShape: [1, 6, 6], encoder: { kind: 'direct' }, timeSteps: 12,
  layers: [
    { kind: 'flatten' }, { kind: 'dense', units: 20 }, { kind: 'clif', alpha: 0.9, beta: 0.8, theta: 0.5, reset: 'subtract' },
    { kind: 'dense', units: 16, bias: false }, { kind: 'clif', alpha: 0.95, beta: 1, theta: 1, reset: 'zero' },
    { kind: 'dense', units: 4 }, { kind: 'readout', alpha: 0.7, beta: 0.85 },
  ],
  classNames: ['a', 'b', 'c', 'd'],
};

const convSpec: NetworkSpec = {
  version: 1, name: 'conv-small', inputShape: [1, 10, 10], encoder: { kind: 'direct' }, timeSteps: 10,
  layers: [
    { kind: 'conv2d', channels: 4, kernel: 3, padding: 1 }, { kind: 'avgpool', size: 2 }, { kind: 'clif', alpha: 0.9, beta: 0.8, reset: 'zero' },
    { kind: 'conv2d', channels: 6, kernel: 3, stride: 1, bias: false }, { kind: 'clif', alpha: 0.5, beta: 0.6, theta: 0.75, reset: 'zero' },
    { kind: 'flatten' }, { kind: 'dense', units: 5 }, { kind: 'readout', alpha: 0.9, beta: 0.8 },
  ],
};

async function roundTrip(spec: NetworkSpec, file: string, pooling: 'avg' | 'sum', readout?: NirReadoutForm, neurons?: NirNeuronForm): Promise<{ before: Checkpoint; after: Checkpoint }> {
  // gain 4 makes the networks spike, so the comparison exercises thresholds and resets.
  const before: Checkpoint = { spec, params: initParams(validateSpec(spec), 7, 4), history: [] };
  await exportNir(before, join(dir, file), { dt: 1e-3, allowSubtractReset: true, pooling, readout, neurons });
  const { checkpoint } = await importNir(join(dir, file));
  // The imported checkpoint goes through the real file format, as every other command reads it.
  saveCheckpoint(join(dir, `${file}.safetensors`), checkpoint);
  return { before, after: loadCheckpoint(join(dir, `${file}.safetensors`)) };
}

function assertSameNetwork(before: Checkpoint, after: Checkpoint): void {
  assert.deepEqual([...after.params.keys()].sort(), [...before.params.keys()].sort());
  for (const [key, t] of before.params) {
    const u = after.params.get(key)!;
    assert.deepEqual(u.shape, t.shape, key);
    assert.deepEqual(u.data, t.data, `${key} differs`);
  }
  const neurons = (ck: Checkpoint) => ck.spec.layers.filter((l) => l.kind === 'clif' || l.kind === 'readout');
  const [a, b] = [neurons(before), neurons(after)];
  assert.equal(b.length, a.length);
  a.forEach((l, i) => {
    const m = b[i];
    assert.equal(m.kind, l.kind);
    // clifStep computes in float32, so equality after rounding is what "identical" means.
    assert.equal(Math.fround(m.alpha), Math.fround(l.alpha), `alpha of layer ${i}`);
    assert.equal(Math.fround(m.beta), Math.fround(l.beta), `beta of layer ${i}`);
    if (l.kind === 'clif' && m.kind === 'clif') {
      assert.equal(m.theta, l.theta ?? 1);
      assert.equal(m.reset, l.reset ?? 'subtract');
    }
  });
  assert.deepEqual(after.spec.inputShape, before.spec.inputShape);
  assert.equal(after.spec.timeSteps, before.spec.timeSteps);
  assert.deepEqual(after.spec.encoder, before.spec.encoder);
}

function assertSamePredictions(before: Checkpoint, after: Checkpoint, inputs: Float32Array[]): void {
  const [rb, ra] = [validateSpec(before.spec), validateSpec(after.spec)];
  const spikesBefore = { n: 0 }, spikesAfter = { n: 0 };
  for (const x of inputs) {
    const sb = forward(rb, before.params, x, spikesBefore), sa = forward(ra, after.params, x, spikesAfter);
    assert.deepEqual(sa, sb);
    assert.equal(argmax(sa), argmax(sb));
  }
  assert.equal(spikesAfter.n, spikesBefore.n);
  assert.ok(spikesBefore.n > 0, 'no neuron ever spiked: thresholds and resets would be untested');
}

test('a dense network with subtract and zero resets and a decay of 1 round-trips exactly', async () => {
  const { before, after } = await roundTrip(fcSpec, 'fc.nir', 'avg');
  assertSameNetwork(before, after);
  assert.deepEqual(after.spec.classNames, fcSpec.classNames);
  assertSamePredictions(before, after, images(20, 36, 3));
});

test('a conv network with average pooling round-trips exactly through AvgPool2d', async () => {
  const { before, after } = await roundTrip(convSpec, 'conv-avg.nir', 'avg');
  assertSameNetwork(before, after);
  assert.deepEqual(after.spec.layers.map((l) => l.kind), convSpec.layers.map((l) => l.kind));
  assertSamePredictions(before, after, images(12, 100, 5));
});

test('average pooling written as SumPool2d folds 1/k² into the weights and back, exactly for k = 2', async () => {
  const { before, after } = await roundTrip(convSpec, 'conv-sum.nir', 'sum');
  assertSameNetwork(before, after);
  assertSamePredictions(before, after, images(12, 100, 6));
});

for (const readout of ['cubali', 'cubalif'] as const) {
  test(`the readout written as ${readout === 'cubali' ? 'one CubaLI node' : 'a CubaLIF that never fires'} round-trips exactly`, async () => {
    for (const [spec, file, size] of [[fcSpec, 'fc', 36], [convSpec, 'conv', 100]] as const) {
      const { before, after } = await roundTrip(spec, `${file}-${readout}.nir`, 'avg', readout);
      assertSameNetwork(before, after);
      assertSamePredictions(before, after, images(8, size, 9));
    }
  });
}

/** A network ending in a spiking layer, with an IF layer (alpha 0, beta 1) and a LIF layer (alpha 0). */
const spikingOutSpec: NetworkSpec = {
  version: 1, name: 'spiking-out', inputShape: [1, 6, 6], encoder: { kind: 'direct' }, timeSteps: 12,
  layers: [
    { kind: 'flatten' }, { kind: 'dense', units: 20 }, { kind: 'clif', alpha: 0, beta: 1, theta: 0.5, reset: 'zero' },
    { kind: 'dense', units: 16 }, { kind: 'clif', alpha: 0, beta: 0.75, theta: 1, reset: 'zero' },
    { kind: 'dense', units: 4 }, { kind: 'clif', alpha: 0.5, beta: 0.8, theta: 0.5, reset: 'zero' },
  ],
};

async function nodeTypes(file: string): Promise<string[]> {
  const tree = await readHdf5Tree(join(dir, file));
  const nodes = tree.groups.get('node')!.groups.get('nodes')!;
  return [...nodes.groups.values()].map((g) => { const t = g.fields.get('type')!; return t.kind === 'string' ? t.data[0] : ''; }).sort();
}

test('spiking layers are written as the simplest exact NIR neuron (IF, LIF, CubaLIF), and a spiking output layer round-trips exactly', async () => {
  const { before, after } = await roundTrip(spikingOutSpec, 'spiking-simplest.nir', 'avg');
  assert.deepEqual(await nodeTypes('spiking-simplest.nir'), ['Affine', 'Affine', 'Affine', 'CubaLIF', 'IF', 'Input', 'LIF', 'Output']);
  assertSameNetwork(before, after);
  assert.equal(validateSpec(after.spec).output, 'spikes');
  assertSamePredictions(before, after, images(20, 36, 4));
});

test('--nir-neurons cubalif writes every spiking layer as CubaLIF (alpha 0 as tau_syn = dt), and it round-trips exactly', async () => {
  const { before, after } = await roundTrip(spikingOutSpec, 'spiking-cubalif.nir', 'avg', undefined, 'cubalif');
  assert.deepEqual(await nodeTypes('spiking-cubalif.nir'), ['Affine', 'Affine', 'Affine', 'CubaLIF', 'CubaLIF', 'CubaLIF', 'Input', 'Output']);
  assertSameNetwork(before, after);
  assertSamePredictions(before, after, images(20, 36, 4));
});

test('--reader lava-dl scales weights and thresholds by 256 (metadata state_scale), and the import divides it out exactly', async () => {
  const noBias: NetworkSpec = { ...convSpec, layers: convSpec.layers.map((l) => (l.kind === 'conv2d' || l.kind === 'dense' ? { ...l, bias: false } : l)) };
  const before: Checkpoint = { spec: noBias, params: initParams(validateSpec(noBias), 7, 4), history: [] };
  await exportNir(before, join(dir, 'lava-dl.nir'), { ...nirExportOptions({ reader: 'lava-dl' }, 'ck'), dt: 1e-3 });
  const tree = await readHdf5Tree(join(dir, 'lava-dl.nir'));
  const nodes = tree.groups.get('node')!.groups.get('nodes')!.groups;
  const field = (node: string, name: string): number => { const f = nodes.get(node)!.fields.get(name)!; return f.kind === 'number' ? f.data[0] : NaN; };
  assert.equal(field('clif2', 'v_threshold'), 0.75 * 256);
  assert.equal(field('conv2d2', 'weight'), before.params.get('conv2d2.weight')!.data[0] * 256);
  const { checkpoint: after } = await importNir(join(dir, 'lava-dl.nir'));
  assertSameNetwork(before, after);
  assertSamePredictions(before, after, images(12, 100, 8));
});

test('the forward pass tells networks apart (so equal outputs above mean something)', () => {
  const resolved = validateSpec(convSpec);
  const params = initParams(resolved, 7, 4);
  const changed = new Map(params);
  const w = params.get('dense1.weight')!;
  changed.set('dense1.weight', { shape: w.shape, data: w.data.map((v, i) => (i % 7 === 0 ? -v : v)) });
  const x = images(6, 100, 5);
  assert.ok(x.some((img) => forward(resolved, params, img).some((v, i) => v !== forward(resolved, changed, img)[i])));
});
