import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import protobuf from 'protobufjs';
import { loadProfile } from '../hardware-profiles/index.ts';
import type { EventBundle } from '../exporters/events/bundle.ts';
import { decodeBundle, encodeBundle, readBundle } from '../exporters/events/bundle.ts';
import { EXIT_CODES, SnnError } from '../src/errors.ts';
import { HostEncoder } from '../src/quantize/input-events.ts';
import { quantizeNetwork } from '../src/quantize/quantize.ts';
import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { Random } from '../src/util/random.ts';
import { HwSimulator, argmax, logitsOf } from '../runtimes/hwsim/simulator.ts';

/** The spec with no bias on any weighted layer (what a target without the C-LIF's bias, loihi2, needs). */
const noBias = (s: NetworkSpec): NetworkSpec => ({ ...s, layers: s.layers.map((l) => (l.kind === 'dense' || l.kind === 'conv2d' ? { ...l, bias: false } : l)) });

/**
 * A direct-encoded conv network with pooling, on a profile with a synaptic delay, and payload-carrying rate events;
 * without biases on a target that refuses them, and with `spikes` the last layer spikes instead of the readout.
 */
function makeBundle(target: string, withPayloads: boolean, output: 'membrane' | 'spikes' = 'membrane'): EventBundle {
  const last = output === 'spikes' ? { kind: 'clif' as const, alpha: 0.6, beta: 0.9, reset: 'zero' as const } : { kind: 'readout' as const, alpha: 0.6, beta: 0.9 };
  let spec: NetworkSpec = {
    version: 1, name: 'tiny', inputShape: [1, 10, 10], encoder: { kind: 'direct' }, timeSteps: 8, classNames: ['a', 'b', 'c', 'd'],
    layers: [
      { kind: 'conv2d', channels: 3, kernel: 3 }, { kind: 'clif', alpha: 0.5, beta: 0.8, reset: 'zero' },
      { kind: 'conv2d', channels: 4, kernel: 3 }, { kind: 'maxpool', size: 2 }, { kind: 'clif', alpha: 0.7, beta: 0.9, reset: 'zero' },
      { kind: 'flatten' }, { kind: 'dense', units: 4 }, last,
    ],
  };
  if (loadProfile(target).bias.supported?.value === false) spec = noBias(spec);
  const resolved = validateSpec(spec);
  const params = initParams(resolved, 9, 3);
  const { network, placement, report } = quantizeNetwork(resolved, params, loadProfile(target));
  const host = new HostEncoder(placement.hostBlocks[0], params, spec.timeSteps);
  const sim = new HwSimulator(network);
  const rng = new Random(5);
  const samples = Array.from({ length: 6 }, (_, index) => {
    const image = Float32Array.from({ length: 100 }, () => rng.next());
    const events = host.encode(image);
    if (withPayloads) events.payloads = Int32Array.from(events.addresses, () => 1 + Math.floor(rng.next() * 3));
    const r = sim.run(events);
    return { index, label: index % 4, events, expected: { readoutSum: r.readoutSum, predicted: argmax(logitsOf(network, r)), spikeCounts: r.spikeCounts, synapticEvents: r.synapticEvents } };
  });
  return { generator: 'test', network, report, classNames: spec.classNames!, samples };
}

