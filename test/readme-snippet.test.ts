// The README's "Use the exported model in your code" snippet, run exactly as written (taken from
// README.md here, so the two cannot drift) on exported models: a direct-input model (the shipped
// fc, whose answer on the first MNIST test image is known) and a rate-encoded one ([T, B, …] input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportCheckpoint, loadDataset, saveCheckpoint, BUILTIN_ARCHITECTURES, DEFAULT_NEURON, validateSpec } from '../src/index.ts';
import { initParams } from '../src/spec/params.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The first ```js block after the heading. */
function readmeSnippet(heading: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(at >= 0, `README.md has no section '${heading}'`);
  const start = readme.indexOf('```js\n', at);
  const end = readme.indexOf('\n```', start + 6);
  assert.ok(start >= 0 && end > start, `README.md section '${heading}' has no js code block`);
  return readme.slice(start + 6, end + 1);
}

/** A folder with the snippet, `model.onnx` exported from `checkpoint` and MNIST test image `index` as digit.raw. */
async function runSnippet(checkpoint: string, index: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'snn-readme-'));
  try {
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'snippet.mjs'), readmeSnippet('Use the exported model in your code'));
    await exportCheckpoint('onnx', checkpoint, join(dir, 'model.onnx'));
    const test = loadDataset('mnist').test;
    const image = new Float32Array(28 * 28);
    test.writeSample(index, image, 0);
    writeFileSync(join(dir, 'digit.raw'), Uint8Array.from(image, (v) => Math.round(v * 255)));
    const r = spawnSync(process.execPath, ['snippet.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('README snippet: a direct-input model ([B, C, H, W]) gives the label of the first test image', async () => {
  const label = loadDataset('mnist').test.labels[0];
  const out = await runSnippet(join(root, 'models/fc.safetensors'), 0);
  assert.match(out, new RegExp(`^input \\[1,1,28,28\\] → class ${label}; spikes: spike_count_clif1 \\d+\\n$`));
});

test('README snippet: a rate-encoded model takes [T, B, C, H, W] spikes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snn-readme-rate-'));
  try {
    const spec = BUILTIN_ARCHITECTURES.fc({ ...DEFAULT_NEURON, timeSteps: 5, encoder: { kind: 'rate', seed: 1 } });
    const checkpoint = join(dir, 'rate.safetensors');
    saveCheckpoint(checkpoint, { spec, params: initParams(validateSpec(spec), 1), history: [] });
    const out = await runSnippet(checkpoint, 0);
    assert.match(out, /^input \[5,1,1,28,28\] → class \d; spikes: spike_count_clif1 \d+\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
