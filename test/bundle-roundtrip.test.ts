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

/** A direct-encoded conv network with pooling, on a profile with a synaptic delay, and payload-carrying rate events. */
function makeBundle(target: string, withPayloads: boolean): EventBundle {
  const spec: NetworkSpec = {
    version: 1, name: 'tiny', inputShape: [1, 10, 10], encoder: { kind: 'direct' }, timeSteps: 8, classNames: ['a', 'b', 'c', 'd'],
    layers: [
      { kind: 'conv2d', channels: 3, kernel: 3 }, { kind: 'clif', alpha: 0.5, beta: 0.8, reset: 'zero' },
      { kind: 'conv2d', channels: 4, kernel: 3 }, { kind: 'maxpool', size: 2 }, { kind: 'clif', alpha: 0.7, beta: 0.9, reset: 'zero' },
      { kind: 'flatten' }, { kind: 'dense', units: 4 }, { kind: 'readout', alpha: 0.6, beta: 0.9 },
    ],
  };
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
  for (const [target, payloads] of [['loihi2', false], ['generic-int8', true]] as const) {
    const bundle = makeBundle(target, payloads);
    const bytes = encodeBundle(bundle);
    const decoded = decodeBundle(bytes, 'mem.bundle');
    assert.deepEqual(Buffer.from(encodeBundle(decoded)), Buffer.from(bytes), `${target}: re-encoding changed the bytes`);
    assert.deepEqual(decoded.network, bundle.network);
    assert.deepEqual(decoded.samples, bundle.samples);
    assert.deepEqual(decoded.classNames, ['a', 'b', 'c', 'd']);
    assert.deepEqual(decoded.report, bundle.report);
    // The decoded network and events reproduce the stored expected outputs.
    const sim = new HwSimulator(decoded.network);
    for (const s of decoded.samples) assert.deepEqual(sim.run(s.events).readoutSum, s.expected.readoutSum);
    assert.ok(decoded.samples.some((s) => s.events.addresses.length > 0), 'the samples carry events');
    assert.equal(decoded.network.layers[0].placement.delaySteps, target === 'loihi2' ? 1 : 0);
  }
});

function refusedAs(bytes: Uint8Array, kind: 'malformedInput' | 'incompatibleVersion', pattern: RegExp): void {
  assert.throws(() => decodeBundle(bytes, 'x.bundle'), (err: unknown) => {
    assert.ok(err instanceof SnnError, `not an SnnError: ${(err as Error)?.stack ?? err}`);
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
    const spec = BUILTIN_ARCHITECTURES.fc({ alpha: 0.9, beta: 0.8, timeSteps: 6, encoder, reset: 'zero' });
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
