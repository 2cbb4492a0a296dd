import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { loadProfile } from '../hardware-profiles/index.ts';
import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import { buildInferenceGraph } from '../src/compile/inference-graph.ts';
import { uint8ImageDataset } from '../src/data/dataset.ts';
import { encodeBatch } from '../src/data/encode.ts';
import { ConfusionAccumulator } from '../src/report/confusion.ts';
import { renderReportHtml, REPORT_DATA_ELEMENT, REPORT_SECTIONS } from '../src/report/html.ts';
import { modelInfo, trainingHistory } from '../src/report/model-info.ts';
import { quantizationErrors } from '../src/report/quantization.ts';
import { recordRasters } from '../src/report/raster.ts';
import { SpikeRateAccumulator } from '../src/report/spike-rates.ts';
import type { ReportData } from '../src/report/types.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { Random } from '../src/util/random.ts';

/** A small conv network; the class names carry markup to prove the page escapes what it inlines. */
const SPEC: NetworkSpec = {
  version: 1, name: 'tiny-csnn', inputShape: [1, 8, 8], encoder: { kind: 'direct' }, timeSteps: 5,
  classNames: ['zero', 'one', '</script><script>alert(1)</script>', 'three'],
  layers: [
    { kind: 'conv2d', channels: 3, kernel: 3 }, { kind: 'maxpool', size: 2 }, { kind: 'clif', alpha: 0.3, beta: 0.5, reset: 'zero' },
    { kind: 'flatten' }, { kind: 'dense', units: 12 }, { kind: 'clif', alpha: 0.3, beta: 0.5, reset: 'zero' },
    { kind: 'dense', units: 4 }, { kind: 'readout', alpha: 0.3, beta: 0.5 },
  ],
};

function fixture() {
  const resolved = validateSpec(SPEC);
  const checkpoint: Checkpoint = {
    spec: SPEC, params: initParams(resolved, 3, 3),
    history: [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 1 / epoch, trainAccuracy: 0.5 + epoch / 10, testAccuracy: 0.45 + epoch / 10, seconds: 1, samplesPerSecond: 100 })),
  };
  const rng = new Random(7);
  const count = 24;
  const test = uint8ImageDataset('noise', Uint8Array.from({ length: count * 64 }, () => Math.floor(rng.next() * 256)), Uint8Array.from({ length: count }, (_, i) => i % 4), [1, 8, 8], 4, {});
  return { resolved, checkpoint, test };
}

/** The exported model's outputs for the whole fixture test set. */
async function exportedOutputs(f: ReturnType<typeof fixture>) {
  const model = buildInferenceGraph({ resolved: f.resolved, steps: SPEC.timeSteps, params: f.checkpoint.params }).model;
  const session = await ort.InferenceSession.create(model);
  const batch = encodeBatch(SPEC, f.test, Array.from({ length: f.test.count }, (_, i) => i));
  const out = await session.run({ input: new ort.Tensor('float32', batch.data, batch.shape) });
  await session.release();
  const spikeCounts = new Map(Object.entries(out).filter(([k]) => k.startsWith('spike_count_')).map(([k, t]) => [k.slice('spike_count_'.length), t.data as Float32Array]));
  return { batch, logits: out.logits.data as Float32Array, spikeCounts };
}

test('the raster graph gives every step of the exported model: its spikes sum to the spike counts, its readout averages to the logits', async () => {
  const f = fixture();
  const out = await exportedOutputs(f);
  const indices = [0, 5, 9];
  const rasters = await recordRasters(f.checkpoint, f.test, indices);
  assert.equal(rasters.length, 3);
  let spikes = 0;
  rasters.forEach((r, j) => {
    const b = indices[j];
    assert.equal(r.index, b);
    assert.equal(r.label, f.test.labels[b]);
    assert.equal(r.readoutMembrane.length, SPEC.timeSteps);
    for (const layer of r.spikes) {
      const counts = out.spikeCounts.get(layer.layer)!;
      const fromRaster = new Float32Array(layer.neurons);
      for (const [t, n] of layer.events) {
        assert.ok(t >= 0 && t < SPEC.timeSteps && n >= 0 && n < layer.neurons);
        fromRaster[n]++;
      }
      assert.deepEqual(fromRaster, counts.subarray(b * layer.neurons, (b + 1) * layer.neurons), `${layer.layer}, sample ${b}`);
      spikes += layer.events.length;
    }
    for (let k = 0; k < 4; k++) {
      const mean = r.readoutMembrane.reduce((s, u) => s + u[k], 0) / SPEC.timeSteps;
      assert.ok(Math.abs(mean - out.logits[b * 4 + k]) < 1e-4, `logit ${k} of sample ${b}`);
    }
  });
  assert.ok(spikes > 0, 'the fixture network should spike');
});

