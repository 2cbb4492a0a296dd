// The package as a user gets it: `npm pack` (which builds dist/ through `prepare`) in a copy of
// the checkout, `npm ci --offline` of the tarball into a fresh project from the npm cache that the
// checkout's own install filled, then the CLI and the API from plain Node (no tsx) and from a .ts
// file compiled by tsc against the shipped declarations. The build happens in the copy, so the
// checkout's dist/ (which other tests' CLI runs may be using) is never touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { SpawnSyncOptions } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeConsumerProject } from './helpers/consumer-project.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'test/fixtures/package');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** What `npm pack` reads: the `files` of package.json and the inputs of the build. */
const PACK_INPUTS = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin', 'docs', 'models', 'src', 'exporters', 'runtimes',
  'hardware-profiles', 'types', 'tools', 'tsconfig.json', 'tsconfig.build.json'];

function run(command: string, args: string[], options: SpawnSyncOptions & { cwd: string }): string {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000, ...options, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', ...options.env } });
  assert.equal(r.status, 0, `${command} ${args.join(' ')} (in ${options.cwd}) exited ${r.status ?? r.signal}:\n${String(r.stdout)}\n${String(r.stderr)}`);
  return String(r.stdout);
}

test('the packed tarball installs offline and works from plain Node and from tsc-compiled TypeScript', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'snn-package-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };

  // 1. npm pack in a copy of the checkout: prepare builds dist/ there.
  const copy = join(work, 'checkout');
  mkdirSync(copy);
  for (const entry of PACK_INPUTS) if (existsSync(join(root, entry))) cpSync(join(root, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  run(npm, ['pack', '--pack-destination', consumer, '--no-audit', '--no-fund'], { cwd: copy });
  const tarball = readdirSync(consumer).find((f) => f.endsWith('.tgz'));
  assert.equal(tarball, `${pkg.name}-${pkg.version}.tgz`);
  const listed = run('tar', ['-tzf', tarball], { cwd: consumer }).split('\n');
  for (const wanted of ['package/dist/src/index.js', 'package/dist/src/index.d.ts', 'package/dist/src/compile/onnx.proto', 'package/dist/exporters/events/bundle.proto',
    'package/dist/src/train/recipes/mnist-paper.json', 'package/dist/hardware-profiles/loihi2.json', 'package/dist/src/report/report-page.js',
    'package/dist/runtimes/browser/page/index.html', 'package/bin/snn-export.js', 'package/LICENSE', 'package/CHANGELOG.md', 'package/README.md']) {
    assert.ok(listed.includes(wanted), `the tarball lacks ${wanted}`);
  }
  for (const path of listed) assert.doesNotMatch(path, /^package\/(test|bench|src|\.ci|tools)\//, `the tarball ships ${path}`);

  // 2. A fresh project installs it from the npm cache only.
  writeConsumerProject(consumer, tarball, root);
  run(npm, ['ci', '--offline', '--omit=optional', '--no-audit', '--no-fund'], { cwd: consumer });
  assert.ok(!existsSync(join(consumer, 'node_modules/tsx')), 'tsx was installed: the package must not need it');

  // 3. The CLI, in plain Node: version from package.json, recipes and profiles from the copied JSON.
  const cli = join(consumer, 'node_modules/.bin/snn-export');
  assert.equal(run(cli, ['--version'], { cwd: consumer }).trim(), pkg.version);
  assert.match(run(cli, ['recipes'], { cwd: consumer }), /^mnist-paper +v\d+/m);
  assert.match(run(cli, ['profiles'], { cwd: consumer }), /^loihi2 /m);

  // 4. The API from plain Node ESM: train, ONNX in onnxruntime-node, verify (a child process), NIR (a worker), bundle + simulator.
  cpSync(fixtures, consumer, { recursive: true });
  const mjs = run(process.execPath, ['consumer.mjs', '300'], { cwd: consumer });
  const ort = /onnxruntime-node: (\d+)\/500 test images right/.exec(mjs);
  assert.ok(ort, mjs);
  assert.ok(Number(ort[1]) > 150, `fc after 300 images should beat chance by far on 500 test images:\n${mjs}`);
  assert.match(mjs, /verify: ort-node prediction agreement 100\.0 % on 100 images/);
  assert.match(mjs, /wrote fc\.nir: NIR graph/);
  assert.match(mjs, /hardware simulator: 5\/5 bundle samples give the bundle's expected class/);

  // 5. The API from TypeScript, compiled by tsc against the shipped .d.ts (the @ts-expect-error lines must hold).
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  run(process.execPath, [tsc, '-p', 'tsconfig.json', '--typeRoots', join(root, 'node_modules/@types')], { cwd: consumer });
  const ts = run(process.execPath, ['out/consumer.js', '300'], { cwd: consumer });
  assert.match(ts, /^trained fc \(flatten → dense → clif → dense → readout\) on 300 images: test accuracy \d+\.\d+ % after 1 epoch$/m);
  assert.match(ts, /onnxruntime-node: \d+\/500 test images right/);
  assert.match(ts, /a missing checkpoint is an SnnError of kind missingInput, exit code 4/);
});
