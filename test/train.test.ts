import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../src/data/mnist.ts';
import { subset } from '../src/data/dataset.ts';
import { evaluate, train } from '../src/train/trainer.ts';
import type { TrainSettings } from '../src/train/trainer.ts';
import { DEFAULT_SETTINGS } from '../src/train/defaults.ts';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { tinyConvSpec } from './helpers/tiny-network.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { initParams } from '../src/spec/params.ts';
import { encodeBatch, oneHot } from '../src/data/encode.ts';
import { TrainingEngine } from '../src/train/engine.ts';

const mnist = loadMnist();
const data = { train: subset(mnist.train, 1536), test: subset(mnist.test, 200) };
const spec: NetworkSpec = tinyConvSpec('membrane');
const settings: TrainSettings = { ...DEFAULT_SETTINGS, epochs: 2, batchSize: 32, maxChunk: 3, lr: 5e-3 };

const arraysOf = (tensors: Map<string, { data: Float32Array }>) => new Map([...tensors].map(([k, t]) => [k, Array.from(t.data)]));
const weightsOf = (path: string) => arraysOf(loadCheckpoint(path).params);

test('the same seed gives the same weights; an interrupted run resumed gives the weights of an uninterrupted one (with augmentation)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-'));
  const a = join(dir, 'a.safetensors'), b = join(dir, 'b.safetensors'), c = join(dir, 'c.safetensors');
  const quiet = { progress: false };
  const augmented = { ...settings, augment: 'shift:2' };
  const full = await train({ spec, settings: augmented, data, out: a, ...quiet });
  await train({ spec, settings: augmented, data, out: b, ...quiet });
  assert.deepEqual(weightsOf(a), weightsOf(b), 'same seed, same weights');
  assert.equal(loadCheckpoint(a).history.length, 2);
  assert.ok((full.testAccuracy ?? 0) > 0.5, `the tiny network learns something (test accuracy ${full.testAccuracy})`);
  await train({ spec, settings, data, out: b, ...quiet });
  assert.notDeepEqual(weightsOf(b), weightsOf(a), 'augmentation changes what the network sees');

  // Stop in the middle of the second epoch, then resume from the checkpoint on disk.
  await train({ spec, settings: augmented, data, out: c, ...quiet, stopAfterBatches: 48 + 5 });
  const partial = loadCheckpoint(c);
  assert.deepEqual([partial.progress?.epoch, partial.progress?.batch], [1, 5]);
  assert.notDeepEqual(weightsOf(c), weightsOf(a));
  await train({ spec, settings: augmented, data, out: c, resume: partial, ...quiet });
  assert.deepEqual(weightsOf(c), weightsOf(a), 'resumed run ends with the same weights');
  const resumed = loadCheckpoint(c);
  assert.equal(resumed.optimizer?.step, loadCheckpoint(a).optimizer?.step);
  assert.deepEqual(resumed.spec, spec);
  const recorded = resumed.training as unknown as TrainSettings;
  assert.deepEqual([recorded.gradient, recorded.augment], [settings.gradient, 'shift:2']);
});

test('with dropout, the same seed gives the same weights and a resumed run ends with the weights of an uninterrupted one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-dropout-'));
  const a = join(dir, 'a.safetensors'), b = join(dir, 'b.safetensors'), c = join(dir, 'c.safetensors');
  const quiet = { progress: false };
  // Dropout needs the whole run in one graph (T = 6 ≤ maxChunk).
  const dropped: TrainSettings = { ...settings, maxChunk: 6, dropout: 0.3 };
  const full = await train({ spec, settings: dropped, data, out: a, ...quiet });
  await train({ spec, settings: dropped, data, out: b, ...quiet });
  assert.deepEqual(weightsOf(a), weightsOf(b), 'same seed, same masks, same weights');
  assert.ok((full.testAccuracy ?? 0) > 0.5, `the tiny network learns with dropout (test accuracy ${full.testAccuracy})`);
  await train({ spec, settings: { ...dropped, dropout: 0 }, data, out: b, ...quiet });
  assert.notDeepEqual(weightsOf(b), weightsOf(a), 'dropout changes the training');

  await train({ spec, settings: dropped, data, out: c, ...quiet, stopAfterBatches: 48 + 7 });
  const partial = loadCheckpoint(c);
  assert.deepEqual([partial.progress?.epoch, partial.progress?.batch], [1, 7]);
  await train({ spec, settings: dropped, data, out: c, resume: partial, ...quiet });
  assert.deepEqual(weightsOf(c), weightsOf(a), 'resumed run ends with the same weights');
  assert.equal((loadCheckpoint(c).training as unknown as TrainSettings).dropout, 0.3);
  await assert.rejects(train({ spec, settings: { ...dropped, maxChunk: 3 }, data, out: b, ...quiet }), /dropout needs the whole run in one graph: T = 6 is above maxChunk = 3/);
});

