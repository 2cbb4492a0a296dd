/**
 * The pretrained models shipped in the package's `models/` folder, listed by
 * `models/manifest.json`: what each is, how and from which commit it was trained, and its
 * measured test accuracy. Commands that read a checkpoint accept a model's name instead of a path
 * (`src/checkpoint/checkpoint-file.ts`).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { SnnError, malformed } from '../errors.ts';
import { readInputJson } from '../util/read-input.ts';
import { shown } from '../util/shown.ts';

/** Correct predictions of the trained model on a prefix of the test set. */
export interface MeasuredAccuracy {
  /** Test images evaluated: the first `samples` of the data set's test split. */
  samples: number;
  correct: number;
}

/** One shipped model. */
export interface PretrainedModel {
  /** What commands accept instead of a checkpoint path. */
  name: string;
  /** The checkpoint, relative to `models/`. */
  file: string;
  description: string;
  /** How it was trained: the command, and the recipe (`name@version`) when one was used. */
  training: { command: string; recipe?: string; settings: string };
  /** The project commit the training ran from. */
  commit: string;
  /** Data set the accuracies are measured on (`mnist`: the embedded MNIST). */
  dataset: string;
  /** On all test images and on the first 1 000 (what `test/models.test.ts` reproduces). */
  accuracy: { all: MeasuredAccuracy; first1000: MeasuredAccuracy };
  /** Size and SHA-256 of the file. */
  bytes: number;
  sha256: string;
}

/** `models/manifest.json`. */
export interface ModelManifest {
  version: 1;
  models: PretrainedModel[];
}

/** The package's `models/` folder: beside `src/` in a checkout, beside `dist/` in the built package. */
export function modelsDir(): string {
  for (let up = '../../'; up.length <= 15; up += '../') {
    const dir = fileURLToPath(new URL(`${up}models/`, import.meta.url));
    if (existsSync(join(dir, 'manifest.json'))) return dir;
  }
  throw new SnnError('missingInput', 'models/manifest.json is not in this installation of snn-export (the package ships it)');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function checkModel(where: string, m: unknown, i: number): PretrainedModel {
  const at = `${where}: models[${i}]`;
  if (!isRecord(m)) throw malformed(at, `must be an object, got ${shown(m)}`);
  for (const field of ['name', 'file', 'description', 'commit', 'dataset', 'sha256'] as const) {
    if (typeof m[field] !== 'string' || !m[field]) throw malformed(at, `'${field}' must be a non-empty string, got ${shown(m[field])}`);
  }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(m.name as string)) throw malformed(at, `'name' must be lower case letters, digits and '-', got ${shown(m.name)}`);
  if (!/^[a-z0-9][a-z0-9.-]*\.safetensors$/.test(m.file as string)) throw malformed(at, `'file' must be a .safetensors file name in models/, got ${shown(m.file)}`);
  if (!isCount(m.bytes)) throw malformed(at, `'bytes' must be a non-negative integer, got ${shown(m.bytes)}`);
  const acc = m.accuracy;
  if (!isRecord(acc)) throw malformed(at, `'accuracy' must be an object, got ${shown(acc)}`);
  for (const k of ['all', 'first1000'] as const) {
    const a = acc[k];
    if (!isRecord(a) || !isCount(a.samples) || !isCount(a.correct) || a.correct > a.samples || a.samples === 0) {
      throw malformed(at, `'accuracy.${k}' must hold integers samples > 0 and correct ≤ samples, got ${shown(a)}`);
    }
  }
  const t = m.training;
  if (!isRecord(t) || typeof t.command !== 'string' || typeof t.settings !== 'string' || (t.recipe !== undefined && typeof t.recipe !== 'string')) {
    throw malformed(at, `'training' must hold strings 'command' and 'settings' (and optionally 'recipe'), got ${shown(t)}`);
  }
  return m as unknown as PretrainedModel;
}

let cached: ModelManifest | undefined;

/** Reads and checks `models/manifest.json` (once per process). */
export function readManifest(): ModelManifest {
  if (cached) return cached;
  const path = join(modelsDir(), 'manifest.json');
  const json = readInputJson(path, { what: 'model manifest', maxBytes: 1 << 20 });
  if (!isRecord(json) || json.version !== 1 || !Array.isArray(json.models)) throw malformed(path, "must be an object with 'version': 1 and a 'models' array");
  const models = json.models.map((m, i) => checkModel(path, m, i));
  const names = new Set<string>();
  for (const m of models) {
    if (names.has(m.name)) throw malformed(path, `model name '${m.name}' appears twice`);
    names.add(m.name);
  }
  cached = { version: 1, models };
  return cached;
}

/** The shipped model called `name`, if there is one. */
export function findModel(name: string): PretrainedModel | undefined {
  return readManifest().models.find((m) => m.name === name);
}

/** Absolute path of a shipped model's checkpoint. */
export function modelFile(model: PretrainedModel): string {
  return join(modelsDir(), model.file);
}