test('a bundle decodes to what was written and re-encodes to the same bytes', () => {
  for (const [target, payloads, output] of [['loihi2', false, 'membrane'], ['generic-int8', true, 'membrane'], ['loihi2', false, 'spikes'], ['generic-int8', true, 'spikes']] as const) {
    const bundle = makeBundle(target, payloads, output);
    const bytes = encodeBundle(bundle);
    const decoded = decodeBundle(bytes, 'mem.bundle');
    assert.deepEqual(Buffer.from(encodeBundle(decoded)), Buffer.from(bytes), `${target}: re-encoding changed the bytes`);
    assert.deepEqual(decoded.network, bundle.network);
    assert.deepEqual(decoded.samples, bundle.samples);
    assert.deepEqual(decoded.classNames, ['a', 'b', 'c', 'd']);
    assert.deepEqual(decoded.report, bundle.report);
    // The decoded network and events reproduce the stored expected outputs.
    const sim = new HwSimulator(decoded.network);
    for (const s of decoded.samples) {
      const r = sim.run(s.events);
      assert.deepEqual(r.readoutSum, s.expected.readoutSum);
      assert.deepEqual(r.spikeCounts, s.expected.spikeCounts);
    }
    assert.ok(decoded.samples.some((s) => s.events.addresses.length > 0), 'the samples carry events');
    assert.equal(decoded.network.layers[0].placement.delaySteps, target === 'loihi2' ? 1 : 0);
    assert.equal(decoded.network.output, output);
    if (output === 'spikes') {
      // Class scores are the output layer's spike counts; the readout sum is empty.
      assert.equal(decoded.network.layers.at(-1)!.readout, false);
      for (const s of decoded.samples) {
        assert.equal(s.expected.readoutSum.length, 0);
        assert.equal(s.expected.spikeCounts.length, 2);
        assert.equal(s.expected.predicted, argmax(s.expected.spikeCounts[1]));
      }
    }
  }
});

test('a loihi2 bundle states each layer in Lava terms: du = iDecay − 1, dv, vth, no bias, and its read window in Lava steps', () => {
  const type = protobuf.loadSync(join(import.meta.dirname, '..', 'exporters', 'events', 'bundle.proto')).lookupType('snn_export.events.v1.Bundle');
  const bytes = encodeBundle(makeBundle('loihi2', false));
  const m = type.toObject(type.decode(bytes.subarray(0, bytes.length - 5)), { defaults: true, arrays: true }) as Record<string, any>;
  // T = 8; the conv layer is chip layer 1 (one Dense delay), the readout chip layer 2.
  assert.equal(m.network.chipSteps, 10);
  assert.equal(m.network.output, 'membrane');
  const [conv, readout] = m.network.layers;
  // alpha 0.7: iDecay = round(4096 · 0.3) = 1229, du = 1228; beta 0.9: dv = round(4096 · 0.1) = 410.
  assert.deepEqual({ du: conv.lava.du, dv: conv.lava.dv, first: conv.lava.firstReadStep, last: conv.lava.lastReadStep }, { du: 1228, dv: 410, first: 2, last: 9 });
  assert.deepEqual(conv.lava.vth, conv.threshold);
  assert.equal(conv.lava.biasMant, 0);
  assert.equal(conv.lava.weightExp, 0);
  assert.deepEqual(readout.lava.vth, [131071, 131071, 131071, 131071], 'the readout is a LIF at the largest 17-bit vth');
  assert.deepEqual([readout.lava.firstReadStep, readout.lava.lastReadStep], [3, 10]);
  // Profiles whose arithmetic is not Lava's state no Lava terms.
  const other = encodeBundle(makeBundle('generic-int8', true));
  const o = type.toObject(type.decode(other.subarray(0, other.length - 5)), { defaults: true }) as Record<string, any>;
  assert.equal(o.network.layers[0].lava, null);
});

test('loihi2 refuses a chip layer with a bias, naming the layer and the way out; the host layer may keep its bias', () => {
  const spec: NetworkSpec = {
    version: 1, name: 'b', inputShape: [6], encoder: { kind: 'direct' }, timeSteps: 4,
    layers: [{ kind: 'dense', units: 5 }, { kind: 'clif', alpha: 0.5, beta: 0.5, reset: 'zero' }, { kind: 'dense', units: 3, name: 'fc2' }, { kind: 'readout', alpha: 0.5, beta: 0.5 }],
  };
  const resolved = validateSpec(spec);
  const params = initParams(resolved, 1, 1);
  assert.throws(() => quantizeNetwork(resolved, params, loadProfile('loihi2')), (e: unknown) => e instanceof SnnError && e.kind === 'doesNotFit'
    && /^the network does not fit loihi2: layer 3 \(dense 'fc2'\) has a bias .*membrane.*snn-export train --target loihi2, or "bias": false/.test(e.message) && !e.message.includes('\n'));
  // An all-zero bias is no bias.
  params.get('fc2.bias')!.data.fill(0);
  assert.doesNotThrow(() => quantizeNetwork(resolved, params, loadProfile('loihi2')));
  const noChipBias = { ...spec, layers: spec.layers.map((l, i) => (i === 2 ? { ...l, bias: false } : l)) };
  const r2 = validateSpec(noChipBias);
  assert.doesNotThrow(() => quantizeNetwork(r2, initParams(r2, 1, 1), loadProfile('loihi2')));
});

