// Maintainers: adds (or replaces) a pretrained model in models/ from a finished training run.
// The checkpoint is written weights-only (the optimizer state and resume position dropped; the
// embedded spec, training settings, data set record and history kept), read back through the
// checkpoint reader, measured on all test images and on the first 1 000 through verify's trained
// model, and recorded in models/manifest.json with the commit it was trained from.
//
//   node --import tsx tools/add-model.ts --name fc --from run.safetensors --commit SHA \
//     --description "…" --command "snn-export train --arch fc" --settings "…" [--recipe mnist-paper@11]
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCheckpoint, saveCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { subset } from '../src/data/dataset.ts';
import { loadDataset } from '../src/data/registry.ts';
import type { DatasetOptions } from '../src/data/registry.ts';
import type { ModelManifest, PretrainedModel } from '../src/models/manifest.ts';
import { verify } from '../runtimes/parity/verify.ts';

const { values: a } = parseArgs({
  options: {
    name: { type: 'string' }, from: { type: 'string' }, commit: { type: 'string' }, description: { type: 'string' },
    command: { type: 'string' }, settings: { type: 'string' }, recipe: { type: 'string' },
  },
});
for (const k of ['name', 'from', 'commit', 'description', 'command', 'settings'] as const) if (!a[k]) throw new Error(`--${k} is required`);

const dir = new URL('../models/', import.meta.url).pathname;
const file = `${a.name}.safetensors`;
const out = join(dir, file);
const source = loadCheckpoint(a.from!);
saveCheckpoint(out, { spec: source.spec, params: source.params, training: source.training, dataset: source.dataset, history: source.history });
const ck = loadCheckpoint(out);
const recorded = ck.dataset as { name?: string; dir?: string; options?: DatasetOptions } | undefined;
const test = loadDataset(recorded?.name ?? 'mnist', recorded?.dir, recorded?.options).test;
const measure = async (n: number) => {
  const r = await verify({ checkpoint: ck, checkpointPath: out, test: n < test.count ? subset(test, n) : test, runtimes: [], batchSize: 500 });
  return { samples: r.samples, correct: Math.round(r.trainedAccuracy * r.samples) };
};
const bytes = readFileSync(out);
const model: PretrainedModel = {
  name: a.name!, file, description: a.description!,
  training: { command: a.command!, ...(a.recipe ? { recipe: a.recipe } : {}), settings: a.settings! },
  commit: a.commit!, dataset: recorded?.name ?? 'mnist',
  accuracy: { all: await measure(test.count), first1000: await measure(1000) },
  bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'),
};
const manifestPath = join(dir, 'manifest.json');
let manifest: ModelManifest = { version: 1, models: [] };
try { manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ModelManifest; } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; }
const at = manifest.models.findIndex((m) => m.name === model.name);
if (at >= 0) manifest.models[at] = model; else manifest.models.push(model);
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(model)}\n`);
