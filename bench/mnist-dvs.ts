/**
 * `npm run bench:mnist-dvs`: the event pipeline end to end, offline. Emulates MNIST-DVS from the
 * full MNIST (`snn-export data emulate`, skipped when the folder exists), trains the `csnn`
 * network on 10-bin event frames of the 32×32 centre of the sensor, and reports the test accuracy
 * on the 10 000 emulated test recordings against the paper's MNIST-DVS figure (98.40 %).
 *
 *   npm run bench:mnist-dvs [-- --dir /tmp/emu-full] [-- --epochs 2]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const dir = opt('dir', '/tmp/snn-export-mnist-dvs');
const epochs = opt('epochs', '2');
const bin = fileURLToPath(new URL('../bin/snn-export.js', import.meta.url));
const run = (argv: string[]) => {
  console.error(`$ snn-export ${argv.join(' ')}`);
  const r = spawnSync(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  return r.stdout;
};
if (!existsSync(`${dir}/emulation.json`)) run(['data', 'emulate', '--from', 'mnist', '-o', dir]);
const t0 = performance.now();
const out = run(['train', '--dataset', 'mnist-dvs', '--data-dir', dir, '--arch', 'csnn', '--crop', '48,48,32', '--epochs', epochs, '--json', '--no-progress', '-o', `${dir}/csnn.safetensors`]);
const records = out.trim().split('\n').map((l) => JSON.parse(l));
const last = records[records.length - 1];
console.log(`MNIST-DVS (emulated from the full MNIST), csnn, ${epochs} epoch(s): test accuracy ${(last.testAccuracy * 100).toFixed(2)} % (paper: 98.40 %), ${((performance.now() - t0) / 1000).toFixed(0)} s, ${last.samplesPerSecond.toFixed(0)} samples/s`);