function refusedAs(bytes: Uint8Array, kind: 'malformedInput' | 'incompatibleVersion', pattern: RegExp): void {
  assert.throws(() => decodeBundle(bytes, 'x.bundle'), (err: unknown) => {
    assert.ok(err instanceof SnnError, `not an SnnError: ${(err as Error)?.stack ?? String(err)}`);
    assert.equal(err.kind, kind);
    assert.ok(!err.message.includes('\n'), 'one line');
    assert.match(err.message, /^x\.bundle: /);
    assert.match(err.message, pattern);
    return true;
  });
}

test('truncated bundles are refused at every length, corrupted bytes by their checksum', () => {
  const bytes = encodeBundle(makeBundle('generic-int8', true));
  const rng = new Random(3);
  for (let i = 0; i < 60; i++) {
    const cut = i < 10 ? i : Math.floor(rng.next() * bytes.length);
    refusedAs(bytes.subarray(0, cut), 'malformedInput', /too short|truncated|checksum/);
  }
  for (let i = 0; i < 30; i++) {
    const bad = Uint8Array.from(bytes);
    const at = Math.floor(rng.next() * (bytes.length - 5));
    bad[at] ^= 1 + Math.floor(rng.next() * 255);
    refusedAs(bad, 'malformedInput', /checksum mismatch .* corrupted or truncated/);
  }
  refusedAs(new TextEncoder().encode('{"not": "a bundle"}'), 'malformedInput', /no checksum trailer/);
});

/** Re-encodes a bundle with edits to the protobuf message and a valid checksum: checks beyond the checksum. */
function tampered(edit: (m: Record<string, any>) => void): Uint8Array {
  const type = protobuf.loadSync(join(import.meta.dirname, '..', 'exporters', 'events', 'bundle.proto')).lookupType('snn_export.events.v1.Bundle');
  const bytes = encodeBundle(makeBundle('loihi2', false));
  const m = type.toObject(type.decode(bytes.subarray(0, bytes.length - 5)), { defaults: true, arrays: true });
  edit(m);
  const body = type.encode(type.fromObject(m)).finish();
  const out = new Uint8Array(body.length + 5);
  out.set(body);
  out[body.length] = 0x7d;
  new DataView(out.buffer).setUint32(body.length + 1, crc32(body), true);
  return out;
}

