import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMATS } from './fuzz/formats/index.ts';
import { formatReport } from './fuzz/report.ts';
import { runFuzz } from './fuzz/runner.ts';

/*
 * A short seeded run of the fuzzer (bench/fuzz.ts, `npm run fuzz`) over every format: the valid
 * seeds, every crafted hostile file and a few dozen mutants each, in a guarded worker process.
 * Every case must end in an acceptance or a one-line refusal: no internal error, crash, hang or
 * run-away memory. The long run is `npm run fuzz -- --cases 10000`.
 */
const CASES_PER_FORMAT = 48;

test(`fuzz: ${CASES_PER_FORMAT} seeded cases per format end accepted or refused, none internal, crashed, hung or over 1 GB`, { timeout: 9 * 60_000 }, async () => {
  const report = await runFuzz({ formats: FORMATS, cases: CASES_PER_FORMAT, seed: 20, timeoutSec: 20, memoryMb: 1024 });
  const text = formatReport(report);
  for (const s of report.summaries) {
    assert.deepEqual(s.seedProblems, [], `${s.format}: the valid seed files must be accepted, or the run checks nothing\n${text}`);
    assert.ok(s.counts.refused > 0, `${s.format}: no case was refused, so the mutations did not reach the reader\n${text}`);
  }
  assert.equal(report.failures.length, 0, `the fuzzer found failures:\n${text}`);
});
