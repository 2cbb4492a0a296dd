/**
 * Backward phase skipping and layerwise FreezeOut (DESIGN §4, issue 6): a skipped step adds no
 * gradient and its rows never reach a backward node; a frozen layer stops changing at its freeze
 * point and its learning rate follows the per-layer cosine schedule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSpec } from '../src/spec/validate.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { initParams } from '../src/spec/params.ts';
import { buildTrainGraph } from '../src/compile/train-graph.ts';
import type { GradientMode } from '../src/compile/backward.ts';
import { DEFAULT_ADAM } from '../src/compile/adam.ts';
import { decodeModel } from '../src/compile/onnx-proto.ts';
import { OrtGraph, feed } from '../src/engine/ort-session.ts';
import { traceWeights } from '../src/train/engine.ts';
import { oneHot } from '../src/data/encode.ts';
import { StepSkipper, parseSkipPolicy } from '../src/train/skip.ts';
import { freezeOutLr, freezePoints, frozenLayers } from '../src/train/freezeout.ts';
import { train } from '../src/train/trainer.ts';
import { DEFAULT_SETTINGS } from '../src/train/defaults.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { subset } from '../src/data/dataset.ts';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { Random } from '../src/util/random.ts';

const spec: NetworkSpec = {
  version: 1, name: 'skip', inputShape: [2, 6, 6], encoder: { kind: 'events' }, timeSteps: 6,
  layers: [
    { kind: 'conv2d', channels: 3, kernel: 3 }, { kind: 'maxpool', size: 2 }, { kind: 'clif', alpha: 0.5, beta: 0.6, theta: 0.3 },
    { kind: 'flatten' }, { kind: 'dense', units: 5 }, { kind: 'readout', alpha: 0.3, beta: 0.9 },
  ],
};
const resolved = validateSpec(spec);
const params = initParams(resolved, 4, 3);
const B = 3;
const rng = new Random(2);
const input = Float32Array.from({ length: 6 * B * 72 }, () => (rng.next() < 0.35 ? 1 : 0));
const labels = Uint8Array.from([0, 3, 1]);

async function gradients(mode: GradientMode, kept?: number[]): Promise<Map<string, Float32Array>> {
  const tg = buildTrainGraph({ resolved, steps: 6, chunked: false, mode, surrogate: { kind: 'fast-sigmoid', width: 0.3 }, loss: 'per-step', logitsInput: false, firstTrainable: 0, kept, accumulate: false, update: false, adam: DEFAULT_ADAM });
  const graph = await OrtGraph.create(tg.model);
  const feeds: Record<string, ReturnType<typeof feed>> = { input: feed(input, [6, B, 2, 6, 6]), labels: feed(oneHot(labels, 5), [B, 5]), grad_scale: feed(new Float32Array([1 / (6 * B)]), []) };
  for (const [k, t] of params) feeds[k] = feed(t.data, t.shape);
  if (mode === 'trace') for (const b of resolved.blocks) {
    const n = b.neuron.layer;
    const c = traceWeights(n.alpha, n.beta, 6);
    const w = kept ? Float32Array.from(kept, (t) => c[t]) : c;
    feeds[`trace_weights.${b.neuron.name}`] = feed(w, [w.length]);
  }
  const out = await graph.run(feeds);
  await graph.release();
  return new Map(Object.entries(out).filter(([k]) => k.startsWith('grad.')).map(([k, v]) => [k.slice(5), v]));
}

for (const mode of ['instant', 'trace'] as GradientMode[]) {
  test(`skipped steps add no gradient: kept + skipped = all (${mode})`, async () => {
    const all = await gradients(mode);
    const kept = await gradients(mode, [3, 4, 5]);
    const skipped = await gradients(mode, [0, 1, 2]);
    for (const [k, g] of all) {
      const scale = Math.max(...Array.from(g, Math.abs));
      for (let i = 0; i < g.length; i++) assert.ok(Math.abs(kept.get(k)![i] + skipped.get(k)![i] - g[i]) <= 1e-5 * scale + 1e-7, `${k}[${i}]`);
      assert.ok(Array.from(kept.get(k)!).some((v, i) => Math.abs(v - g[i]) > 1e-4 * scale), `${k}: skipping changes the gradient`);
    }
  });
}

test('the rows of skipped steps are dropped before any backward node', () => {
  const tg = buildTrainGraph({ resolved, steps: 6, chunked: false, mode: 'instant', surrogate: { kind: 'fast-sigmoid', width: 0.3 }, loss: 'per-step', logitsInput: false, firstTrainable: 0, kept: [4, 5], accumulate: false, update: false, adam: DEFAULT_ADAM });
  const nodes: { opType: string; input: string[]; output: string[] }[] = decodeModel(tg.model).graph.node;
  const producer = new Map(nodes.flatMap((n) => n.output.map((o) => [o, n] as const)));
  // Every input of the weight gradients and of the surrogate traces back to a Gather of the kept steps.
  const reachesGather = (value: string, depth = 0): boolean => {
    const n = producer.get(value);
    if (!n || depth > 12) return false;
    if (n.opType === 'Gather' && n.output[0].startsWith('kept_rows')) return true;
    return n.input.some((i) => reachesGather(i, depth + 1));
  };
  const dW = nodes.filter((n) => /_dW/.test(n.output[0]));
  assert.ok(dW.length >= 2);
  for (const n of dW) assert.ok(reachesGather(n.output[0]), `${n.output[0]} is computed from kept rows only`);
  const gathers = nodes.filter((n) => n.opType === 'Gather' && n.output[0].startsWith('kept_rows'));
  assert.ok(gathers.length >= 3, 'readout error, membrane, input spikes and pooling indices are selected');
});

test('skip policies keep the documented steps, and loss gating keeps the steps not yet fitted', () => {
  assert.deepEqual(new StepSkipper(parseSkipPolicy('burn-in:4'), 6).kept(), [4, 5]);
  assert.deepEqual(new StepSkipper(parseSkipPolicy('every:2'), 7).kept(), [1, 3, 5, 6]);
  assert.equal(new StepSkipper(parseSkipPolicy('none'), 7).kept(), undefined);
  const gated = new StepSkipper(parseSkipPolicy('loss-gated:0.5'), 4);
  for (let b = 0; b < StepSkipper.REGATE_EVERY; b++) gated.observe(Float32Array.from([2, 0.6, 0.2, 0.1]));
  assert.deepEqual(gated.kept(), [0, 1]);
  assert.throws(() => parseSkipPolicy('burn-in'), /not one of none, burn-in:K/);
});

test('FreezeOut: cubic freeze points, cosine learning rate to zero at the freeze point', () => {
  const points = freezePoints(3, { t0: 0.8, scaling: 'cubic', scaleLr: true });
  assert.ok(Math.abs(points[0] - 0.512) < 1e-12);
  assert.ok(Math.abs(points[1] - 0.729) < 1e-12);
  assert.equal(points[2], 1);
  assert.equal(frozenLayers(points, 0.5), 0);
  assert.equal(frozenLayers(points, 0.6), 1);
  assert.equal(frozenLayers(points, 0.99), 2);
  assert.equal(freezeOutLr(1e-3, 0, 0.512, false), 1e-3);
  assert.ok(Math.abs(freezeOutLr(1e-3, 0.256, 0.512, false) - 0.5e-3) < 1e-12);
  assert.ok(Math.abs(freezeOutLr(1e-3, 0, 0.5, true) - 2e-3) < 1e-12, 'scaled start lr/t_i');
  assert.equal(freezeOutLr(1e-3, 0.512, 0.512, true), 0);
});

test("a frozen layer's weights do not change after its freeze point", async () => {
  const mnist = loadMnist();
  const data = { train: subset(mnist.train, 640), test: subset(mnist.test, 100) };
  const mlp: NetworkSpec = { version: 1, name: 'mlp', inputShape: [1, 28, 28], encoder: { kind: 'direct' }, timeSteps: 4, layers: [
    { kind: 'flatten' }, { kind: 'dense', units: 16 }, { kind: 'clif', alpha: 0.3, beta: 0.5 }, { kind: 'dense', units: 16 }, { kind: 'clif', alpha: 0.3, beta: 0.5 },
    { kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.3, beta: 0.5 }] };
  const dir = mkdtempSync(join(tmpdir(), 'freeze-'));
  const settings = { ...DEFAULT_SETTINGS, epochs: 2, batchSize: 32, freezeout: 'linear:0.5' };
  // 40 batches; dense1 freezes at 0.5 (batch 20), dense2 at 0.75 (batch 30), dense3 trains to the end.
  const at = (batches: number) => { const p = join(dir, `at${batches}.safetensors`); return train({ spec: mlp, settings, data, out: p, progress: false, stopAfterBatches: batches }).then(() => loadCheckpoint(p).params); };
  const [p19, p20, p30, p40] = [await at(19), await at(20), await at(30), await at(40)];
  const same = (a: Map<string, { data: Float32Array }>, b: typeof a, k: string) => a.get(k)!.data.every((v, i) => v === b.get(k)!.data[i]);
  assert.ok(!same(p19, p20, 'dense1.weight'), 'dense1 still trains before its freeze point');
  assert.ok(same(p20, p40, 'dense1.weight') && same(p20, p40, 'dense1.bias'), 'dense1 frozen from batch 20 on');
  assert.ok(!same(p20, p30, 'dense2.weight') && same(p30, p40, 'dense2.weight'), 'dense2 frozen from batch 30 on');
  assert.ok(!same(p30, p40, 'dense3.weight'), 'the last layer trains to the end');
});
