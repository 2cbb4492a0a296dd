// `export lava` (lava-dl netx HDF5) against the bundle of the same checkpoint, read back with the
// project's own HDF5 reader; what it refuses; and chip time (Loihi's one-step delay per Dense) on a
// two-neuron network worked out by hand. Lava itself is not needed (exporters/lava/run-lava.py is the Lava run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../hardware-profiles/index.ts';
import { readBundle } from '../exporters/events/bundle.ts';
import { EXPORTERS } from '../exporters/index.ts';
import type { H5Field, H5Tree } from '../exporters/nir/h5-tree.ts';
import { readHdf5Tree } from '../exporters/nir/h5-tree.ts';
import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import { SnnError } from '../src/errors.ts';
import { chipSteps, readWindow } from '../src/quantize/chip-time.ts';
import { lavaLayerTerms, lavaMismatch } from '../src/quantize/lava-terms.ts';
import { quantizeNetwork } from '../src/quantize/quantize.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { HwSimulator } from '../runtimes/hwsim/simulator.ts';

const dir = mkdtempSync(join(tmpdir(), 'lava-'));

function checkpoint(layers: NetworkSpec['layers'], inputShape = [12]): Checkpoint {
  const spec: NetworkSpec = { version: 1, name: 'lv', inputShape, encoder: { kind: 'direct' }, timeSteps: 6, layers };
  return { spec, params: initParams(validateSpec(spec), 7, 3), history: [] };
}

const field = (t: H5Tree, name: string): H5Field => {
  const f = t.fields.get(name);
  assert.ok(f, `${t.path}/${name} is missing`);
  return f;
};
const num = (t: H5Tree, name: string): number[] => {
  const f = field(t, name);
  assert.equal(f.kind, 'number', `${t.path}/${name} is not numeric`);
  return Array.from((f as { data: Float64Array }).data);
};
const str = (t: H5Tree, name: string): string => {
  const f = field(t, name);
  assert.equal(f.kind, 'string', `${t.path}/${name} is not a string`);
  return (f as { data: string[] }).data[0];
};

const DEEP: NetworkSpec['layers'] = [
  { kind: 'dense', units: 10 }, { kind: 'clif', alpha: 0.3, beta: 0.5, reset: 'zero' },
  { kind: 'dense', units: 8, bias: false }, { kind: 'clif', alpha: 0.6, beta: 0.9, theta: 0.8, reset: 'zero' },
  { kind: 'dense', units: 4, bias: false }, { kind: 'readout', alpha: 0.3, beta: 0.5 },
];

test('a netx file read back by the HDF5 reader holds the bundle\'s integers in netx\'s layout', async () => {
  const ck = checkpoint(DEEP);
  const net = join(dir, 'deep.net'), bundle = join(dir, 'deep.bundle');
  const summary = await EXPORTERS.lava.export(ck, net, { target: 'loihi2' }, 'mem.safetensors');
  assert.match(summary, /netx network of 2 layer\(s\) for loihi2 .*clif2 10→8, readout1 8→4 \(readout\).*run 8 Lava steps per sample/);
  await EXPORTERS.events.export(ck, bundle, { target: 'loihi2', samples: '0' }, 'mem.safetensors');
  const b = readBundle(bundle);
  const tree = await readHdf5Tree(net);
  const layers = tree.groups.get('layer')!;
  assert.deepEqual([...layers.groups.keys()], ['0', '1']);
  b.network.layers.forEach((l, i) => {
    const g = layers.groups.get(String(i))!;
    const lava = lavaLayerTerms(b.network, l);
    assert.equal(str(g, 'type'), 'dense');
    assert.equal(field(g, 'type').kind === 'string' && (field(g, 'type') as { shape: number[] }).shape.join(), '1', "netx decodes type[0]");
    assert.deepEqual(num(g, 'shape'), [l.channels]);
    assert.deepEqual([num(g, 'inFeatures')[0], num(g, 'outFeatures')[0]], [l.inShape[0], l.channels]);
    assert.deepEqual(num(g, 'weight'), Array.from(l.weights), `layer ${i}: weights`);
    assert.deepEqual((field(g, 'weight') as { shape: number[] }).shape, [l.channels, l.inShape[0]]);
    const n = g.groups.get('neuron')!;
    assert.equal(str(n, 'type'), 'CUBA');
    // netx gives Lava du = iDecay − 1, dv = vDecay, vth = vThMant: the bundle's Lava terms.
    assert.deepEqual([num(n, 'iDecay')[0] - 1, num(n, 'vDecay')[0], num(n, 'vThMant')[0]], [lava.du, lava.dv, lava.vth[0]]);
    assert.equal(num(n, 'iDecay')[0], l.currentDecay);
    assert.ok(!g.fields.has('bias'), 'no bias: netx would add bias_mant << 6 to the membrane');
    assert.ok(l.weights.every((w) => w % 2 === 0 && w >= -254 && w <= 254), 'even 8-bit weights survive optimize_weight_bits exactly');
  });
  assert.equal(num(layers.groups.get('1')!.groups.get('neuron')!, 'vThMant')[0], 131071, 'the readout: a LIF at the largest 17-bit vth');
  const meta = tree.groups.get('snnExport')!;
  assert.equal(num(meta, 'chipSteps')[0], chipSteps(b.network));
  assert.equal(num(meta, 'chipSteps')[0], 6 + 2);
  assert.deepEqual(num(meta, 'firstReadStep'), [2, 3]);
  assert.deepEqual(num(meta, 'lastReadStep'), [7, 8]);
  assert.equal(str(meta, 'output'), 'membrane');
});

