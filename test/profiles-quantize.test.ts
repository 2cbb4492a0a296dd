import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfile } from '../hardware-profiles/index.ts';
import { FloatReference } from '../src/quantize/float-reference.ts';
import { eventsFromDense } from '../src/quantize/input-events.ts';
import { quantizeNetwork } from '../src/quantize/quantize.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { Random } from '../src/util/random.ts';
import { HwSimulator, logitsOf } from '../runtimes/hwsim/simulator.ts';

const spec = (reset: 'zero' | 'subtract'): NetworkSpec => ({
  version: 1, name: 'q', inputShape: [2, 8, 8], encoder: { kind: 'events' }, timeSteps: 20,
  layers: [
    { kind: 'conv2d', channels: 6, kernel: 3, padding: 1 }, { kind: 'avgpool', size: 2 }, { kind: 'clif', alpha: 0.9, beta: 0.75, theta: 0.8, reset },
    { kind: 'flatten' }, { kind: 'dense', units: 30 }, { kind: 'clif', alpha: 0.5, beta: 0.9375, reset },
    { kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.8, beta: 0.9 },
  ],
});

test('loihi2: even weights in [-256, 254] at one scale and exponent 0, 4096-scale decays, vth = round(θ·κ), no biases', () => {
  const withBias = spec('zero');
  // loihi2 refuses chip-layer biases (its bias enters the membrane): the network is trained without.
  const resolved = validateSpec({ ...withBias, layers: withBias.layers.map((l) => (l.kind === 'dense' || l.kind === 'conv2d' ? { ...l, bias: false } : l)) });
  const params = initParams(resolved, 3);
  const { network, report } = quantizeNetwork(resolved, params, loadProfile('loihi2'));
  for (const [i, l] of network.layers.entries()) {
    const W = params.get(`${l.weightedName}.weight`)!.data;
    const maxW = Math.max(...W.map(Math.abs));
    const pool = l.pool?.kind === 'sum' ? 4 : 1;
    const neuron = resolved.blocks[i].neuron.layer;
    const theta = neuron.kind === 'clif' ? neuron.theta ?? 1 : 1;
    // κ = 254 / max|W| unless θ·κ·64·pool would pass the state budget (2^23 − 1)/128 (stateHeadroom): at exponent 0, κ is then capped.
    const kappa = Math.min(254 / maxW, (2 ** 23 - 1) / 128 / (theta * 64 * pool));
    assert.equal(l.weightExponent, 0, 'netx stores no exponent');
    assert.equal(l.bias, null);
    assert.ok(l.weights.every((w) => w % 2 === 0 && w >= -256 && w <= 254), `${l.name}: weights not even or out of range`);
    if (kappa === 254 / maxW) assert.equal(Math.max(...l.weights.map(Math.abs)), 254, `${l.name}: the largest weight uses the full range`);
    assert.ok(l.scale.every((s) => Math.abs(s - kappa * 64 * pool) < 1e-6 * s), `${l.name}: scale`);
    assert.equal(l.currentDecay, Math.round(4096 * (1 - neuron.alpha)));
    assert.equal(l.membraneDecay, Math.round(4096 * (1 - neuron.beta)));
    if (neuron.kind === 'clif') assert.ok(l.threshold.every((t) => t === Math.round(((neuron.theta ?? 1) * l.scale[0]) / 64)));
    if (neuron.kind === 'readout') assert.ok(l.threshold.every((t) => t === 131071), 'the readout is a LIF at the largest 17-bit vth');
    // A capped κ leaves fewer weight steps: the avgpool layer uses about a quarter of the range.
    assert.ok(report[i].weightRelativeError < (kappa === 254 / maxW ? 0.01 : 0.03), `${l.name}: weight error ${report[i].weightRelativeError}`);
  }
});

test('xylo-audio2: per-channel int8 weights, bit-shift decays dash = round(log2(1/(1 - decay)))', () => {
  const s: NetworkSpec = { version: 1, name: 'x', inputShape: [12], encoder: { kind: 'rate', seed: 1 }, timeSteps: 10,
    layers: [{ kind: 'dense', units: 20 }, { kind: 'clif', alpha: 0.5, beta: 0.9375 }, { kind: 'dense', units: 6 }, { kind: 'readout', alpha: 1, beta: 0 }] };
  const resolved = validateSpec(s);
  const { network } = quantizeNetwork(resolved, initParams(resolved, 4), loadProfile('xylo-audio2'));
  const [hidden, out] = network.layers;
  assert.deepEqual([hidden.currentDecay, hidden.membraneDecay], [1, 4]);
  assert.deepEqual([out.currentDecay, out.membraneDecay], [15, 0], 'alpha 1 keeps the longest shift, beta 0 clears');
  for (let c = 0; c < hidden.channels; c++) {
    const row = hidden.weights.subarray(c * 12, (c + 1) * 12);
    assert.equal(Math.max(...row.map(Math.abs)), 127, `channel ${c} uses its own full int8 range`);
  }
  assert.equal(new Set(hidden.scale).size, hidden.channels, 'one scale per channel');
});

test('generic-int16 on the simulator reproduces the float network: same spikes almost everywhere, logits within 2 %', () => {
  const rng = new Random(11);
  for (const reset of ['zero', 'subtract'] as const) {
    const resolved = validateSpec(spec(reset));
    const params = initParams(resolved, 5, 3);
    const { network, report } = quantizeNetwork(resolved, params, loadProfile('generic-int16'));
    assert.ok(report.every((r) => r.weightRelativeError < 1e-4 && r.thresholdRelativeError < 1e-4), JSON.stringify(report));
    const sim = new HwSimulator(network);
    const ref = new FloatReference(resolved, params);
    const T = 20, n = 128;
    let agree = 0, total = 0, maxRel = 0, spikes = 0;
    for (let sample = 0; sample < 8; sample++) {
      const frames = new Float32Array(T * n).map(() => (rng.next() < 0.2 ? 1 + Math.floor(rng.next() * 2) : 0));
      const float = ref.run((t) => frames.subarray(t * n, (t + 1) * n));
      const result = sim.run(eventsFromDense(frames, T, n, 0, n));
      const logits = logitsOf(network, result);
      const span = Math.max(...float.logits.map(Math.abs));
      for (let c = 0; c < logits.length; c++) maxRel = Math.max(maxRel, Math.abs(logits[c] - float.logits[c]) / span);
      result.spikeCounts.forEach((counts, l) => counts.forEach((v, i) => { total++; spikes += v; if (v === float.spikeCounts[l][i]) agree++; }));
    }
    assert.ok(spikes > 100, 'the network must spike for the comparison to mean anything');
    assert.ok(agree / total > 0.98, `${reset}: spike counts agree for ${(100 * agree / total).toFixed(2)} % of neurons`);
    assert.ok(maxRel < 0.02, `${reset}: logits differ by ${(100 * maxRel).toFixed(3)} % of their range`);
  }
});
