import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec } from '../src/spec/validate.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { initParams } from '../src/spec/params.ts';
import { buildInferenceGraph } from '../src/compile/inference-graph.ts';
import { buildLoopInferenceGraph } from '../src/compile/loop-graph.ts';
import { READOUT_MEMBRANE_OUTPUT, buildRasterGraph, rasterOutputName } from '../src/compile/raster-graph.ts';
import { OrtGraph, feed } from '../src/engine/ort-session.ts';
import { TrainingEngine } from '../src/train/engine.ts';
import { Random } from '../src/util/random.ts';
import { referenceForward } from './helpers/reference-forward.ts';

const conv = (encoder: NetworkSpec['encoder'], reset: 'subtract' | 'zero', pool: 'maxpool' | 'avgpool'): NetworkSpec => ({
  version: 1, name: 'small-conv', inputShape: encoder.kind === 'events' ? [2, 9, 9] : [1, 9, 9], encoder, timeSteps: 6,
  layers: [
    { kind: 'conv2d', channels: 4, kernel: 3, padding: 1 }, { kind: pool, size: 2 }, { kind: 'clif', alpha: 0.6, beta: 0.7, theta: 0.5, reset },
    { kind: 'conv2d', channels: 5, kernel: 2, stride: 2 }, { kind: 'clif', alpha: 0.3, beta: 0.9, theta: 0.4, reset },
    { kind: 'flatten' }, { kind: 'dense', units: 3 }, { kind: 'readout', alpha: 0.5, beta: 0.8 },
  ],
});

function randomInput(spec: NetworkSpec, batch: number, seed: number): Float32Array {
  const rng = new Random(seed);
  const per = spec.inputShape.reduce((a, b) => a * b, 1);
  const n = spec.encoder.kind === 'direct' ? batch * per : spec.timeSteps * batch * per;
  return Float32Array.from({ length: n }, () => (spec.encoder.kind === 'direct' ? rng.next() : rng.next() < 0.3 ? 1 : 0));
}

for (const [label, spec] of [
  ['direct, maxpool, subtract reset', conv({ kind: 'direct' }, 'subtract', 'maxpool')],
  ['events, avgpool, zero reset', conv({ kind: 'events' }, 'zero', 'avgpool')],
] as const) {
  test(`the inference graph computes the spec's C-LIF network exactly (${label})`, async () => {
    const resolved = validateSpec(spec);
    const params = initParams(resolved, 7, 3);
    const B = 5;
    const input = randomInput(spec, B, 3);
    const expected = referenceForward(resolved, params, input, B);
    const graph = await OrtGraph.create(buildInferenceGraph({ resolved, steps: spec.timeSteps, params }).model);
    const dims = spec.encoder.kind === 'direct' ? [B, ...spec.inputShape] : [spec.timeSteps, B, ...spec.inputShape];
    const out = await graph.run({ input: feed(input, dims) });
    let spikes = 0;
    for (const [layer, counts] of expected.spikeCounts) {
      assert.deepEqual(Array.from(out[`spike_count_${layer}`]), Array.from(counts), `spike counts of ${layer}`);
      spikes += counts.reduce((a, b) => a + b, 0);
    }
    assert.ok(spikes > 0, 'the test network must spike');
    for (let i = 0; i < expected.logits.length; i++) assert.ok(Math.abs(out.logits[i] - expected.logits[i]) < 1e-4, `logit ${i}: ${out.logits[i]} vs ${expected.logits[i]}`);
    await graph.release();
  });
}