test('export lava refuses what netx cannot hold or Lava does not compute, in one line naming the layer', async () => {
  const refused = async (ck: Checkpoint, options: Record<string, unknown>, pattern: RegExp) => {
    await assert.rejects(EXPORTERS.lava.export(ck, join(dir, 'x.net'), options, 'mem.safetensors'), (e: unknown) => {
      assert.ok(e instanceof SnnError, String(e));
      assert.equal(e.kind, 'doesNotFit');
      assert.ok(!e.message.includes('\n'), 'one line');
      assert.match(e.message, pattern);
      return true;
    });
  };
  // A chip layer with a bias: Lava's bias enters the membrane.
  await refused(checkpoint(DEEP.map((l, i) => (i === 2 ? { kind: 'dense', units: 8 } : l))), { target: 'loihi2' },
    /does not fit loihi2: layer 3 \(dense 'dense2'\) has a bias .*train --target loihi2, or "bias": false/);
  // Conv chip layers and pooled synaptic input.
  const conv: NetworkSpec['layers'] = [
    { kind: 'conv2d', channels: 2, kernel: 3 }, { kind: 'clif', alpha: 0.3, beta: 0.5, reset: 'zero' },
    { kind: 'conv2d', channels: 3, kernel: 3, bias: false }, { kind: 'maxpool', size: 2 }, { kind: 'clif', alpha: 0.3, beta: 0.5, reset: 'zero' },
    { kind: 'flatten' }, { kind: 'dense', units: 2, bias: false }, { kind: 'readout', alpha: 0.3, beta: 0.5 },
  ];
  await refused(checkpoint(conv, [1, 8, 8]), { target: 'loihi2' }, /^export lava: chip layer 1 \('clif2'\) pools its synaptic input, which no netx layer does$/);
  // A profile whose arithmetic is not Lava's.
  await refused(checkpoint(DEEP), { target: 'generic-int8' }, /^export lava: profile 'generic-int8' does not compute what Lava's bit-accurate processes compute: .*; use --target loihi2$/);
  // Only zero weights: netx's optimize_weight_bits finds no exponent for them.
  const zero = checkpoint(DEEP);
  zero.params.get('dense3.weight')!.data.fill(0);
  await refused(zero, { target: 'loihi2' }, /chip layer 2 \('readout1'\) has only zero weights/);
});

test('conv chip layers: an input layer with the shape, conv layers with their geometry and [out, in, ky, kx] weights, a flatten before the dense layer', async () => {
  const layers: NetworkSpec['layers'] = [
    { kind: 'conv2d', channels: 2, kernel: 3 }, { kind: 'clif', alpha: 0.3, beta: 0.5, reset: 'zero' },
    { kind: 'conv2d', channels: 3, kernel: 3, stride: 2, padding: 1, bias: false }, { kind: 'clif', alpha: 0.3, beta: 0.5, reset: 'zero' },
    { kind: 'flatten' }, { kind: 'dense', units: 2, bias: false }, { kind: 'readout', alpha: 0.3, beta: 0.5 },
  ];
  const ck = checkpoint(layers, [1, 9, 9]);
  const net = join(dir, 'conv.net'), bundle = join(dir, 'conv.bundle');
  await EXPORTERS.lava.export(ck, net, { target: 'loihi2' }, 'mem.safetensors');
  await EXPORTERS.events.export(ck, bundle, { target: 'loihi2', samples: '0' }, 'mem.safetensors');
  const [conv, dense] = readBundle(bundle).network.layers;
  const g = (await readHdf5Tree(net)).groups.get('layer')!.groups;
  assert.deepEqual([...g.keys()].map((k) => str(g.get(k)!, 'type')), ['input', 'conv', 'flatten', 'dense']);
  assert.deepEqual(num(g.get('0')!, 'shape'), [2, 7, 7], 'the chip input: the host layer\'s spikes, channels first');
  const c = g.get('1')!;
  assert.deepEqual(num(c, 'shape'), [3, 4, 4]);
  assert.deepEqual([num(c, 'inChannels')[0], num(c, 'outChannels')[0], num(c, 'groups')[0]], [2, 3, 1]);
  assert.deepEqual([num(c, 'kernelSize'), num(c, 'stride'), num(c, 'padding'), num(c, 'dilation')], [[3, 3], [2, 2], [1, 1], [1, 1]]);
  assert.deepEqual(num(c, 'weight'), Array.from(conv.weights));
  assert.deepEqual((field(c, 'weight') as { shape: number[] }).shape, [3, 2, 3, 3]);
  assert.deepEqual(num(g.get('3')!, 'weight'), Array.from(dense.weights));
  assert.ok(!g.get('2')!.groups.has('neuron'), 'flatten has no neuron');
});

test('lavaMismatch accepts loihi2 and names the first field any other profile breaks', () => {
  assert.equal(lavaMismatch(loadProfile('loihi2')), null);
  const p = loadProfile('loihi2');
  assert.match(lavaMismatch({ ...p, weights: { ...p.weights, exponent: { min: { value: -8, assumption: 't' }, max: { value: 7, assumption: 't' } } } })!, /weights\.exponent/);
  assert.match(lavaMismatch({ ...p, threshold: { max: p.threshold.max, shift: p.threshold.shift } })!, /threshold\.readout/);
  for (const name of ['generic-int8', 'xylo-audio2', 'speck']) assert.ok(lavaMismatch(loadProfile(name)), name);
});

test('chip time: two neurons worked out by hand, one Dense delay each, as Lava steps them', () => {
  // input → dense (1) → clif → dense (1) → clif (the output spikes). Integers set by hand:
  // layer 1: w 100, iDecay 4096 (u cleared every step), dv 0 (no leak), vth 150 (fires above 9600);
  // layer 2: w 200, iDecay 2048 (u halves), dv 0, vth 100 (fires above 6400).
  const spec: NetworkSpec = {
    version: 1, name: 'two', inputShape: [1], encoder: { kind: 'rate', seed: 0 }, timeSteps: 5,
    layers: [{ kind: 'dense', units: 1, bias: false }, { kind: 'clif', alpha: 0, beta: 1, reset: 'zero' }, { kind: 'dense', units: 1, bias: false }, { kind: 'clif', alpha: 0.5, beta: 1, reset: 'zero' }],
  };
  const resolved = validateSpec(spec);
  const { network } = quantizeNetwork(resolved, initParams(resolved, 1), loadProfile('loihi2'));
  assert.equal(network.output, 'spikes');
  const [a, b] = network.layers;
  const net = {
    ...network,
    layers: [
      { ...a, weights: Int32Array.of(100), currentDecay: 4096, membraneDecay: 0, threshold: Int32Array.of(150) },
      { ...b, weights: Int32Array.of(200), currentDecay: 2048, membraneDecay: 0, threshold: Int32Array.of(100) },
    ],
  };
  // Input spikes at logical steps 0 and 1.
  const input = { timeSteps: 5, offsets: Uint32Array.of(0, 1, 2, 2, 2, 2), addresses: Uint32Array.of(0, 0), payloads: null };
  const seen: string[] = [];
  const result = new HwSimulator(net).run(input, (t, l, spikes, current, membrane, chipStep) => {
    seen.push(`L${l + 1} t${t} chip${chipStep}: u ${current[0]} v ${membrane[0]}${spikes.length ? ' spike' : ''}`);
  });
  assert.deepEqual(seen, [
    // Layer 1: u = 100 << 6 = 6400 at each input step; v 6400, then 12800 > 9600: spike at logical 1, chip step 2.
    'L1 t0 chip1: u 6400 v 6400', 'L2 t0 chip2: u 0 v 0',
    'L1 t1 chip2: u 6400 v 0 spike', 'L2 t1 chip3: u 12800 v 0 spike',
    // Layer 2: u = 200 << 6 = 12800 > 6400 fires at once; then u 6400, v = 6400 is not above 6400 (strict); then 9600 fires.
    'L1 t2 chip3: u 0 v 0', 'L2 t2 chip4: u 6400 v 6400',
    'L1 t3 chip4: u 0 v 0', 'L2 t3 chip5: u 3200 v 0 spike',
    'L1 t4 chip5: u 0 v 0', 'L2 t4 chip6: u 1600 v 1600',
  ]);
  assert.deepEqual(result.spikeCounts.map((c) => [...c]), [[1], [2]]);
  assert.equal(result.readoutSum.length, 0, 'spiking outputs: no readout sum');
  // A Lava run of one sample takes T + 2 steps; layer 2 is read at Lava steps 3 … 7 (chip steps 2 … 6).
  assert.equal(chipSteps(net), 7);
  assert.deepEqual(readWindow(net, net.layers[1]), { first: 2, last: 6 });
  assert.deepEqual([lavaLayerTerms(net, net.layers[1]).firstReadStep, lavaLayerTerms(net, net.layers[1]).lastReadStep], [3, 7]);
  assert.deepEqual([lavaLayerTerms(net, net.layers[0]).du, lavaLayerTerms(net, net.layers[1]).du], [4095, 2047], 'du = iDecay − 1');
});
