/**
 * `npm run bench:accel`: time-to-accuracy of the two accelerations (docs/training.md, issue 6). For each
 * network, trains the same number of epochs from the same seed with: no acceleration, backward
 * phase skipping alone, layerwise FreezeOut alone, and both; prints wall-clock training time
 * (evaluation excluded), time saved and final test accuracy, with the command of each row.
 *
 *   npm run bench:accel [-- --arch csnn,fc] [-- --epochs 1] [-- --skip burn-in:6] [-- --freezeout cubic:0.7]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const archs = opt('arch', 'csnn,fc').split(',');
const epochs = opt('epochs', '1');
const skip = opt('skip', 'burn-in:6');
const freezeout = opt('freezeout', 'cubic:0.7');
const extra = opt('extra', '').split(' ').filter(Boolean);
const bin = fileURLToPath(new URL('../bin/snn-export.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-accel-'));

interface Row { arch: string; label: string; seconds: number; accuracy: number; command: string }
const rows: Row[] = [];
for (const arch of archs) {
  const configs: [string, string[]][] = [
    ['none', []],
    [`skip ${skip}`, ['--skip', skip]],
    [`freezeout ${freezeout}`, ['--freezeout', freezeout]],
    ['both', ['--skip', skip, '--freezeout', freezeout]],
  ];
  for (const [label, flags] of configs) {
    const out = join(dir, `${arch}-${label.replace(/[^a-z0-9]+/gi, '_')}.safetensors`);
    const argv = ['train', '--arch', arch, '--epochs', epochs, '--seed', '1', '--json', '--no-progress', ...flags, ...extra, '-o', out];
    const r = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const seconds = records.reduce((a: number, e: { seconds: number }) => a + e.seconds, 0);
    const accuracy = records[records.length - 1].testAccuracy;
    rows.push({ arch, label, seconds, accuracy, command: `snn-export ${argv.slice(0, -2).join(' ')}` });
    console.error(`${arch} ${label}: ${seconds.toFixed(1)} s, ${(accuracy * 100).toFixed(2)} %`);
  }
}
console.log(`\ntraining time (evaluation excluded), ${epochs} epoch(s), seed 1, MNIST, project defaults otherwise`);
console.log('arch  configuration              train time s  time saved  test accuracy  Δ accuracy pp');
for (const r of rows) {
  const base = rows.find((b) => b.arch === r.arch && b.label === 'none')!;
  const saved = (1 - r.seconds / base.seconds) * 100;
  console.log(`${r.arch.padEnd(5)} ${r.label.padEnd(24)} ${r.seconds.toFixed(1).padStart(12)}  ${saved.toFixed(1).padStart(9)} %  ${(r.accuracy * 100).toFixed(2).padStart(11)} %  ${((r.accuracy - base.accuracy) * 100).toFixed(2).padStart(12)}`);
}
console.log('\ncommands:');
for (const r of rows) console.log(`  ${r.command}`);