test('a run split into chunks with the state carried across gives the same outputs as one graph', async () => {
  const spec = conv({ kind: 'events' }, 'subtract', 'maxpool');
  const resolved = validateSpec(spec);
  const params = initParams(resolved, 11, 3);
  const B = 4;
  const input = randomInput(spec, B, 5);
  const batch = { batchSize: B, shape: [spec.timeSteps, B, ...spec.inputShape], data: input, labels: new Uint8Array(B) };
  const whole = new TrainingEngine(resolved, params, undefined, { mode: 'instant', loss: 'mean', surrogate: { kind: 'fast-sigmoid', width: 0.1 }, maxChunk: 6 });
  const chunked = new TrainingEngine(resolved, params, undefined, { mode: 'instant', loss: 'mean', surrogate: { kind: 'fast-sigmoid', width: 0.1 }, maxChunk: 2 });
  assert.equal(chunked.chunks, 3);
  const a = await whole.forward(batch);
  const b = await chunked.forward(batch);
  for (const [layer, counts] of a.spikeCounts) assert.deepEqual(Array.from(b.spikeCounts.get(layer)!), Array.from(counts));
  for (let i = 0; i < a.logits.length; i++) assert.ok(Math.abs(a.logits[i] - b.logits[i]) < 1e-5);
  await whole.dispose(); await chunked.dispose();
});

/** The same network ending in a spiking clif layer: its spike counts are the class scores. */
const spikingOutput = (spec: NetworkSpec): NetworkSpec => ({ ...spec, layers: [...spec.layers.slice(0, -1), { kind: 'clif', alpha: 0.5, beta: 0.8, theta: 0.3, reset: 'subtract' }] });

test('with a spiking output layer, logits are its exact spike counts, unrolled, as an ONNX Loop and in chunks', async () => {
  const spec = spikingOutput(conv({ kind: 'events' }, 'zero', 'avgpool'));
  const resolved = validateSpec(spec);
  assert.equal(resolved.output, 'spikes');
  const params = initParams(resolved, 7, 3);
  const B = 6;
  const input = randomInput(spec, B, 3);
  const dims = [spec.timeSteps, B, ...spec.inputShape];
  const expected = referenceForward(resolved, params, input, B).spikeCounts.get('clif3')!;
  assert.ok(expected.some((c) => c > 0) && new Set(expected).size > 2, 'the output layer must spike, with different counts');
  for (const build of [() => buildInferenceGraph({ resolved, steps: spec.timeSteps, params }), () => buildLoopInferenceGraph({ resolved, params })]) {
    const graph = await OrtGraph.create(build().model);
    const out = await graph.run({ input: feed(input, dims) });
    assert.deepEqual(Array.from(out.logits), Array.from(expected));
    assert.deepEqual(Array.from(out.spike_count_clif3), Array.from(expected));
    await graph.release();
  }
  const batch = { batchSize: B, shape: dims, data: input, labels: new Uint8Array(B) };
  for (const maxChunk of [6, 2]) {
    const engine = new TrainingEngine(resolved, params, undefined, { mode: 'instant', loss: 'count', surrogate: { kind: 'fast-sigmoid', width: 0.1 }, maxChunk });
    assert.deepEqual(Array.from((await engine.forward(batch)).logits), Array.from(expected), `engine forward, chunks of ${maxChunk}`);
    await engine.dispose();
  }
});

test('the raster graph of a spiking-output network gives the output layer\'s spikes and membrane per step', async () => {
  const spec = spikingOutput(conv({ kind: 'direct' }, 'subtract', 'maxpool'));
  const resolved = validateSpec(spec);
  const params = initParams(resolved, 5, 3);
  const B = 3, T = spec.timeSteps;
  const input = randomInput(spec, B, 9);
  const raster = buildRasterGraph({ resolved, params });
  assert.deepEqual(raster.spikingLayers.map((l) => l.name), ['clif1', 'clif2', 'clif3']);
  const graph = await OrtGraph.create(raster.model);
  const out = await graph.run({ input: feed(input, [B, ...spec.inputShape]) });
  const counts = new Float32Array(B * 3);
  out[rasterOutputName('clif3')].forEach((s, i) => { counts[i % (B * 3)] += s; });
  assert.deepEqual(Array.from(counts), Array.from(referenceForward(resolved, params, input, B).spikeCounts.get('clif3')!));
  assert.equal(out[READOUT_MEMBRANE_OUTPUT].length, T * B * 3);
  await graph.release();
});
