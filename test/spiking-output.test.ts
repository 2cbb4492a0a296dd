/**
 * Networks that end in a spiking C-LIF layer, whose spike counts are the class scores: ties go to
 * the lowest class index everywhere; the count and rate losses train in every gradient mode, in
 * chunks, on worker threads, with skipping, FreezeOut, averaging and resumption; a loss of the
 * other output kind is refused in one line; the exported model's logits are the counts and every
 * runtime agrees with the trained model. (Gradients against the tfjs oracle:
 * test/compile-gradients.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadMnist } from '../src/data/mnist.ts';
import { subset } from '../src/data/dataset.ts';
import { encodeBatch } from '../src/data/encode.ts';
import { train } from '../src/train/trainer.ts';
import type { TrainSettings } from '../src/train/trainer.ts';
import { DEFAULT_SETTINGS } from '../src/train/defaults.ts';
import { TrainingEngine, countCorrect } from '../src/train/engine.ts';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { tinyConvSpec } from './helpers/tiny-network.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { initParams } from '../src/spec/params.ts';
import type { Tensor } from '../src/util/tensor.ts';
import { predictedClass } from '../src/spec/prediction.ts';
import { checkLossFits, defaultLoss } from '../src/compile/loss.ts';
import type { LossKind } from '../src/compile/loss.ts';
import type { GradientMode } from '../src/compile/backward.ts';
import { buildTrainGraph } from '../src/compile/train-graph.ts';
import { DEFAULT_ADAM } from '../src/compile/adam.ts';
import { decodeModel } from '../src/compile/onnx-proto.ts';
import { withOutput } from '../src/train/output-layer.ts';
import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import { EXIT_CODES } from '../src/errors.ts';
import { onnxExporter } from '../exporters/onnx/index.ts';
import { verify } from '../runtimes/parity/verify.ts';
import { ParityAccumulator } from '../runtimes/parity/compare.ts';

const root = join(import.meta.dirname, '..');
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/snn-export.js'), ...args], { cwd: root, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'spiking-output-'));

const mnist = loadMnist();
const data = { train: subset(mnist.train, 1536), test: subset(mnist.test, 300) };
const spec: NetworkSpec = tinyConvSpec('spikes');
const settings: TrainSettings = { ...DEFAULT_SETTINGS, loss: 'count', epochs: 2, batchSize: 32, maxChunk: 3, lr: 5e-3 };
const quiet = { progress: false };
const copy = (params: Map<string, Tensor>) => new Map([...params].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]));
const weightsOf = (path: string) => new Map([...loadCheckpoint(path).params].map(([k, t]) => [k, Array.from(t.data)]));

test('the predicted class is the highest score, ties going to the lowest class index', () => {
  assert.equal(predictedClass([0, 3, 1, 3], 0, 4), 1);
  assert.equal(predictedClass([0, 0, 0, 0], 0, 4), 0, 'no output spike at all: class 0');
  assert.equal(predictedClass([9, 9, 2, 5, 5, 1], 2, 4), 1, 'the offset selects a sample');
  assert.equal(countCorrect(Float32Array.of(2, 2, 0, 0, 1, 1), Uint8Array.of(0, 1, 1), 2), 1, 'ties count for the lowest class only');
  // The parity figures judge a runtime's prediction by the same rule.
  const parity = new ParityAccumulator('x', 3);
  parity.add({ logits: Float32Array.of(4, 4, 0), spikeCounts: new Map() }, { logits: Float32Array.of(4, 4, 0), spikeCounts: new Map() }, Uint8Array.of(1));
  assert.deepEqual([parity.figures().accuracy, parity.figures().predictionAgreement], [0, 1]);
});

test('a loss of the other output kind is refused in one line; the default loss follows the output', async () => {
  const resolved = validateSpec(spec);
  assert.equal(defaultLoss('spikes'), 'count');
  assert.equal(defaultLoss('membrane'), 'mean');
  assert.throws(() => checkLossFits('mean', 'spikes', 'clif3', 'option --loss'), /^SnnError: option --loss: 'mean' is a loss of a readout membrane, but this network's class scores are the spike counts of its spiking output layer 'clif3'; use count or rate$/);
  assert.throws(() => checkLossFits('rate', 'membrane', 'readout1', 'option --loss'), /^SnnError: option --loss: 'rate' is a loss of output spikes, but this network's class scores are the membrane of its readout 'readout1'; use mean or per-step$/);
  for (const loss of ['per-step', 'mean'] as LossKind[]) {
    assert.throws(() => new TrainingEngine(resolved, initParams(resolved, 1, 1), undefined, { mode: 'trace', loss, surrogate: { kind: 'fast-sigmoid', width: 0.2 }, maxChunk: 6 }), /training settings: loss: '(per-step|mean)' is a loss of a readout membrane/);
    assert.throws(() => buildTrainGraph({ resolved, steps: 6, chunked: false, mode: 'trace', surrogate: { kind: 'fast-sigmoid', width: 0.2 }, loss, logitsInput: false, firstTrainable: 0, accumulate: false, update: false, adam: DEFAULT_ADAM }), /does not apply to output 'spikes'/);
  }
  await assert.rejects(train({ spec, settings: { ...settings, loss: 'mean' }, data, out: join(dir, 'refused.safetensors'), ...quiet }), /training settings: loss: 'mean' is a loss of a readout membrane/);
});

test('train refuses --loss of the other output kind and --output where the network is fixed, exit 2, one line', () => {
  const net = join(dir, 'net.json');
  writeFileSync(net, JSON.stringify({ ...spec, encoder: { kind: 'direct' } }));
  const refused = (pattern: RegExp, ...args: string[]) => {
    const r = cli('train', '--limit', '64', '--test-limit', '10', '--no-progress', '-o', join(dir, 'cli.safetensors'), ...args);
    assert.equal(r.status, EXIT_CODES.usage, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), pattern);
  };
  refused(/^snn-export: option --loss: 'per-step' is a loss of a readout membrane, but this network's class scores are the spike counts of its spiking output layer 'clif2'; use count or rate$/, '--arch', 'fc', '--output', 'spikes', '--loss', 'per-step');
  refused(/^snn-export: option --loss: 'count' is a loss of output spikes, but this network's class scores are the membrane of its readout 'readout1'; use mean or per-step$/, '--arch', 'fc', '--loss', 'count');
  refused(/^snn-export: option --loss: 'mean' is a loss of a readout membrane, .* 'clif3'; use count or rate$/, '--spec', net, '--loss', 'mean');
  refused(/^snn-export: option --output cannot apply with --spec .*: the spec fixes the network/, '--spec', net, '--output', 'spikes');
  refused(/^snn-export: option --output cannot apply with --recipe mnist-paper/, '--recipe', 'mnist-paper', '--output', 'spikes');
  refused(/^snn-export: option --output: 'counts' is not one of membrane, spikes$/, '--output', 'counts');
});

test('train --arch fc --output spikes ends fc in a spiking layer with the hidden constants and trains it with the count loss', () => {
  const out = join(dir, 'fc-spikes.safetensors');
  const r = cli('train', '--arch', 'fc', '--output', 'spikes', '--theta', '0.8', '--reset', 'zero', '--limit', '640', '--test-limit', '100', '--no-progress', '-o', out);
  assert.equal(r.status, 0, r.stderr);
  const ck = loadCheckpoint(out);
  assert.deepEqual(ck.spec.layers.at(-1), { kind: 'clif', alpha: 0.3, beta: 0.5, theta: 0.8, reset: 'zero' });
  assert.equal((ck.training as unknown as TrainSettings).loss, 'count', 'the loss follows the output without --loss');
  assert.equal(validateSpec(ck.spec).output, 'spikes');
  const csnn = withOutput(BUILTIN_ARCHITECTURES.csnn({ alpha: 0.3, beta: 0.5, timeSteps: 4, encoder: { kind: 'direct' } }), 'spikes', { theta: 1, reset: 'subtract' });
  assert.equal(validateSpec(csnn).output, 'spikes');
  assert.equal(validateSpec(csnn).classes, 10);
});

/** One training step on a fixed batch from the same initial weights: the updated weights. */
async function stepWith(o: { mode: GradientMode; loss: LossKind; maxChunk: number; workers?: number; kept?: number[]; firstTrainable?: number }) {
  const resolved = validateSpec(spec);
  const engine = new TrainingEngine(resolved, copy(initParams(resolved, 1, 1)), undefined, { mode: o.mode, loss: o.loss, surrogate: { kind: 'fast-sigmoid', width: 0.2 }, maxChunk: o.maxChunk, workers: o.workers ?? 1 });
  try {
    const batch = encodeBatch(spec, data.train, Uint32Array.from({ length: 32 }, (_, i) => i), 1);
    const result = await engine.trainBatch(batch, { lr: () => 5e-3, kept: o.kept, firstTrainable: o.firstTrainable });
    return { result, params: copy(engine.params) };
  } finally { await engine.dispose(); }
}

