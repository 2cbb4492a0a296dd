// CLI start-up time: wall time of `snn-export --version`, `--help` and `data inspect` of a small
// file (the embedded MNIST test labels, 10 kB), each run several times in a fresh process. The
// minimum is the figure to compare: on a shared machine every other run only adds noise.
// Usage: npm run bench:startup [-- --runs N] [-- --bin path/to/snn-export.js]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { embeddedMnistDir } from '../src/data/mnist.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    bin: { type: 'string', default: fileURLToPath(new URL('../bin/snn-export.js', import.meta.url)) },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: '${values.runs}' is not a positive integer`);

const smallFile = `${embeddedMnistDir()}/t10k-labels-idx1-ubyte`;
const cases: { name: string; args: string[]; target: number }[] = [
  { name: '--version', args: ['--version'], target: 0.3 },
  { name: '--help', args: ['--help'], target: 0.3 },
  { name: 'data inspect (10 kB IDX)', args: ['data', 'inspect', smallFile], target: 0.6 },
];

console.log(`${values.bin}, ${runs} runs each (wall seconds; min is the figure, the machine may be shared)`);
console.log('(a checkout\'s bin runs the build only while dist/ is newer than every source, else the sources through tsx: npm run build first)');
console.log('command                     min      median   max      target');
for (const c of cases) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, [values.bin, ...c.args], { encoding: 'utf8' });
    times.push((performance.now() - start) / 1000);
    if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(3).padEnd(8);
  console.log(`${c.name.padEnd(27)} ${f(times[0])} ${f(times[Math.floor(runs / 2)])} ${f(times[runs - 1])} ≤ ${c.target} ${times[0] <= c.target ? 'ok' : 'SLOWER'}`);
}