test('a step split over two worker threads updates the weights as one thread does, with and without dropout', async () => {
  const resolved = validateSpec(spec);
  const batch = encodeBatch(spec, data.train, Uint32Array.from({ length: 32 }, (_, i) => i), 1);
  for (const dropout of [0, 0.3]) {
    const after = async (workers: number) => {
      const engine = new TrainingEngine(resolved, initParams(resolved, 1, 1), undefined, {
        mode: 'trace', loss: 'mean', surrogate: { kind: 'fast-sigmoid', width: 0.2 }, maxChunk: 6, workers, dropout,
      });
      try {
        const result = await engine.trainBatch(batch, { lr: () => 5e-3, dropoutSeed: dropout ? 11 : undefined });
        return { result, params: new Map([...engine.params].map(([k, t]) => [k, Float32Array.from(t.data)])) };
      } finally { await engine.dispose(); }
    };
    const [one, two] = [await after(1), await after(2)];
    assert.ok(Math.abs(one.result.loss - two.result.loss) < 1e-5, `dropout ${dropout}: loss ${one.result.loss} vs ${two.result.loss}`);
    assert.equal(one.result.correct, two.result.correct);
    for (const [k, w] of one.params) {
      const maxDiff = Math.max(...Array.from(w, (v, i) => Math.abs(v - two.params.get(k)![i])));
      assert.ok(maxDiff < 1e-6, `dropout ${dropout}: ${k} differs by ${maxDiff} between one and two threads`);
    }
  }
});

test('a moving average of the weights follows each update with the decay of its step', async () => {
  const resolved = validateSpec(spec);
  const engine = new TrainingEngine(resolved, initParams(resolved, 1, 1), undefined, {
    mode: 'trace', loss: 'mean', surrogate: { kind: 'fast-sigmoid', width: 0.2 }, maxChunk: 6, workers: 1, averaging: 0.9,
  });
  try {
    const copy = (m: Map<string, { data: Float32Array }>) => new Map([...m].map(([k, t]) => [k, Float64Array.from(t.data)]));
    const expected = copy(engine.params);
    for (let step = 1; step <= 3; step++) {
      const batch = encodeBatch(spec, data.train, Uint32Array.from({ length: 32 }, (_, i) => 32 * step + i), step);
      await engine.trainBatch(batch, { lr: () => 5e-3 });
      const d = Math.min(0.9, (1 + step) / (10 + step));
      for (const [k, e] of expected) { const w = engine.params.get(k)!.data; for (let i = 0; i < e.length; i++) e[i] = d * e[i] + (1 - d) * w[i]; }
    }
    assert.equal(engine.model, engine.average, 'the average is the model');
    for (const [k, e] of expected) {
      const a = engine.average!.get(k)!.data;
      const maxDiff = Math.max(...Array.from(a, (v, i) => Math.abs(v - e[i])));
      assert.ok(maxDiff < 1e-6, `${k}: average off by ${maxDiff}`);
    }
    const w = engine.params.get('conv2d1.weight')!.data;
    assert.ok(Array.from(engine.average!.get('conv2d1.weight')!.data).some((v, i) => Math.abs(v - w[i]) > 1e-4), 'the average lags the weights');
  } finally { await engine.dispose(); }
});