function assertSameWeights(a: Map<string, Tensor>, b: Map<string, Tensor>, tolerance: number, where: string): void {
  for (const [k, w] of a) {
    const maxDiff = Math.max(...Array.from(w.data, (v, i) => Math.abs(v - b.get(k)!.data[i])));
    assert.ok(maxDiff <= tolerance, `${where}: ${k} differs by ${maxDiff}`);
  }
}

test('one step in chunks, or on two worker threads, updates the weights as the whole run on one thread (count and rate, instant and trace)', async () => {
  for (const loss of ['count', 'rate'] as LossKind[]) {
    for (const mode of ['instant', 'trace'] as GradientMode[]) {
      const whole = await stepWith({ mode, loss, maxChunk: 6 });
      const chunked = await stepWith({ mode, loss, maxChunk: 2 });
      const threads = await stepWith({ mode, loss, maxChunk: 6, workers: 2 });
      assert.ok(Math.abs(whole.result.loss - chunked.result.loss) < 1e-5 && Math.abs(whole.result.loss - threads.result.loss) < 1e-5, `${loss}, ${mode}: loss ${whole.result.loss} / ${chunked.result.loss} / ${threads.result.loss}`);
      assert.equal(whole.result.correct, chunked.result.correct);
      assertSameWeights(whole.params, chunked.params, 1e-6, `${loss}, ${mode}, chunks of 2`);
      assertSameWeights(whole.params, threads.params, 1e-6, `${loss}, ${mode}, two threads`);
    }
  }
  // The batch loss is the mean cross-entropy: for 'count' of softmax(spike counts), which starts near ln 10.
  const first = await stepWith({ mode: 'bptt', loss: 'count', maxChunk: 6 });
  assert.ok(first.result.loss > 1 && first.result.loss < 20, `count loss ${first.result.loss}`);
});

