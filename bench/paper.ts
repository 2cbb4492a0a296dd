/**
 * `npm run bench:paper -- --recipe NAME [--data-dir DIR]`: runs a training recipe to the end,
 * resuming from its checkpoint if an earlier run was interrupted, and writes
 * runs/paper/NAME.results.json: test accuracy (best epoch by validation), wall-clock time,
 * samples/s, the recipe, the commit, and the paper's figure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadRecipe } from '../src/train/recipes.ts';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { writeFileAtomic } from '../src/util/atomic-write.ts';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const name = opt('recipe');
if (!name) { console.error('usage: npm run bench:paper -- --recipe NAME [--data-dir DIR]'); process.exit(2); }
const recipe = loadRecipe(name);
const dir = fileURLToPath(new URL('../runs/paper/', import.meta.url));
mkdirSync(dir, { recursive: true });
const out = `${dir}${name}.safetensors`;
const bin = fileURLToPath(new URL('../bin/snn-export.js', import.meta.url));
const argv = ['train', '--recipe', name, '-o', out, '--json', ...(opt('data-dir') ? ['--data-dir', opt('data-dir')!] : []), ...(existsSync(out) ? ['--resume'] : [])];
console.error(`$ snn-export ${argv.join(' ')}`);
const t0 = Date.now();
const r = spawnSync(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (r.status !== 0) process.exit(r.status ?? 1);
const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
const final = lines.find((l) => l.final);
const ck = loadCheckpoint(out);
const trainSeconds = ck.history.reduce((a, e) => a + e.seconds, 0);
const commit = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
const results = {
  recipe: `${recipe.name}@${recipe.version}`, commit, testAccuracy: final?.testAccuracy, bestEpoch: final?.best?.epoch,
  validationAccuracy: final?.best?.validationAccuracy, epochs: ck.history.length, trainSeconds, wallClockSecondsThisRun: (Date.now() - t0) / 1000,
  samplesPerSecond: ck.history[ck.history.length - 1]?.samplesPerSecond, paper: recipe.paper,
};
writeFileAtomic(`${dir}${name}.results.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(`${name}: test accuracy ${((results.testAccuracy ?? 0) * 100).toFixed(2)} % (paper ${recipe.paper.accuracy.toFixed(2)} %), best epoch ${results.bestEpoch}, ${(trainSeconds / 60).toFixed(1)} min of training → runs/paper/${name}.results.json`);
