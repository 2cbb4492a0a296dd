// Exported models that onnxruntime itself cannot survive, as `verify --onnx` would get them from
// anywhere: each made from a real time-loop export with one field changed (found by npm run fuzz).
// The session runs in the supervised host process, so each is one line and exit 3, and the next
// model runs in a fresh process.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { onnxExporter } from '../exporters/onnx/index.ts';
import { onnxruntimeNodeRuntime } from '../runtimes/onnxruntime-node.ts';
import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import { saveCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { decodeModel, encodeModel } from '../src/compile/onnx-proto.ts';
import { SnnError } from '../src/errors.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';

const dir = mkdtempSync(join(tmpdir(), 'onnx-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const spec: NetworkSpec = {
  version: 1, name: 'hostile', inputShape: [1, 6, 6], encoder: { kind: 'direct' }, timeSteps: 6,
  layers: [{ kind: 'flatten' }, { kind: 'dense', units: 12 }, { kind: 'clif', alpha: 0.5, beta: 0.8, reset: 'zero' }, { kind: 'dense', units: 4 }, { kind: 'readout', alpha: 0.5, beta: 0.8 }],
};
const checkpoint: Checkpoint = { spec, params: initParams(validateSpec(spec), 1, 3), history: [] };
const ckPath = join(dir, 'ck.safetensors');
saveCheckpoint(ckPath, checkpoint);
const exported = join(dir, 'loop.onnx');
await onnxExporter.export(checkpoint, exported, { timeLoop: true }, ckPath);
const { readFileSync } = await import('node:fs');
const original = decodeModel(readFileSync(exported));

/** The export with `edit` applied, written to a file. */
function variant(name: string, edit: (model: Record<string, any>) => void): string {
  const model = structuredClone(original);
  edit(model);
  const path = join(dir, name);
  writeFileSync(path, encodeModel(model));
  return path;
}
const loopOf = (m: Record<string, any>) => m.graph.node.find((n: any) => n.opType === 'Loop');

/** Prepares the ort-node runtime on `path` and runs one batch; returns the one-line refusal. */
async function refusal(path: string): Promise<SnnError> {
  try {
    const runtime = await onnxruntimeNodeRuntime.prepare({ checkpoint, onnxPath: path });
    try { await runtime.run({ batchSize: 2, shape: [2, 1, 6, 6], data: new Float32Array(72).fill(0.5) }); } finally { await runtime.dispose(); }
  } catch (err) {
    assert.ok(err instanceof SnnError, `expected a one-line refusal, got ${(err as Error)?.stack}`);
    assert.equal(err.kind, 'malformedInput', err.message);
    assert.ok(err.message.startsWith(path) && !err.message.includes('\n'), err.message);
    return err;
  }
  assert.fail(`${path} ran`);
}

test('the unmodified export runs in the host process (so the refusals below are about the change)', async () => {
  const runtime = await onnxruntimeNodeRuntime.prepare({ checkpoint, onnxPath: exported });
  const out = await runtime.run({ batchSize: 2, shape: [2, 1, 6, 6], data: new Float32Array(72).fill(0.5) });
  await runtime.dispose();
  assert.equal(out.logits.length, 8);
});

test('a Loop whose first output has no name crashes onnxruntime (SIGSEGV): refused in one line', async () => {
  const err = await refusal(variant('unnamed.onnx', (m) => { loopOf(m).output[0] = ''; }));
  assert.match(err.message, /onnxruntime crashed on this model \(SIGSEGV\)$/);
});

test('a Loop without a trip count never ends: stopped after the time limit', async () => {
  const started = Date.now();
  const err = await refusal(variant('endless.onnx', (m) => { loopOf(m).input[0] = ''; }));
  assert.match(err.message, /onnxruntime did not finish with this model within 20\.04 s/);
  assert.ok(Date.now() - started < 28_000);
});

test('a state shape of [batch, 2^31] makes onnxruntime allocate gigabytes: stopped at the memory limit', async () => {
  const err = await refusal(variant('huge.onnx', (m) => {
    // The zero state: Expand(0, Concat(batch, units)); the units constant becomes 2^31.
    const expand = m.graph.node.find((n: any) => n.opType === 'Expand');
    const concat = m.graph.node.find((n: any) => n.output[0] === expand.input[1]);
    const units = m.graph.initializer.find((t: any) => t.name === concat.input[1]);
    units.int64Data = [2 ** 31];
  }));
  assert.match(err.message, /onnxruntime used \d+ MiB on this model, over the limit of \d+ MiB; stopped \(a smaller --batch-size needs less\)$/);
  // The next model gets a fresh process.
  const runtime = await onnxruntimeNodeRuntime.prepare({ checkpoint, onnxPath: exported });
  await runtime.dispose();
});

test('the memory limit grows with the batch: the shipped mnist-paper (wide conv layers) runs a batch of 1000 in ort-node', async () => {
  const { loadCheckpoint } = await import('../src/checkpoint/checkpoint.ts');
  const { loadMnist } = await import('../src/data/mnist.ts');
  const { encodeBatch } = await import('../src/data/encode.ts');
  const { subset } = await import('../src/data/dataset.ts');
  const paper = loadCheckpoint('mnist-paper');
  const onnx = join(dir, 'mnist-paper.onnx');
  await onnxExporter.export(paper, onnx, {}, 'mnist-paper');
  const runtime = await onnxruntimeNodeRuntime.prepare({ checkpoint: paper, onnxPath: onnx });
  try {
    const test1000 = subset(loadMnist().test, 1000);
    const input = encodeBatch(paper.spec, test1000, [...Array(1000).keys()]);
    const out = await runtime.run(input);
    assert.equal(out.logits.length, 1000 * 10);
  } finally {
    await runtime.dispose();
  }
});
