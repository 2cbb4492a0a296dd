/**
 * The pretrained models in models/: each file is the one the manifest describes (size, SHA-256),
 * loads by name through the checkpoint reader weights-only, and reproduces its recorded accuracy
 * on the first 1 000 test images exactly; `snn-export models` lists them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { checkpointFile } from '../src/checkpoint/checkpoint-file.ts';
import { subset } from '../src/data/dataset.ts';
import { loadDataset } from '../src/data/registry.ts';
import { SnnError } from '../src/errors.ts';
import { modelFile, readManifest } from '../src/models/manifest.ts';
import { verify } from '../runtimes/parity/verify.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const { models } = readManifest();

describe('pretrained models', () => {
  test('the manifest lists fc and csnn at least, each trained from a recorded commit', () => {
    const names = models.map((m) => m.name);
    for (const n of ['fc', 'csnn']) assert.ok(names.includes(n), `models/manifest.json lacks ${n}`);
    for (const m of models) assert.match(m.commit, /^[0-9a-f]{40}$/, m.name);
  });

  for (const m of models) {
    test(`${m.name}: the file, weights-only, reproduces ${m.accuracy.first1000.correct}/1000 on the first test images`, async () => {
      const bytes = readFileSync(modelFile(m));
      assert.equal(bytes.length, m.bytes);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), m.sha256);
      assert.equal(checkpointFile(m.name), modelFile(m));
      const ck = loadCheckpoint(m.name);
      assert.equal(ck.optimizer, undefined, 'shipped models carry no optimizer state');
      assert.equal(ck.progress, undefined, 'shipped models carry no resume position');
      assert.ok(ck.training && ck.history.length > 0, 'the training settings and history are kept');
      const recorded = ck.dataset as { name?: string; options?: Record<string, unknown> } | undefined;
      assert.equal(recorded?.name ?? 'mnist', m.dataset);
      const test = subset(loadDataset(m.dataset, undefined, recorded?.options).test, m.accuracy.first1000.samples);
      const r = await verify({ checkpoint: ck, checkpointPath: m.name, test, runtimes: [], batchSize: 500 });
      assert.equal(Math.round(r.trainedAccuracy * r.samples), m.accuracy.first1000.correct);
      assert.equal(r.samples, 1000);
    });
  }

  test('a bare name that is neither a file nor a model is missing input naming `snn-export models`', () => {
    assert.throws(() => loadCheckpoint('no-such-model'), (err: unknown) => err instanceof SnnError && err.kind === 'missingInput' && /snn-export models/.test(err.message));
  });

  test('CLI: models prints a table and --json the manifest with paths', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'bin/snn-export.js', ...args], { cwd: REPO, encoding: 'utf8' });
    const text = run('models');
    assert.equal(text.status, 0, text.stderr);
    for (const m of models) assert.match(text.stdout, new RegExp(`^${m.name}\\s+${(100 * m.accuracy.all.correct / m.accuracy.all.samples).toFixed(2)} %`, 'm'));
    const json = run('models', '--json');
    assert.equal(json.status, 0, json.stderr);
    const listed = JSON.parse(json.stdout) as { models: { name: string; path: string }[] };
    assert.deepEqual(listed.models.map((x) => [x.name, x.path]), models.map((x) => [x.name, modelFile(x)]));
  });
});
