import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { validateSpec } from '../src/spec/validate.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { initParams } from '../src/spec/params.ts';
import { saveCheckpoint, loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { encodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { onnxExporter } from '../exporters/onnx/index.ts';
import { RUNTIMES } from '../runtimes/index.ts';
import { decodeModel } from '../src/compile/onnx-proto.ts';
import { Random } from '../src/util/random.ts';
import { referenceForward } from './helpers/reference-forward.ts';

const dir = mkdtempSync(join(tmpdir(), 'onnx-'));
const bin = new URL('../bin/snn-export.js', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

const spec: NetworkSpec = {
  version: 1, name: 'small', inputShape: [1, 28, 28], encoder: { kind: 'direct' }, timeSteps: 7,
  layers: [
    { kind: 'conv2d', channels: 3, kernel: 5, stride: 2 }, { kind: 'maxpool', size: 2 }, { kind: 'clif', alpha: 0.5, beta: 0.6, theta: 0.5 },
    { kind: 'flatten' }, { kind: 'dense', units: 9 }, { kind: 'clif', alpha: 0.2, beta: 0.8, reset: 'zero', theta: 0.3 },
    { kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.4, beta: 0.7 },
  ],
};
const resolved = validateSpec(spec);
const params = initParams(resolved, 5, 3);
const ckPath = join(dir, 'small.safetensors');
saveCheckpoint(ckPath, { spec, params, history: [] });
const rng = new Random(9);
const B = 6;
const input = Float32Array.from({ length: B * 784 }, () => rng.next());

test('exported unrolled and Loop models run in onnxruntime-node and -web and equal the reference on a batch', async () => {
  const ck = loadCheckpoint(ckPath);
  const unrolled = join(dir, 'small.onnx'), loop = join(dir, 'small-loop.onnx');
  await onnxExporter.export(ck, unrolled, {}, ckPath);
  await onnxExporter.export(ck, loop, { timeLoop: true }, ckPath);
  const expected = referenceForward(resolved, params, input, B);
  const total = [...expected.spikeCounts.values()].reduce((a, c) => a + c.reduce((x, y) => x + y, 0), 0);
  assert.ok(total > 0, 'the test network must spike');
  for (const model of [unrolled, loop]) {
    for (const name of ['ort-node', 'ort-web']) {
      const rt = await RUNTIMES[name].prepare({ checkpoint: ck, onnxPath: model });
      const out = await rt.run({ batchSize: B, shape: [B, 1, 28, 28], data: input });
      await rt.dispose();
      for (const [layer, counts] of expected.spikeCounts) assert.deepEqual(Array.from(out.spikeCounts.get(layer)!), Array.from(counts), `${name} ${model}: ${layer}`);
      for (let i = 0; i < expected.logits.length; i++) assert.ok(Math.abs(out.logits[i] - expected.logits[i]) < 1e-4, `${name}: logit ${i}`);
    }
  }
  const m = decodeModel(readFileSync(unrolled));
  assert.equal(m.irVersion, 8);
  assert.equal(m.opsetImport[0].version, 17);
  const meta = Object.fromEntries(m.metadataProps.map((p: { key: string; value: string }) => [p.key, p.value]));
  assert.equal(meta['snn_export.time_steps'], '7');
  assert.match(meta['snn_export.source_checkpoint_sha256'], /^[0-9a-f]{64}$/);
  assert.deepEqual(JSON.parse(meta['snn_export.spec']), spec);
  assert.equal(JSON.parse(meta['snn_export.neurons']).clif2.reset, 'zero');
  assert.equal(meta['snn_export.output'], 'membrane');
  assert.equal(meta['snn_export.logits'], "mean membrane of readout 'readout1' over 7 steps; predicted class: the highest, ties to the lowest class index");
  // The Loop graph does not grow with T.
  assert.ok(decodeModel(readFileSync(loop)).graph.node.length < m.graph.node.length / 2);
});

test('the official ONNX checker accepts both exports (full check, strict shape inference)', { skip: !existsSync('/usr/lib/python3/dist-packages/onnx') && 'Debian python3-onnx is not installed (.ci/run installs it)' }, () => {
  const ck = loadCheckpoint(ckPath);
  return Promise.all([onnxExporter.export(ck, join(dir, 'c1.onnx'), {}, ckPath), onnxExporter.export(ck, join(dir, 'c2.onnx'), { timeLoop: true }, ckPath)]).then(() => {
    const r = spawnSync('/usr/bin/python3', [new URL('../tools/check-onnx.py', import.meta.url).pathname, join(dir, 'c1.onnx'), join(dir, 'c2.onnx')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /c1\.onnx: OK \(ir_version 8, opset 17/);
  });
});

test('a truncated or foreign .onnx, a model that does not fit, and a checkpoint of another version each give one line and their exit code', () => {
  const good = join(dir, 'good.onnx');
  assert.equal(cli('export', 'onnx', ckPath, '-o', good).status, 0);
  const bytes = readFileSync(good);
  const truncated = join(dir, 'truncated.onnx');
  writeFileSync(truncated, bytes.subarray(0, 1000));
  let r = cli('verify', ckPath, '--onnx', truncated, '--runtimes', 'ort-node', '--limit', '10');
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /truncated\.onnx: not a readable ONNX model/);
  assert.equal(r.stderr.trim().split('\n').length, 1);

  const foreign = join(dir, 'foreign.onnx');
  writeFileSync(foreign, 'this is a text file, not a model\n');
  r = cli('verify', ckPath, '--onnx', foreign, '--runtimes', 'ort-node', '--limit', '10');
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /foreign\.onnx: not (a readable ONNX model|an ONNX model)/);

  // A model exported from a network with another T does not fit this checkpoint's input.
  const otherSpec = { ...spec, timeSteps: 9, encoder: { kind: 'rate' as const, seed: 1 } };
  const otherPath = join(dir, 'other.safetensors');
  saveCheckpoint(otherPath, { spec: otherSpec, params, history: [] });
  const otherModel = join(dir, 'other.onnx');
  assert.equal(cli('export', 'onnx', otherPath, '-o', otherModel).status, 0);
  r = cli('verify', ckPath, '--onnx', otherModel, '--runtimes', 'ort-node', '--limit', '10');
  assert.equal(r.status, 9, r.stderr);
  assert.match(r.stderr, /other\.onnx: input 'input' has shape \[9, batch, 1, 28, 28\], the checkpoint's network needs \[batch, 1, 28, 28\]/);

  const future = join(dir, 'future.safetensors');
  const parts = encodeCheckpoint({ spec, params, history: [] });
  const header = Buffer.from(parts[1]).toString('utf8').replace('"format_version":"1"', '"format_version":"7"');
  const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
  writeFileSync(future, Buffer.concat([len, Buffer.from(header), ...parts.slice(2)]));
  r = cli('export', 'onnx', future, '-o', join(dir, 'never.onnx'));
  assert.equal(r.status, 8, r.stderr);
  assert.match(r.stderr, /future\.safetensors: checkpoint format version 7 is not supported/);
  assert.ok(!existsSync(join(dir, 'never.onnx')), 'no output is written');
});

test('a spiking-output network exports with logits = the output layer\'s spike counts (unrolled and Loop), which the official checker accepts', async () => {
  const spiking: NetworkSpec = { ...spec, name: 'small-spikes', layers: [...spec.layers.slice(0, -1), { kind: 'clif', alpha: 0.4, beta: 0.7, theta: 0.2 }] };
  const r = validateSpec(spiking);
  const p = initParams(r, 5, 3);
  const path = join(dir, 'spikes.safetensors');
  saveCheckpoint(path, { spec: spiking, params: p, history: [] });
  const ck = loadCheckpoint(path);
  const unrolled = join(dir, 'spikes.onnx'), loop = join(dir, 'spikes-loop.onnx');
  await onnxExporter.export(ck, unrolled, {}, path);
  await onnxExporter.export(ck, loop, { timeLoop: true }, path);
  const expected = referenceForward(r, p, input, B).spikeCounts.get('clif3')!;
  assert.ok(expected.some((c) => c > 0), 'the output layer must spike');
  for (const model of [unrolled, loop]) {
    for (const name of ['ort-node', 'ort-web']) {
      const rt = await RUNTIMES[name].prepare({ checkpoint: ck, onnxPath: model });
      const out = await rt.run({ batchSize: B, shape: [B, 1, 28, 28], data: input });
      await rt.dispose();
      assert.deepEqual(Array.from(out.logits), Array.from(expected), `${name} ${model}: logits are the counts`);
    }
  }
  const meta = Object.fromEntries(decodeModel(readFileSync(unrolled)).metadataProps.map((m: { key: string; value: string }) => [m.key, m.value]));
  assert.equal(meta['snn_export.output'], 'spikes');
  if (existsSync('/usr/lib/python3/dist-packages/onnx')) {
    const check = spawnSync('/usr/bin/python3', [new URL('../tools/check-onnx.py', import.meta.url).pathname, unrolled, loop], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  }
});
