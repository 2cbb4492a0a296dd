import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatReport, inspectFile } from '../src/data/inspect.ts';
import type { EventFileReport, IdxReport } from '../src/data/inspect.ts';
import { embeddedMnistDir } from '../src/data/mnist.ts';
import { EVENT_SOURCES } from './helpers/shared-data.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'snn-data-inspect-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `snn-export data …` through the command's own registration (commands.ts wires it for users). */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = `import { Command } from 'commander'; import { registerData } from './src/cli/data.ts';
    const program = new Command('snn-export').exitOverride(); registerData(program);
    await program.parseAsync(${JSON.stringify(args)}, { from: 'user' });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('data inspect', () => {
  for (const src of EVENT_SOURCES) test(`${src.name} event files: counts, ranges, ON count, first/last timestamps and checksums of expected_stats.json`, () => {
    for (const e of src.expected) {
      const r = inspectFile(join(src.dir, e.file)) as EventFileReport;
      assert.equal(r.kind, 'events');
      assert.deepEqual(
        [r.format, r.events, r.xRange, r.yRange, r.onEvents, r.tFirst, r.tLast, r.sumX, r.sumY, r.sumT],
        [e.format, e.events, e.x_range, e.y_range, e.on_events, e.t_first, e.t_last, e.sum_x, e.sum_y, e.sum_t],
        e.file,
      );
    }
  });

  test('IDX labels give label counts; images give their shape', () => {
    const labels = inspectFile(join(embeddedMnistDir(), 't10k-labels-idx1-ubyte')) as IdxReport;
    assert.deepEqual(labels.dims, [10000]);
    assert.equal(Object.values(labels.labelCounts!).reduce((a, b) => a + b, 0), 10000);
    assert.equal(labels.labelCounts!['7'], 1028);
    const images = inspectFile(join(embeddedMnistDir(), 't10k-images-idx3-ubyte')) as IdxReport;
    assert.deepEqual(images.dims, [10000, 28, 28]);
    assert.match(formatReport(images), /dims\s+10000×28×28/);
  });

  for (const src of EVENT_SOURCES) test(`CLI: text and --json output, and exit code 3 with one line for a malformed file (${src.name} files)`, () => {
    const file = src.path('mnistDvs');
    const e = src.expected.find((x) => x.file === src.roles.mnistDvs)!;
    if (src.real) assert.deepEqual([e.sum_t, e.x_range, e.events, e.on_events, e.sum_x, e.sum_y], [16402402820, [0, 126], 15744, 7874, 1053121, 987962]);
    const text = cli('data', 'inspect', file);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /format\s+AEDAT 2\.0/);
    assert.match(text.stdout, new RegExp(`sumT\\s+${e.sum_t}\\b`));
    assert.match(text.stdout, new RegExp(`xRange\\s+${e.x_range[0]} … ${e.x_range[1]}\\b`));
    const json = cli('data', 'inspect', file, '--json');
    assert.equal(json.status, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.deepEqual([report.events, report.onEvents, report.sumX, report.sumY], [e.events, e.on_events, e.sum_x, e.sum_y]);
    // Cut 3 bytes into the 100th record: the refusal names where that record starts.
    const broken = join(tmp, `${src.name}-broken.aedat`);
    writeFileSync(broken, readFileSync(file).subarray(0, e.header_bytes! + 8 * 99 + 3));
    const bad = cli('data', 'inspect', broken);
    assert.equal(bad.status, 3);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, new RegExp(`broken\\.aedat: offset ${e.header_bytes! + 8 * 99}\\b`));
    const v4 = cli('data', 'inspect', src.path('aedat4'), '--json');
    assert.equal(v4.status, 0, v4.stderr);
    assert.equal(JSON.parse(v4.stdout).events, src.roles.aedat4Events);
  });

  test('CLI: emulate writes a readable folder', () => {
    const out = join(tmp, 'emulated');
    const r = cli('data', 'emulate', '--from', 'mnist', '-o', out, '--limit', '2', '--quiet');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote 4 recordings/);
    const wrong = cli('data', 'emulate', '--from', 'cifar', '-o', out);
    assert.equal(wrong.status, 2);
  });
});
