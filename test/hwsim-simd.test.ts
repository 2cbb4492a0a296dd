// The SIMD simulator's layouts against its plain-JavaScript path (itself checked against the
// BigInt reference in hwsim-bitexact.test.ts): int16 lanes split into several input groups, input
// steps whose addresses repeat or are out of order (a group bound counts each address once), the
// SIMD 2×2 max pool on maps of odd size, and weights at the int16 group limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfile } from '../hardware-profiles/index.ts';
import type { QuantizedNetwork } from '../src/quantize/quantize.ts';
import { quantizeNetwork } from '../src/quantize/quantize.ts';
import type { StepEvents } from '../src/quantize/input-events.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { Random } from '../src/util/random.ts';
import { HwSimulator } from '../runtimes/hwsim/simulator.ts';

interface KernelView { lanes16: boolean; groupOf: Uint32Array; pooled: Int32Array }
const kernelsOf = (sim: HwSimulator) => (sim as unknown as { kernels: KernelView[] }).kernels;

function trace(net: QuantizedNetwork, events: StepEvents, simd: boolean): string[] {
  const sim = new HwSimulator(net, { simd });
  assert.equal(sim.simd, simd);
  const out: string[] = [];
  const r = sim.run(events, (t, l, s, current, membrane) => { out.push(`${t}/${l}: ${[...s]} | ${Array.from(current)} | ${Array.from(membrane)}`); });
  out.push(`events ${r.synapticEvents} readout ${[...r.readoutSum]}`);
  return out;
}

/** Random binary events; `shuffle` puts each step out of order and repeats some addresses. */
function events(rng: Random, n: number, timeSteps: number, density: number, shuffle: boolean): StepEvents {
  const offsets = new Uint32Array(timeSteps + 1);
  const addresses: number[] = [];
  for (let t = 0; t < timeSteps; t++) {
    offsets[t] = addresses.length;
    const step: number[] = [];
    for (let i = 0; i < n; i++) if (rng.next() < density) step.push(i);
    if (shuffle) {
      for (let i = 0; i < step.length / 2; i++) step.push(step[Math.floor(rng.next() * step.length)]);
      // One address many times over: alone, its sum leaves int16.
      const many = Math.floor(rng.next() * n);
      for (let i = 0; i < 600; i++) step.push(many);
      for (let i = step.length - 1; i > 0; i--) { const j = Math.floor(rng.next() * (i + 1)); [step[i], step[j]] = [step[j], step[i]]; }
    }
    addresses.push(...step);
  }
  offsets[timeSteps] = addresses.length;
  return { timeSteps, offsets, addresses: Uint32Array.from(addresses), payloads: null };
}

/** All weights at ±max: the int16 groups are as small as they get and their sums reach the limit. */
function extreme(net: QuantizedNetwork, rng: Random): QuantizedNetwork {
  const w = net.profile.weights.max.value;
  return { ...net, layers: net.layers.map((l) => ({ ...l, weights: l.weights.map(() => (rng.next() < 0.9 ? w : -w)) })) };
}

for (const target of ['generic-int8', 'loihi2', 'generic-int16']) {
  test(`hwsim SIMD (int16 groups, unordered inputs, SIMD max pool) equals the JavaScript path on ${target}`, () => {
    const profile = loadProfile(target);
    const rng = new Random(target.length * 104729);
    const bias = profile.bias.supported?.value !== false;
    const spec: NetworkSpec = {
      version: 1, name: 'groups', inputShape: [40, 9, 9], encoder: { kind: 'rate', seed: 1 }, timeSteps: 6,
      layers: [
        { kind: 'conv2d', channels: 20, kernel: 3, padding: 1, bias }, { kind: 'maxpool', size: 2 }, { kind: 'clif', alpha: 0.5, beta: 0.9, theta: 1, reset: profile.reset.modes[0] },
        { kind: 'flatten' }, { kind: 'dense', units: 12, bias }, { kind: 'readout', alpha: 0.5, beta: 0.9 },
      ],
    };
    const resolved = validateSpec(spec);
    const { network } = quantizeNetwork(resolved, initParams(resolved, 11, 4), profile);
    let groupsSeen = 0, lanes16Seen = 0;
    for (const net of [network, extreme(network, rng)]) {
      const view = kernelsOf(new HwSimulator(net));
      for (const k of view) if (k.lanes16) { lanes16Seen++; groupsSeen = Math.max(groupsSeen, k.groupOf[k.groupOf.length - 1] + 1); }
      if (target !== 'generic-int16') assert.ok(view[0].pooled.length > 0, 'the 2×2 max pool should run in SIMD');
      const n = net.inputShape.reduce((a, b) => a * b, 1);
      for (const shuffle of [false, true]) {
        const ev = events(rng, n, spec.timeSteps, 0.4, shuffle);
        assert.deepEqual(trace(net, ev, true), trace(net, ev, false), `${target}, ${net === network ? 'quantized' : 'extreme'} weights, ${shuffle ? 'unordered' : 'ordered'} input`);
      }
    }
    if (target === 'generic-int16') return; // 16-bit weights leave int16 alone: int32 lanes
    assert.ok(lanes16Seen > 0, 'no layer used int16 lanes');
    assert.ok(groupsSeen > 1, 'the int16 lanes never needed more than one input group');
  });
}
