/**
 * The hand-derived gradients of the compiled training graph equal TensorFlow.js autodiff
 * (`tf.grads`, test/oracle/tfjs-gradients.ts) for each gradient mode, loss, surrogate, reset and
 * encoder, on small dense and conv networks; and a run split into chunks accumulates exactly the
 * gradient of the whole run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec } from '../src/spec/validate.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { initParams } from '../src/spec/params.ts';
import { buildTrainGraph } from '../src/compile/train-graph.ts';
import type { GradientMode } from '../src/compile/backward.ts';
import type { LossKind } from '../src/compile/loss.ts';
import { isWholeRunLoss, lossGradScale } from '../src/compile/loss.ts';
import { DEFAULT_ADAM } from '../src/compile/adam.ts';
import { OrtGraph, feed } from '../src/engine/ort-session.ts';
import { oneHot } from '../src/data/encode.ts';
import { traceWeights } from '../src/train/engine.ts';
import { clifParams } from '../src/neuron/clif.ts';
import type { Surrogate } from '../src/neuron/surrogate.ts';
import { Random } from '../src/util/random.ts';
import { oracleGradients } from './oracle/tfjs-gradients.ts';

const dense = (encoder: NetworkSpec['encoder'], reset: 'subtract' | 'zero'): NetworkSpec => ({
  version: 1, name: 'dense', inputShape: [12], encoder, timeSteps: 6,
  layers: [{ kind: 'dense', units: 7 }, { kind: 'clif', alpha: 0.6, beta: 0.7, theta: 0.4, reset }, { kind: 'dense', units: 4 }, { kind: 'readout', alpha: 0.5, beta: 0.8 }],
});
const conv = (encoder: NetworkSpec['encoder'], pool: 'avgpool' | 'maxpool', reset: 'subtract' | 'zero'): NetworkSpec => ({
  version: 1, name: 'conv', inputShape: [2, 6, 6], encoder, timeSteps: 5,
  layers: [
    { kind: 'conv2d', channels: 3, kernel: 3 }, { kind: pool, size: 2 }, { kind: 'clif', alpha: 0.5, beta: 0.6, theta: 0.3, reset },
    { kind: 'flatten' }, { kind: 'dense', units: 5 }, { kind: 'readout', alpha: 0.3, beta: 0.9 },
  ],
});

interface Case { label: string; spec: NetworkSpec; mode: GradientMode; loss: LossKind; surrogate: Surrogate }
const cases: Case[] = [];
for (const mode of ['instant', 'trace', 'bptt'] as GradientMode[]) {
  cases.push({ label: `dense direct, ${mode}, per-step, fast-sigmoid`, spec: dense({ kind: 'direct' }, 'subtract'), mode, loss: 'per-step', surrogate: { kind: 'fast-sigmoid', width: 0.3 } });
  cases.push({ label: `dense rate, ${mode}, mean, sigmoid, zero reset`, spec: dense({ kind: 'rate', seed: 1 }, 'zero'), mode, loss: 'mean', surrogate: { kind: 'sigmoid', width: 0.2 } });
  cases.push({ label: `conv avgpool events, ${mode}, mean, fast-sigmoid`, spec: { ...conv({ kind: 'events' }, 'avgpool', 'subtract'), inputShape: [2, 6, 6] }, mode, loss: 'mean', surrogate: { kind: 'fast-sigmoid', width: 0.3 } });
  cases.push({ label: `conv avgpool direct, ${mode}, per-step, zero reset`, spec: { ...conv({ kind: 'direct' }, 'avgpool', 'zero'), inputShape: [1, 6, 6] }, mode, loss: 'per-step', surrogate: { kind: 'fast-sigmoid', width: 0.3 } });
  if (mode !== 'trace') {
    cases.push({ label: `conv maxpool events, ${mode}, per-step`, spec: conv({ kind: 'events' }, 'maxpool', 'subtract'), mode, loss: 'per-step', surrogate: { kind: 'sigmoid', width: 0.2 } });
    cases.push({ label: `conv maxpool direct, ${mode}, mean`, spec: { ...conv({ kind: 'direct' }, 'maxpool', 'subtract'), inputShape: [1, 6, 6] }, mode, loss: 'mean', surrogate: { kind: 'fast-sigmoid', width: 0.3 } });
  }
}
// A spiking output layer (class scores = spike counts) with snnTorch's count and rate losses.
const spiking = (spec: NetworkSpec): NetworkSpec => ({ ...spec, layers: [...spec.layers.slice(0, -1), { kind: 'clif', alpha: 0.5, beta: 0.8, theta: 0.5, reset: 'subtract' }] });
for (const mode of ['instant', 'trace', 'bptt'] as GradientMode[]) {
  cases.push({ label: `spiking output, dense direct, ${mode}, count, fast-sigmoid`, spec: spiking(dense({ kind: 'direct' }, 'subtract')), mode, loss: 'count', surrogate: { kind: 'fast-sigmoid', width: 0.3 } });
  cases.push({ label: `spiking output, dense rate, ${mode}, rate, sigmoid, zero reset`, spec: spiking(dense({ kind: 'rate', seed: 1 }, 'zero')), mode, loss: 'rate', surrogate: { kind: 'sigmoid', width: 0.2 } });
  cases.push({ label: `spiking output, conv avgpool events, ${mode}, count`, spec: spiking(conv({ kind: 'events' }, 'avgpool', 'zero')), mode, loss: 'count', surrogate: { kind: 'fast-sigmoid', width: 0.3 } });
  if (mode !== 'trace') cases.push({ label: `spiking output, conv maxpool direct, ${mode}, rate`, spec: { ...spiking(conv({ kind: 'direct' }, 'maxpool', 'subtract')), inputShape: [1, 6, 6] }, mode, loss: 'rate', surrogate: { kind: 'fast-sigmoid', width: 0.3 } });
}
cases.push({ label: 'dense rate, instant, rectangular', spec: dense({ kind: 'rate', seed: 1 }, 'subtract'), mode: 'instant', loss: 'per-step', surrogate: { kind: 'rectangular', width: 0.8 } });

function inputFor(spec: NetworkSpec, B: number, seed: number): { shape: number[]; data: Float32Array } {
  const rng = new Random(seed);
  const per = spec.inputShape.reduce((a, b) => a * b, 1);
  if (spec.encoder.kind === 'direct') return { shape: [B, ...spec.inputShape], data: Float32Array.from({ length: B * per }, () => rng.next()) };
  return { shape: [spec.timeSteps, B, ...spec.inputShape], data: Float32Array.from({ length: spec.timeSteps * B * per }, () => (rng.next() < 0.35 ? 1 : 0)) };
}

/** Runs the compiled training graph(s) and returns the gradients (summed over chunks). */
async function compiledGradients(spec: NetworkSpec, params: ReturnType<typeof initParams>, input: { shape: number[]; data: Float32Array }, labels: Uint8Array, c: Case, chunk: number, dropoutMasks?: Record<string, { data: Float32Array; dims: number[] }>): Promise<Map<string, Float32Array>> {
  const resolved = validateSpec(spec);
  const T = spec.timeSteps, B = labels.length, K = resolved.classes;
  const chunked = chunk < T;
  const tg = buildTrainGraph({ resolved, steps: chunk, chunked, mode: c.mode, surrogate: c.surrogate, loss: c.loss, logitsInput: false, firstTrainable: 0, accumulate: false, update: false, adam: DEFAULT_ADAM, dropout: !!dropoutMasks });
  assert.ok(!chunked || !isWholeRunLoss(c.loss));
  const graph = await OrtGraph.create(tg.model);
  const feeds: Record<string, ReturnType<typeof feed>> = { labels: feed(oneHot(labels, K), [B, K]), grad_scale: feed(new Float32Array([lossGradScale(c.loss, T, B)]), []) };
  for (const [k, t] of params) feeds[k] = feed(t.data, t.shape);
  for (const [k, m] of Object.entries(dropoutMasks ?? {})) feeds[k] = feed(m.data, m.dims);
  for (const s of tg.states) feeds[s.name] = feed(new Float32Array(B * s.shape.reduce((a, b) => a * b, 1)), [B, ...s.shape]);
  const sums = new Map<string, Float32Array>();
  for (let start = 0; start < T; start += chunk) {
    if (spec.encoder.kind === 'direct') feeds.input = feed(input.data, input.shape);
    else { const per = input.data.length / T; feeds.input = feed(input.data.subarray(start * per, (start + chunk) * per), [chunk, ...input.shape.slice(1)]); }
    for (const b of resolved.blocks) if (c.mode === 'trace') {
      const n = clifParams(b.neuron.layer);
      feeds[`trace_weights.${b.neuron.name}`] = feed(traceWeights(n.alpha, n.beta, T).subarray(start, start + chunk), [chunk]);
    }
    const out = await graph.run(feeds);
    for (const [k, v] of Object.entries(out)) {
      if (k.startsWith('grad.')) { const acc = sums.get(k.slice(5)); if (acc) v.forEach((x, i) => { acc[i] += x; }); else sums.set(k.slice(5), Float32Array.from(v)); }
      if (k.startsWith('next_state_')) feeds[k.slice(5)] = feed(v, feeds[k.slice(5)].dims as number[]);
    }
  }
  await graph.release();
  return sums;
}

