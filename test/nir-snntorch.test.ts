// A NIR file written by snnTorch itself (tools/make-snntorch-nir.py: Linear → Leaky → Linear →
// Leaky, the class is the output layer with the most spikes, as snnTorch's tutorials score it)
// imports as a spiking-output network, and the project's inference scores on it exactly what
// snnTorch's own import of the same file scored: the same spike counts, the same predictions.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { importNir } from '../exporters/nir/import.ts';
import { verify } from '../runtimes/parity/verify.ts';
import { loadDataset } from '../src/data/registry.ts';
import { subset } from '../src/data/dataset.ts';
import { validateSpec } from '../src/spec/validate.ts';

const FIXTURE = 'test/fixtures/nir-snntorch/leaky-spiking-out.nir';
const snntorch = JSON.parse(readFileSync('test/fixtures/nir-snntorch/leaky-spiking-out.snntorch.json', 'utf8')) as {
  T: number; n: number; accuracy: number; snntorch_predictions: number[]; spike_count_sums: number[];
};

test('an snnTorch-written NIR file ending in a spiking Leaky layer imports as a spiking-output network', async () => {
  const { checkpoint, summary } = await importNir(FIXTURE, { inputShape: [1, 28, 28], timeSteps: snntorch.T });
  const resolved = validateSpec(checkpoint.spec);
  assert.equal(resolved.output, 'spikes');
  assert.deepEqual(checkpoint.spec.layers.map((l) => l.kind), ['flatten', 'dense', 'clif', 'dense', 'clif']);
  // snnTorch writes Leaky as LIF with r = tau/dt and v_reset 0: beta 0.9, reset to zero.
  for (const l of checkpoint.spec.layers) if (l.kind === 'clif') assert.deepEqual([l.alpha, Math.fround(l.beta), l.reset], [0, Math.fround(0.9), 'zero']);
  assert.match(summary, /output: spike counts of 'n3'/);
});

test("verify's model of the imported file scores what snnTorch scores on it: the same spike counts and predictions on 500 test images", async () => {
  const { checkpoint } = await importNir(FIXTURE, { inputShape: [1, 28, 28], timeSteps: snntorch.T });
  const testSet = subset(loadDataset('mnist').test, snntorch.n);
  const preds: number[] = [];
  const countSums: number[] = [];
  await verify({
    checkpoint, checkpointPath: FIXTURE, test: testSet, runtimes: [], batchSize: 250,
    onBatch: (b: { indices: number[]; reference: { logits: Float32Array } }) => {
      const classes = b.reference.logits.length / b.indices.length;
      for (let i = 0; i < b.indices.length; i++) {
        const row = b.reference.logits.subarray(i * classes, (i + 1) * classes);
        preds.push(row.indexOf(Math.max(...row)));
        countSums.push(row.reduce((a, v) => a + v, 0));
      }
    },
  });
  assert.deepEqual(countSums, snntorch.spike_count_sums);
  assert.deepEqual(preds, snntorch.snntorch_predictions);
});