test('well-formed protobuf that breaks the format is refused naming the field', () => {
  refusedAs(tampered((m) => { m.formatVersion = 2; }), 'incompatibleVersion', /format version 2 is not supported/);
  refusedAs(tampered((m) => { m.format = 'other'; }), 'malformedInput', /field 'format' is "other"/);
  refusedAs(tampered((m) => { m.samples.pop(); }), 'malformedInput', /holds 5 samples, its header says 6/);
  refusedAs(tampered((m) => { m.network.layers[1].weights.pop(); }), 'malformedInput', /layer 2 \('readout1'\): 143 weights for shape \[4,36\]/);
  refusedAs(tampered((m) => { m.samples[0].address[0] = 10_000; }), 'malformedInput', /sample 0: event 0 at address 10000, the input has 192 addresses/);
  refusedAs(tampered((m) => { m.samples[1].time[0] = 99; }), 'malformedInput', /sample 1: event 0 at step 99/);
  refusedAs(tampered((m) => { m.profile.json = m.profile.json.replace('"wrap-once"', '"wrap-twice"'); }), 'malformedInput', /embedded profile 'loihi2'.*state\.current\.overflow/);
  refusedAs(tampered((m) => { m.network.output = 'votes'; }), 'malformedInput', /network output "votes" is not 'membrane' or 'spikes'/);
  refusedAs(tampered((m) => { m.network.chipSteps += 1; }), 'malformedInput', /field 'network\.chip_steps' is 11, the layers' delays give 10/);
  refusedAs(tampered((m) => { m.network.layers[0].lava.du += 1; }), 'malformedInput', /layer 1 \('clif2'\): its Lava terms .* disagree/);
  refusedAs(tampered((m) => { m.network.layers[1].readout = false; }), 'malformedInput', /the last chip layer is not a readout, but the output is 'membrane'/);
});

test('snn-export simulate refuses a corrupted bundle with one line and exit code 3, and runs a good one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  const good = join(dir, 'good.bundle');
  const bad = join(dir, 'bad.bundle');
  const bytes = encodeBundle(makeBundle('loihi2', false));
  writeFileSync(good, bytes);
  writeFileSync(bad, bytes.subarray(0, bytes.length - 100));
  // The command as the CLI registers it, on its own commander program (src/cli/commands.ts wires it in the CLI).
  const script = `import { Command } from 'commander'; import { registerSimulate } from './src/cli/simulate.ts';
    const p = new Command('snn-export'); registerSimulate(p); await p.parseAsync(process.argv);`;
  const run = (file: string) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'snn-export', 'simulate', file], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' });
  const broken = run(bad);
  assert.equal(broken.status, EXIT_CODES.malformedInput, broken.stderr);
  assert.equal(broken.stderr.trim().split('\n').length, 1, broken.stderr);
  assert.match(broken.stderr, /^snn-export: .*bad\.bundle: .*truncated/);
  const ok = run(good);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /expected outputs {2}6\/6 samples identical/);
  assert.match(ok.stdout, /accuracy/);
});

test("the 'events' exporter writes a bundle of MNIST test samples that the simulator reproduces, and refuses what does not fit", async () => {
  const { EXPORTERS } = await import('../exporters/index.ts');
  const exporter = EXPORTERS.events;
  const dir = mkdtempSync(join(tmpdir(), 'export-'));
  for (const encoder of [{ kind: 'direct' as const }, { kind: 'rate' as const, seed: 3 }]) {
    const spec = noBias(BUILTIN_ARCHITECTURES.fc({ alpha: 0.9, beta: 0.8, timeSteps: 6, encoder, reset: 'zero' }));
    const checkpoint = { spec, params: initParams(validateSpec(spec), 1, 2), history: [] };
    const out = join(dir, `${encoder.kind}.bundle`);
    const summary = await exporter.export(checkpoint, out, { target: 'loihi2', samples: '4' }, 'mem.safetensors');
    assert.match(summary, /for loihi2, .*4 samples/);
    const bundle = readBundle(out);
    assert.equal(bundle.samples.length, 4);
    assert.deepEqual(bundle.samples.map((s) => s.label), [7, 2, 1, 0], 'the first MNIST test labels');
    assert.deepEqual(bundle.network.hostLayers, encoder.kind === 'direct' ? ['clif1'] : []);
    assert.deepEqual(bundle.network.inputShape, encoder.kind === 'direct' ? [800] : [1, 28, 28]);
    const sim = new HwSimulator(bundle.network);
    for (const s of bundle.samples) assert.deepEqual(sim.run(s.events).readoutSum, s.expected.readoutSum);
    await assert.rejects(exporter.export(checkpoint, join(dir, 'x.bundle'), { target: 'xylo-audio2', samples: '1' }, 'mem.safetensors'),
      (e: unknown) => e instanceof SnnError && e.kind === 'doesNotFit' && /16 input channels/.test(e.message));
  }
});