function assertClose(got: Map<string, Float32Array>, want: Map<string, Float32Array>, label: string): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${label}: parameters`);
  for (const [k, w] of want) {
    const g = got.get(k)!;
    const scale = Math.max(...Array.from(w, Math.abs), 1e-6);
    assert.ok(scale > 1e-7, `${label}: ${k} has a non-zero gradient`);
    for (let i = 0; i < w.length; i++) {
      assert.ok(Math.abs(g[i] - w[i]) <= 2e-4 * scale + 1e-4 * Math.abs(w[i]), `${label}: ${k}[${i}] compiled ${g[i]} vs autodiff ${w[i]} (scale ${scale})`);
    }
  }
}

for (const c of cases) {
  test(`compiled gradient equals tf.grads: ${c.label}`, async () => {
    const resolved = validateSpec(c.spec);
    const params = initParams(resolved, 4, 3);
    const B = 3;
    const input = inputFor(c.spec, B, 8);
    const labels = Uint8Array.from({ length: B }, (_, i) => (i * 3 + 1) % resolved.classes);
    const oracle = await oracleGradients({ spec: c.spec, params, input: { batchSize: B, ...input }, labels, mode: c.mode, loss: c.loss, surrogate: c.surrogate.kind, width: c.surrogate.width });
    const compiled = await compiledGradients(c.spec, params, input, labels, c, c.spec.timeSteps);
    assertClose(compiled, oracle.grads, c.label);
  });
}

test('chunks of 2 steps with state and traces carried accumulate the gradient of the whole run (instant and trace)', async () => {
  for (const mode of ['instant', 'trace'] as GradientMode[]) {
    for (const [spec, loss] of [[{ ...dense({ kind: 'rate', seed: 1 }, 'subtract'), timeSteps: 6 }, 'per-step'], [{ ...spiking(dense({ kind: 'rate', seed: 1 }, 'subtract')), timeSteps: 6 }, 'rate']] as [NetworkSpec, LossKind][]) {
      const resolved = validateSpec(spec);
      const params = initParams(resolved, 2, 3);
      const input = inputFor(spec, 4, 3);
      const labels = Uint8Array.from([0, 1, 2, 3]);
      const c: Case = { label: mode, spec, mode, loss, surrogate: { kind: 'fast-sigmoid', width: 0.3 } };
      assertClose(await compiledGradients(spec, params, input, labels, c, 2), await compiledGradients(spec, params, input, labels, c, 6), `chunked ${mode}, ${loss}`);
    }
  }
});

test('the current-step gradient differs from BPTT when the neurons have memory, and equals it when alpha = beta = 0', async () => {
  const surrogate: Surrogate = { kind: 'fast-sigmoid', width: 0.3 };
  const B = 3, labels = Uint8Array.from([0, 1, 2]);
  const withMemory = dense({ kind: 'rate', seed: 1 }, 'subtract');
  const memoryless: NetworkSpec = { ...withMemory, layers: withMemory.layers.map((l) => (l.kind === 'clif' || l.kind === 'readout' ? { ...l, alpha: 0, beta: 0 } : l)) };
  for (const [spec, equal] of [[withMemory, false], [memoryless, true]] as const) {
    const params = initParams(validateSpec(spec), 4, 3);
    const input = inputFor(spec, B, 8);
    const grads = async (mode: GradientMode) => compiledGradients(spec, params, input, labels, { label: mode, spec, mode, loss: 'per-step', surrogate }, spec.timeSteps);
    const [instant, bptt] = [await grads('instant'), await grads('bptt')];
    const w = 'dense1.weight';
    const maxDiff = Math.max(...Array.from(instant.get(w)!, (v, i) => Math.abs(v - bptt.get(w)![i])));
    if (equal) assert.ok(maxDiff < 1e-7, `memoryless: instant and bptt agree (max diff ${maxDiff})`);
    else assert.ok(maxDiff > 1e-4, `with memory: instant and bptt differ (max diff ${maxDiff})`);
  }
});

test('dropout on a dense layer\'s input gives the gradients of the same network with the dropped weight columns zeroed and the kept ones scaled', async () => {
  // With one mask m for every sample, masking the input x of a dense layer is the same network as
  // W' = W·diag(m) on the unmasked x: the same gradients below the layer and for its bias, and
  // dL/dW = dL/dW' ⊙ m (column-wise), in every gradient mode.
  const surrogate: Surrogate = { kind: 'fast-sigmoid', width: 0.3 };
  const specs = [dense({ kind: 'rate', seed: 1 }, 'subtract'), { ...conv({ kind: 'direct' }, 'maxpool', 'subtract'), inputShape: [1, 6, 6] }];
  for (const spec of specs) {
    for (const mode of ['instant', 'trace', 'bptt'] as GradientMode[]) {
      const resolved = validateSpec(spec);
      const layer = resolved.blocks[1].weighted.name;
      const params = initParams(resolved, 4, 3);
      const B = 3, labels = Uint8Array.from([0, 1, 2]);
      const input = inputFor(spec, B, 8);
      const [units, inputs] = params.get(`${layer}.weight`)!.shape;
      const rate = 0.4;
      const rng = new Random(5);
      const row = Float32Array.from({ length: inputs }, () => (rng.next() < rate ? 0 : 1 / (1 - rate)));
      assert.ok(row.includes(0) && row.some((v) => v > 1), 'the mask drops some inputs and scales the others');
      const mask = new Float32Array(B * inputs);
      for (let b = 0; b < B; b++) mask.set(row, b * inputs);
      const scaled = new Map([...params].map(([k, t]) => [k, k === `${layer}.weight` ? { ...t, data: t.data.map((w, i) => w * row[i % inputs]) } : t]));
      const c: Case = { label: mode, spec, mode, loss: 'mean', surrogate };
      const dropped = await compiledGradients(spec, params, input, labels, c, spec.timeSteps, { [`dropout_mask.${layer}`]: { data: mask, dims: [B, inputs] } });
      const reference = await compiledGradients(spec, scaled, input, labels, c, spec.timeSteps);
      const want = new Map(reference);
      want.set(`${layer}.weight`, reference.get(`${layer}.weight`)!.map((g, i) => g * row[i % inputs]));
      assert.equal(units * inputs, want.get(`${layer}.weight`)!.length);
      assertClose(dropped, want, `${spec.name} ${mode} with dropout`);
    }
  }
});
