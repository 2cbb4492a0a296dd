/**
 * `npm run fuzz -- --cases N [--seed S] [--format NAME[,NAME…]] [--timeout SEC] [--memory MB] [--out DIR]`
 * runs N seeded cases per format through the project's readers in a guarded worker process and
 * prints the outcome table; `--case K` reruns one case, `--replay FILE --format NAME` one saved
 * input; `--refusals` lists the checks that refused the cases (how deep the mutants reach). Exit code 1 when any case ended in an internal error, a crash, a hang or too much memory.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { formatsNamed } from '../test/fuzz/formats/index.ts';
import { FAILURES } from '../test/fuzz/protocol.ts';
import { formatReport } from '../test/fuzz/report.ts';
import { replay, runFuzz } from '../test/fuzz/runner.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    format: { type: 'string' },
    timeout: { type: 'string', default: '30' },
    memory: { type: 'string', default: '1024' },
    out: { type: 'string', default: 'fuzz-out' },
    case: { type: 'string' },
    replay: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    refusals: { type: 'boolean', default: false },
  },
});

function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) { process.stderr.write(`fuzz: --${name} must be a non-negative integer, got '${v}'\n`); process.exit(2); }
  return n;
}

let formats;
try {
  formats = formatsNamed(values.format?.split(',').map((s) => s.trim()).filter(Boolean));
} catch (err) {
  process.stderr.write(`fuzz: ${(err as Error).message}\n`);
  process.exit(2);
}
const timeoutSec = positive('timeout', values.timeout), memoryMb = positive('memory', values.memory);

if (values.replay) {
  if (formats.length !== 1) { process.stderr.write('fuzz: --replay needs --format NAME (one format)\n'); process.exit(2); }
  const r = await replay(formats[0], resolve(values.replay), timeoutSec, memoryMb);
  process.stdout.write(`${formats[0].name} ${values.replay}: ${r.outcome}${r.exitCode !== undefined ? ` (exit code ${r.exitCode})` : ''} in ${r.ms.toFixed(0)} ms, peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB${r.message ? `\n  ${r.message}` : ''}${r.frame ? `\n  @ ${r.frame}` : ''}\n`);
  process.exit(FAILURES.includes(r.outcome) ? 1 : 0);
}

const cases = positive('cases', values.cases);
const seed = positive('seed', values.seed);
const only = values.case !== undefined ? [positive('case', values.case)] : undefined;
let done = 0, lastPrint = performance.now();
const report = await runFuzz({
  formats, cases, seed, timeoutSec, memoryMb, outDir: resolve(values.out), only,
  onCase: (format, index, r) => {
    done++;
    if (only) process.stdout.write(`${format} seed ${seed} case ${index}: ${r.outcome}${r.exitCode !== undefined ? ` (exit code ${r.exitCode})` : ''} in ${r.ms.toFixed(0)} ms${r.message ? `\n  ${r.message}` : ''}${r.frame ? `\n  @ ${r.frame}` : ''}\n`);
    else if (FAILURES.includes(r.outcome)) process.stderr.write(`fuzz: ${format} case ${index}: ${r.outcome}: ${r.message.slice(0, 200)}\n`);
    if (!values.quiet && performance.now() - lastPrint > 10_000) {
      lastPrint = performance.now();
      process.stderr.write(`fuzz: ${done} cases done (${format} case ${index})\n`);
    }
  },
});
if (!only) process.stdout.write(`${formatReport(report, values.refusals)}\n${report.failures.length ? `failing inputs saved under ${resolve(values.out)}\n` : ''}`);
process.exit(report.failures.length ? 1 : 0);
