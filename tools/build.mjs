// The published build (npm run build, run by `prepare` on npm ci and npm pack): tsc compiles
// src/, exporters/, runtimes/ and hardware-profiles/ to dist/ with declarations, then every file
// that is not TypeScript in those folders (recipes, profiles and examples as JSON, .proto schemas,
// the report and browser pages) is copied beside its compiled module, which reads it by a path
// relative to itself. dist/.built records when the build started: bin/snn-export.js runs dist/
// only while no source is newer than that. The build is made in dist.new/ and then swapped in,
// so that a CLI already running from dist/ does not see it half-written.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const staging = join(root, 'dist.new');
const SOURCE_DIRS = ['src', 'exporters', 'runtimes', 'hardware-profiles'];
const started = Date.now();

rmSync(staging, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', staging], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(staging, { recursive: true, force: true });
  process.stderr.write(`build: tsc failed (exit ${r.status ?? r.signal}); dist/ left as it was\n`);
  process.exit(1);
}
let assets = 0;
for (const dir of SOURCE_DIRS) {
  for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
    const from = join(entry.parentPath ?? entry.path, entry.name);
    const to = join(staging, from.slice(root.length + 1));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    assets++;
  }
}
writeFileSync(join(staging, '.built'), `${started}\n`);
const old = join(root, 'dist.old');
rmSync(old, { recursive: true, force: true });
if (existsSync(dist)) renameSync(dist, old);
renameSync(staging, dist);
rmSync(old, { recursive: true, force: true });
process.stdout.write(`build: dist/ compiled, ${assets} assets copied in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