test('with averaging and label smoothing the checkpoint holds the average that was evaluated, and a resumed run ends as an uninterrupted one', async () => {
  assert.deepEqual(Array.from(oneHot(Uint8Array.of(2), 4, 0.2)), [0.05, 0.05, 0.85, 0.05].map(Math.fround));
  const dir = mkdtempSync(join(tmpdir(), 'train-average-'));
  const a = join(dir, 'a.safetensors'), b = join(dir, 'b.safetensors'), c = join(dir, 'c.safetensors');
  const quiet = { progress: false };
  const averaged: TrainSettings = { ...settings, averaging: 0.99, labelSmoothing: 0.1 };
  const full = await train({ spec, settings: averaged, data, out: a, ...quiet });
  const ck = loadCheckpoint(a);
  const trained = ck.optimizer?.trained;
  assert.ok(trained, 'the checkpoint keeps the weights Adam moves');
  assert.notDeepEqual(Array.from(trained.get('dense1.weight')!.data), Array.from(ck.params.get('dense1.weight')!.data), 'the parameters are the average');
  const judge = new TrainingEngine(validateSpec(spec), ck.params, undefined, { mode: 'trace', loss: 'mean', surrogate: { kind: 'fast-sigmoid', width: 0.2 }, maxChunk: 3 });
  try { assert.equal(await evaluate(judge, spec, data.test), full.testAccuracy, 'the saved parameters are the ones evaluated'); } finally { await judge.dispose(); }
  assert.ok((full.testAccuracy ?? 0) > 0.5, `the tiny network learns (test accuracy ${full.testAccuracy})`);
  await train({ spec, settings: { ...averaged, labelSmoothing: 0 }, data, out: b, ...quiet });
  assert.notDeepEqual(arraysOf(loadCheckpoint(b).optimizer!.trained!), arraysOf(trained), 'label smoothing changes the training');

  await train({ spec, settings: averaged, data, out: c, ...quiet, stopAfterBatches: 48 + 9 });
  const partial = loadCheckpoint(c);
  assert.deepEqual([partial.progress?.epoch, partial.progress?.batch], [1, 9]);
  await train({ spec, settings: averaged, data, out: c, resume: partial, ...quiet });
  assert.deepEqual(weightsOf(c), weightsOf(a), 'resumed run ends with the same average');
  assert.deepEqual(arraysOf(loadCheckpoint(c).optimizer!.trained!), arraysOf(trained), 'and the same weights');
});

test('with a validation split each epoch is judged on held-out training data, the best epoch is kept, and the test set is used once at the end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-val-'));
  const out = join(dir, 'v.safetensors');
  const result = await train({ spec, settings: { ...settings, validation: 256 }, data, out, progress: false });
  const ck = loadCheckpoint(out);
  assert.equal(ck.history.length, 2);
  for (const r of ck.history) {
    assert.ok(r.validationAccuracy !== undefined && r.validationAccuracy > 0.3, `validation accuracy ${r.validationAccuracy}`);
    assert.equal(r.testAccuracy, undefined, 'no test-set peeking during training');
  }
  const bestEpoch = ck.history.reduce((a, r) => (r.validationAccuracy! > a.validationAccuracy! ? r : a));
  assert.equal(result.best?.epoch, bestEpoch.epoch);
  const best = loadCheckpoint(result.best.path);
  assert.equal(best.history[best.history.length - 1].testAccuracy, result.testAccuracy);
  assert.ok((result.testAccuracy ?? 0) > 0.3);
  assert.equal((ck.dataset as { train: { count: number } }).train.count, 1536 - 256, 'the held-out samples are not trained on');
});

test('every training recipe loads, validates and names the paper figure it aims at', async () => {
  const { recipeNames, loadRecipe } = await import('../src/train/recipes.ts');
  const names = recipeNames();
  assert.ok(names.includes('mnist-paper') && names.includes('mnist-dvs-paper'));
  for (const n of names) {
    const r = loadRecipe(n);
    assert.equal(r.name, n);
    assert.ok(r.paper.accuracy > 90 && (r.training.validation ?? 0) > 0);
  }
});

test('the loss of a batch run in chunks is the loss of the whole run (mean and per-step)', async () => {
  const resolved = validateSpec(spec);
  const batch = encodeBatch(spec, data.train, Uint32Array.from({ length: 16 }, (_, i) => i), 1);
  for (const loss of ['mean', 'per-step'] as const) {
    const lossWith = async (maxChunk: number) => {
      const engine = new TrainingEngine(resolved, initParams(resolved, 1, 1), undefined, { mode: 'trace', loss, surrogate: { kind: 'fast-sigmoid', width: 0.2 }, maxChunk, workers: 1 });
      try { return (await engine.trainBatch(batch, { lr: () => 5e-3 })).loss; } finally { await engine.dispose(); }
    };
    const [whole, chunked] = [await lossWith(6), await lossWith(2)];
    assert.ok(Math.abs(whole - chunked) < 1e-5, `${loss}: whole run ${whole}, chunks of 2 ${chunked}`);
  }
});
