// The published build (npm run build, run by `prepare` on npm ci and npm pack): tsc compiles
// src/, exporters/, runtimes/ and hardware-profiles/ to dist/ with declarations, then every file
// that is not TypeScript in those folders (recipes, profiles and examples as JSON, .proto schemas,
// the report and browser pages) is copied beside its compiled module, which reads it by a path
// relative to itself. dist/.built records when the build started: bin/snn-export.js runs dist/
// only while no source is newer than that.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const SOURCE_DIRS = ['src', 'exporters', 'runtimes', 'hardware-profiles'];
const started = Date.now();

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  process.stderr.write(`build: tsc failed (exit ${r.status ?? r.signal}); dist/ removed\n`);
  process.exit(1);
}
let assets = 0;
for (const dir of SOURCE_DIRS) {
  for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
    const from = join(entry.parentPath ?? entry.path, entry.name);
    const to = join(dist, from.slice(root.length + 1));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    assets++;
  }
}
writeFileSync(join(dist, '.built'), `${started}\n`);
process.stdout.write(`build: dist/ compiled, ${assets} assets copied in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
