import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfile } from '../hardware-profiles/index.ts';
import { RUNTIMES } from '../runtimes/index.ts';
import { HwSimulator, logitsOf } from '../runtimes/hwsim/simulator.ts';
import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import { SnnError } from '../src/errors.ts';
import { FloatReference } from '../src/quantize/float-reference.ts';
import { HostEncoder, eventsFromDense } from '../src/quantize/input-events.ts';
import { quantizeNetwork } from '../src/quantize/quantize.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { Random } from '../src/util/random.ts';

const layers: NetworkSpec['layers'] = [
  { kind: 'flatten' }, { kind: 'dense', units: 24 }, { kind: 'clif', alpha: 0.6, beta: 0.8, reset: 'zero' },
  // No bias on the chip layers: loihi2 refuses them (its bias enters the membrane); the host layer keeps its own.
  { kind: 'dense', units: 16, bias: false }, { kind: 'clif', alpha: 0.6, beta: 0.8, reset: 'zero' },
  { kind: 'dense', units: 5, bias: false }, { kind: 'readout', alpha: 0.6, beta: 0.8 },
];

function checkpoint(encoder: NetworkSpec['encoder']): Checkpoint {
  const spec: NetworkSpec = { version: 1, name: 'rt', inputShape: [1, 6, 6], encoder, timeSteps: 12, layers };
  return { spec, params: initParams(validateSpec(spec), 2, 3), history: [] };
}

test("the 'hwsim' runtime is registered and returns logits [B, classes] and spike counts of every spiking layer", async () => {
  const runtime = RUNTIMES.hwsim;
  assert.equal(runtime.name, 'hwsim');
  const ck = checkpoint({ kind: 'direct' });
  const prepared = await runtime.prepare({ checkpoint: ck, target: 'loihi2' });
  const rng = new Random(1);
  const B = 3;
  const data = Float32Array.from({ length: B * 36 }, () => rng.next());
  const out = await prepared.run({ batchSize: B, shape: [B, 1, 6, 6], data });
  assert.equal(out.logits.length, B * 5);
  assert.deepEqual([...out.spikeCounts.keys()], ['clif1', 'clif2']);
  assert.equal(out.spikeCounts.get('clif1')!.length, B * 24);
  // The same as running the pieces by hand: float host encoder, then the simulator.
  const resolved = validateSpec(ck.spec);
  const { network, placement } = quantizeNetwork(resolved, ck.params, loadProfile('loihi2'));
  const host = new HostEncoder(placement.hostBlocks[0], ck.params, 12);
  const sim = new HwSimulator(network);
  for (let b = 0; b < B; b++) {
    const counts = new Float32Array(24);
    const r = sim.run(host.encode(data.subarray(b * 36, (b + 1) * 36), counts));
    assert.deepEqual(out.logits.subarray(b * 5, (b + 1) * 5), logitsOf(network, r));
    assert.deepEqual(out.spikeCounts.get('clif1')!.subarray(b * 24, (b + 1) * 24), counts);
    assert.deepEqual(out.spikeCounts.get('clif2')!.subarray(b * 16, (b + 1) * 16), Float32Array.from(r.spikeCounts[0]));
  }
  // The host layer is the float model's own first layer: its spike counts equal the float reference's.
  const ref = new FloatReference(resolved, ck.params).run(() => data.subarray(0, 36));
  assert.deepEqual(out.spikeCounts.get('clif1')!.subarray(0, 24), ref.spikeCounts[0]);
  await prepared.dispose();
});

test("the 'hwsim' runtime reads [T, B, ...] spikes for rate input, and needs a target", async () => {
  const ck = checkpoint({ kind: 'rate', seed: 4 });
  const prepared = await RUNTIMES.hwsim.prepare({ checkpoint: ck, target: 'generic-int8' });
  const rng = new Random(2);
  const T = 12, B = 2;
  const data = Float32Array.from({ length: T * B * 36 }, () => (rng.next() < 0.3 ? 1 : 0));
  const out = await prepared.run({ batchSize: B, shape: [T, B, 1, 6, 6], data });
  const { network } = quantizeNetwork(validateSpec(ck.spec), ck.params, loadProfile('generic-int8'));
  const r = new HwSimulator(network).run(eventsFromDense(data, T, 36, 36, B * 36));
  assert.deepEqual(out.logits.subarray(5, 10), logitsOf(network, r), 'sample 1 reads its own slice of every step');
  await assert.rejects(prepared.run({ batchSize: B, shape: [B, 1, 6, 6], data: data.subarray(0, B * 36) }), (e: unknown) => e instanceof SnnError && e.kind === 'malformedInput');
  await assert.rejects(RUNTIMES.hwsim.prepare({ checkpoint: ck }), (e: unknown) => e instanceof SnnError && e.kind === 'usage' && /--target/.test(e.message));
});

test("a network that ends in a spiking layer: the 'hwsim' runtime's class scores are the output layer's spike counts, on every profile", async () => {
  const spiking: NetworkSpec['layers'] = [...layers.slice(0, -1), { kind: 'clif', alpha: 0.6, beta: 0.8, theta: 0.3, reset: 'zero' }];
  const spec: NetworkSpec = { version: 1, name: 'rt-spikes', inputShape: [1, 6, 6], encoder: { kind: 'direct' }, timeSteps: 12, layers: spiking };
  const ck: Checkpoint = { spec, params: initParams(validateSpec(spec), 2, 3), history: [] };
  const rng = new Random(3);
  const B = 4;
  const data = Float32Array.from({ length: B * 36 }, () => rng.next());
  for (const target of ['loihi2', 'generic-int8', 'generic-int16']) {
    const prepared = await RUNTIMES.hwsim.prepare({ checkpoint: ck, target });
    const out = await prepared.run({ batchSize: B, shape: [B, 1, 6, 6], data });
    assert.deepEqual([...out.spikeCounts.keys()], ['clif1', 'clif2', 'clif3'], `${target}: the output layer's counts are reported too`);
    const counts = out.spikeCounts.get('clif3')!;
    assert.deepEqual(out.logits, counts, `${target}: scores = output spike counts`);
    assert.ok(counts.some((c) => c > 0), `${target}: the output layer never fired; the check would be vacuous`);
    await prepared.dispose();
  }
});