test('skipped steps and frozen layers change what trains, as they do for a readout', async () => {
  const all = await stepWith({ mode: 'trace', loss: 'count', maxChunk: 6 });
  const burnIn = await stepWith({ mode: 'trace', loss: 'count', maxChunk: 6, kept: [3, 4, 5] });
  const frozen = await stepWith({ mode: 'trace', loss: 'count', maxChunk: 6, firstTrainable: 1 });
  const initial = copy(initParams(validateSpec(spec), 1, 1));
  // Adam's first update is about lr·sign(gradient), so only gradients of another sign show.
  assert.ok([...all.params].some(([k, t]) => t.data.some((v, i) => v !== burnIn.params.get(k)!.data[i])), 'skipping changes the gradient');
  assert.deepEqual(Array.from(frozen.params.get('conv2d1.weight')!.data), Array.from(initial.get('conv2d1.weight')!.data), 'a frozen layer keeps its weights');
  assert.notDeepEqual(Array.from(frozen.params.get('dense1.bias')!.data), Array.from(initial.get('dense1.bias')!.data), 'the layers above train');
});

test('training with the count loss learns; a resumed run ends with the weights of an uninterrupted one (skipping, FreezeOut, averaging)', async () => {
  const a = join(dir, 'a.safetensors'), b = join(dir, 'b.safetensors');
  const accelerated: TrainSettings = { ...settings, skip: 'loss-gated:1.5', freezeout: 'linear:0.8', averaging: 0.99 };
  const full = await train({ spec, settings: accelerated, data, out: a, ...quiet });
  assert.ok((full.testAccuracy ?? 0) > 0.5, `the tiny spiking-output network learns (test accuracy ${full.testAccuracy})`);
  await train({ spec, settings: accelerated, data, out: b, ...quiet, stopAfterBatches: 48 + 9 });
  const partial = loadCheckpoint(b);
  assert.deepEqual([partial.progress?.epoch, partial.progress?.batch], [1, 9]);
  await train({ spec, settings: accelerated, data, out: b, resume: partial, ...quiet });
  assert.deepEqual(weightsOf(b), weightsOf(a), 'resumed run ends with the same weights');
  const rate = await train({ spec, settings: { ...settings, loss: 'rate', gradient: 'bptt', maxChunk: 6, epochs: 1 }, data, out: join(dir, 'rate.safetensors'), ...quiet });
  assert.ok((rate.testAccuracy ?? 0) > 0.3, `the rate loss with bptt learns too (test accuracy ${rate.testAccuracy})`);
});

test('the exported model\'s logits are the output spike counts, its metadata says so, and every runtime agrees with the trained model', async () => {
  const ckPath = join(dir, 'a.safetensors');
  const onnxPath = join(dir, 'a.onnx');
  await onnxExporter.export(loadCheckpoint(ckPath), onnxPath, {}, ckPath);
  const meta = Object.fromEntries(decodeModel(readFileSync(onnxPath)).metadataProps.map((p: { key: string; value: string }) => [p.key, p.value]));
  assert.equal(meta['snn_export.output'], 'spikes');
  assert.equal(meta['snn_export.logits'], "spike counts of layer 'clif3' over 6 steps; predicted class: the highest, ties to the lowest class index");
  const session = await ort.InferenceSession.create(onnxPath);
  const batch = encodeBatch(spec, data.test, Uint32Array.from({ length: 50 }, (_, i) => i));
  const out = await session.run({ input: new ort.Tensor('float32', batch.data, batch.shape) });
  await session.release();
  assert.deepEqual(Array.from(out.logits.data as Float32Array), Array.from(out.spike_count_clif3.data as Float32Array));
  assert.ok((out.logits.data as Float32Array).every((v) => Number.isInteger(v) && v >= 0 && v <= spec.timeSteps));
  const report = await verify({ checkpoint: loadCheckpoint(ckPath), checkpointPath: ckPath, test: data.test, runtimes: ['ort-node', 'ort-web', 'tfjs'], onnxPath, batchSize: 100 });
  assert.equal(report.output, "spike counts of layer 'clif3' over 6 steps");
  for (const f of report.runtimes) {
    assert.equal(f.predictionAgreement, 1, `${f.runtime}: prediction agreement`);
    assert.equal(f.spikeCountAgreement, 1, `${f.runtime}: spike counts`);
    assert.equal(f.maxLogitDifference, 0, `${f.runtime}: logits are exact counts`);
    assert.equal(f.accuracy, report.trainedAccuracy);
  }
});