test('the report is one self-contained HTML file: every section, the data and the charting library inline, no external resource', async () => {
  const f = fixture();
  const out = await exportedOutputs(f);
  const confusion = new ConfusionAccumulator('trained model', 4);
  confusion.add(out.logits, out.batch.labels);
  const rates = new SpikeRateAccumulator('trained model', SPEC.timeSteps);
  rates.add(out.spikeCounts, f.test.count);
  const data: ReportData = {
    title: 'report test', generatedAt: '2026-01-01T00:00:00Z',
    model: modelInfo(f.checkpoint, 'tiny.safetensors'), history: trainingHistory(f.checkpoint),
    testSamples: f.test.count, trainedAccuracy: 0.5,
    spikeRates: [rates.series()],
    rasters: await recordRasters(f.checkpoint, f.test, [0, 1]),
    parity: [{ runtime: 'ort-node', samples: 24, accuracy: 0.5, predictionAgreement: 1, spikeCountAgreement: 1, maxLogitDifference: 1e-6, samplesPerSecond: 1000 },
      { runtime: 'hwsim', target: 'generic-int8', samples: 24, accuracy: 0.5, predictionAgreement: 0.96, spikeCountAgreement: 0.99, maxLogitDifference: 0.1, samplesPerSecond: 100 }],
    unavailable: [{ runtime: 'hwsim', target: 'no-such-chip', reason: 'profile not found' }],
    quantization: quantizationErrors(f.checkpoint, [{ name: 'generic-int8', profile: loadProfile('generic-int8') }, { name: 'no-such-chip', error: 'profile not found' }]),
    confusion: [confusion.matrix()],
  };
  assert.equal(data.quantization[0].error, undefined);
  assert.ok(data.quantization[0].layers.length >= 2, 'generic-int8 quantizes the chip layers');
  assert.equal(data.spikeRates[0].layers.length, 2);
  assert.equal(data.confusion[0].counts.flat().reduce((a, b) => a + b, 0), f.test.count);

  const html = renderReportHtml(data);
  for (const s of REPORT_SECTIONS) assert.match(html, new RegExp(`<section id="${s.id}">`), `section ${s.id}`);
  // The data round-trips through its inline JSON element, markup in names included.
  const json = html.match(new RegExp(`<script type="application/json" id="${REPORT_DATA_ELEMENT}">([^]*?)</script>`))![1];
  assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(data)));
  // Only the three script elements of the page close a script: nothing inlined ends one early.
  assert.equal(html.match(/<\/script>/gi)!.length, 3);
  assert.ok(!html.includes('<script>alert(1)'), 'class names are escaped');
  // The charting library and the page script are inline; nothing is loaded from anywhere.
  assert.match(html, /Chart\.js v4/);
  assert.match(html, /document\.body\.dataset\.rendered/);
  assert.doesNotMatch(html, /<(script|img|iframe|link)[^>]*\s(src|href)\s*=/i);
  assert.doesNotMatch(html, /url\(\s*['"]?(https?:)?\/\//i);
  assert.doesNotMatch(html, /@import/i);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  for (const s of ['zero', 'one', 'three']) assert.ok(html.includes(s));
  assert.ok(html.includes('no-such-chip') && html.includes('profile not found'), 'a target that could not run is named with its reason');
});

test('a spiking-output network: the report names its output, and the rasters predict from the output layer\'s spike counts', async () => {
  const spec: NetworkSpec = { ...SPEC, layers: [...SPEC.layers.slice(0, -1), { kind: 'clif', alpha: 0.3, beta: 0.5, theta: 1 }] };
  const base = fixture();
  const params = initParams(validateSpec(spec), 3, 6);
  // Classes 1, 2 and 3 get the weights of class 3 (the one that fires on this noise), so their counts tie: the prediction must be 1.
  const w = params.get('dense2.weight')!, bias = params.get('dense2.bias')!;
  for (const k of [1, 2]) { w.data.copyWithin(k * 12, 3 * 12, 4 * 12); bias.data[k] = bias.data[3]; }
  const f = { ...base, resolved: validateSpec(spec), checkpoint: { ...base.checkpoint, spec, params } };
  const out = await exportedOutputs(f);
  const counts = out.spikeCounts.get('clif3')!;
  assert.deepEqual(Array.from(out.logits), Array.from(counts), 'logits are the output spike counts');
  const indices = Array.from({ length: f.test.count }, (_, i) => i);
  const rasters = await recordRasters(f.checkpoint, f.test, indices);
  let tied = 0;
  rasters.forEach((r, b) => {
    const row = Array.from(counts.subarray(b * 4, (b + 1) * 4));
    const best = Math.max(...row);
    // The lowest class index among the highest counts.
    assert.equal(r.prediction, row.indexOf(best), `sample ${b}: counts ${row}`);
    if (row.filter((c) => c === best).length > 1) tied++;
  });
  assert.ok(tied > 0, `some samples tie (${tied} of ${f.test.count})`);
  assert.ok(rasters.every((r, b) => counts[b * 4 + 1] === 0 || r.prediction <= 1), 'class 1 wins its ties with classes 2 and 3');
  const model = modelInfo(f.checkpoint, 'spiking.safetensors');
  assert.equal(model.output, "spike counts of layer 'clif3' over 5 steps");
  const html = renderReportHtml({
    title: 'spiking output', generatedAt: '2026-01-01T00:00:00Z', model, history: [], testSamples: f.test.count, trainedAccuracy: 0.25,
    spikeRates: [], rasters: rasters.slice(0, 1), parity: [], unavailable: [], quantization: [], confusion: [],
  });
  assert.match(html, /<th>output \(class scores\)<\/th><td>spike counts of layer &#39;clif3&#39; over 5 steps; predicted class: the highest score, ties to the lowest class index<\/td>/);
});
