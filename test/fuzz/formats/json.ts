/**
 * The JSON files a user hands to snn-export: network specs (`train --spec FILE`), training
 * recipes (`train --recipe`) and hardware profiles (`--target ./chip.json`). Mutations are
 * structural (a node replaced, removed, retyped, nested deeply, made huge) and textual (a
 * byte-order mark, CR line ends, a cut).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROFILE_DIR, loadProfileFile } from '../../../hardware-profiles/index.ts';
import { HwSimulator } from '../../../runtimes/hwsim/simulator.ts';
import { SnnError } from '../../../src/errors.ts';
import { quantizeNetwork } from '../../../src/quantize/quantize.ts';
import { initParams } from '../../../src/spec/params.ts';
import { validateSpec } from '../../../src/spec/validate.ts';
import { readRecipeFile, recipeNames } from '../../../src/train/recipes.ts';
import type { Recipe } from '../../../src/train/recipes.ts';
import { loadSpecFile } from '../../../src/spec/file.ts';
import type { FuzzFormat, Seed } from '../format.ts';
import { DENSE_SPEC, CONV_SPEC, checkpointOf } from './models.ts';

function jsonSeed(name: string, value: unknown): Seed {
  const bytes = Buffer.from(JSON.stringify(value, null, 2));
  return { name, bytes, views: [{ kind: 'json', name: 'json', value, wrap: (text) => text }] };
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/** `train --spec FILE` up to the first allocation that depends on the file: the weights are initialised, as training does next. */
function readSpecAsTrainDoes(path: string): void {
  initParams(validateSpec(loadSpecFile(path)), 0);
}

export const specFormat: FuzzFormat = {
  name: 'spec', entry: 'train --spec (loadSpecFile, initParams)', fileName: 'case.json', text: true,
  seeds: async () => [
    jsonSeed('dense', DENSE_SPEC), jsonSeed('conv', CONV_SPEC),
    jsonSeed('csnn-avgpool example', readJson(fileURLToPath(new URL('../../../src/spec/examples/csnn-avgpool.json', import.meta.url)))),
  ],
  crafted: () => {
    const s = DENSE_SPEC;
    const text = (v: string) => Buffer.from(v);
    return [
      { name: 'units 1e6', bytes: text(JSON.stringify({ ...s, layers: s.layers.map((l) => (l.kind === 'dense' ? { ...l, units: 1e6 } : l)) })) },
      { name: 'conv channels 1e5', bytes: text(JSON.stringify({ ...CONV_SPEC, layers: CONV_SPEC.layers.map((l) => (l.kind === 'conv2d' ? { ...l, channels: 1e5 } : l)) })) },
      { name: 'timeSteps 1e400', bytes: text(JSON.stringify(s).replace('"timeSteps":6', '"timeSteps":1e400')) },
      { name: 'a null layer', bytes: text(JSON.stringify({ ...s, layers: [null, ...s.layers] })) },
      { name: 'UTF-8 byte-order mark', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(JSON.stringify(s))]) },
      { name: 'CR line ends', bytes: text(JSON.stringify(s, null, 2).replace(/\n/g, '\r')) },
      { name: 'inputShape [1, 65536, 65536]', bytes: text(JSON.stringify({ ...s, inputShape: [1, 65536, 65536] })) },
      { name: '100 000-deep arrays', bytes: text(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) },
      { name: 'null', bytes: text('null') },
      // At the documented limits a spec is accepted and must still fit in memory (47 M weights of the 50 M allowed).
      { name: 'near the parameter limit: 784 → 60 000 units', bytes: text(JSON.stringify({ ...s, inputShape: [1, 28, 28], layers: s.layers.map((l, i) => (i === 1 ? { ...l, units: 60_000 } : l)) })) },
    ];
  },
  read: async (path) => readSpecAsTrainDoes(path),
};

const RECIPE_DIR = fileURLToPath(new URL('../../../src/train/recipes/', import.meta.url));

/**
 * A recipe file as `train --recipe NAME` loads one (loadRecipe reads only the bundled folder, so
 * its steps are taken here on the case file: the JSON parsed, then parseRecipe's checks), under
 * the name 'case' that the seeds carry.
 */
function loadRecipeAt(path: string): Recipe {
  return readRecipeFile(path, 'case');
}

export const recipeFormat: FuzzFormat = {
  name: 'recipe', entry: 'train --recipe (parseRecipe, initParams)', fileName: 'case.json', text: true,
  seeds: async () => recipeNames().map((name) => {
    // The file name must match `name`; cases are written as case.json.
    const value = { ...(readJson(`${RECIPE_DIR}${name}.json`) as Record<string, unknown>), name: 'case' };
    return jsonSeed(name, value);
  }),
  crafted: (seeds) => {
    const base = JSON.parse(Buffer.from(seeds[0].bytes).toString('utf8'));
    const training = (t: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...base, training: { ...base.training, ...t } }));
    return [
      { name: 'epochs 1e400', bytes: Buffer.from(JSON.stringify(base).replace(/"epochs":\s*\d+/, '"epochs":1e400')) },
      { name: 'freezeout []', bytes: training({ freezeout: [] }) },
      { name: 'surrogate 1', bytes: training({ surrogate: 1 }) },
      { name: 'loss "direct"', bytes: training({ loss: 'direct' }) },
      { name: 'batchSize 0', bytes: training({ batchSize: 0 }) },
      { name: 'lr -1', bytes: training({ lr: -1 }) },
      { name: 'training null', bytes: Buffer.from(JSON.stringify({ ...base, training: null })) },
      { name: 'spec null', bytes: Buffer.from(JSON.stringify({ ...base, spec: null })) },
      { name: 'dataset name "../../etc"', bytes: Buffer.from(JSON.stringify({ ...base, dataset: { name: '../../etc' } })) },
    ];
  },
  read: async (path) => { initParams(validateSpec(loadRecipeAt(path).spec), 0); },
};

/** Profiles are checked, then used as `export events --target ./chip.json` uses them: to quantize small networks for the simulator. */
export const profileFormat: FuzzFormat = {
  name: 'profile', entry: 'export events --target FILE (loadProfileFile, quantizeNetwork)', fileName: 'case.json', text: true,
  seeds: async () => ['loihi2', 'generic-int8', 'xylo-audio2', 'speck'].filter((n) => existsSync(`${PROFILE_DIR}/${n}.json`)).map((n) => jsonSeed(n, readJson(`${PROFILE_DIR}/${n}.json`))),
  crafted: (seeds) => {
    const base = JSON.parse(Buffer.from(seeds[0].bytes).toString('utf8'));
    const edit = (f: (p: any) => void) => { const p = structuredClone(base); f(p); return Buffer.from(JSON.stringify(p)); };
    return [
      { name: 'state bits 1e9', bytes: edit((p) => { p.state.current.bits.value = 1e9; p.state.membrane.bits.value = 1e9; }) },
      { name: 'weights min 0', bytes: edit((p) => { p.weights.min.value = 0; }) },
      { name: 'weight exponent range ±2^31', bytes: edit((p) => { p.weights.exponent.min.value = -(2 ** 31); p.weights.exponent.max.value = 2 ** 31; }) },
      { name: 'cores 1e9', bytes: edit((p) => { p.limits.cores = { value: 1e9, assumption: 'fuzz' }; }) },
      { name: 'threshold shift 1e6', bytes: edit((p) => { p.threshold.shift.value = 1e6; }) },
      { name: 'weight step 0', bytes: edit((p) => { p.weights.step.value = 0; }) },
    ];
  },
  read: async (path) => {
    const profile = loadProfileFile(path);
    for (const spec of [DENSE_SPEC, CONV_SPEC]) {
      const ck = checkpointOf(spec, 1);
      try {
        new HwSimulator(quantizeNetwork(validateSpec(spec), ck.params, profile).network);
      } catch (err) {
        // A network that does not fit a (mutated) target is a correct answer, not a failure.
        if (!(err instanceof SnnError && err.kind === 'doesNotFit')) throw err;
      }
    }
  },
};
