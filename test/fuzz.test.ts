import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMATS } from './fuzz/formats/index.ts';
import { GUARD_CHECKS } from './fuzz/guard-checks.ts';
import { formatReport } from './fuzz/report.ts';
import { runFuzz } from './fuzz/runner.ts';

/*
 * A short seeded run of the fuzzer (`npm run fuzz`, bench/fuzz.ts) over every format: the valid
 * seeds, every crafted hostile file and a few dozen mutants each, in a guarded worker process.
 * Every case must end in an acceptance or a one-line refusal: no internal error, crash, hang or
 * run-away memory. The long run is `npm run fuzz -- --cases 10000`.
 */
const CASES_PER_FORMAT = 32;

test(`fuzz: ${CASES_PER_FORMAT} seeded cases per format end accepted or refused, none internal, crashed, hung or over 1 GB`, { timeout: 9 * 60_000 }, async () => {
  const report = await runFuzz({ formats: FORMATS, cases: CASES_PER_FORMAT, seed: 20, timeoutSec: 30, memoryMb: 1024 });
  const text = formatReport(report);
  for (const s of report.summaries) {
    assert.deepEqual(s.seedProblems, [], `${s.format}: the valid seed files must be accepted, or the run checks nothing\n${text}`);
    assert.ok(s.counts.refused > 0, `${s.format}: no case was refused, so the mutations did not reach the reader\n${text}`);
  }
  assert.equal(report.failures.length, 0, `the fuzzer found failures:\n${text}`);
});

test('fuzz guards: a reader that throws, aborts, spins or allocates without bound is reported as internal, crash, hang or memory', { timeout: 3 * 60_000 }, async () => {
  const outcomeOf = async (name: string, timeoutSec: number) => {
    const report = await runFuzz({ formats: GUARD_CHECKS.filter((f) => f.name === name), cases: 1, seed: 1, timeoutSec, memoryMb: 1024 });
    return report.failures[0]?.result.outcome ?? 'clean';
  };
  assert.equal(await outcomeOf('guard-internal', 30), 'internal');
  assert.equal(await outcomeOf('guard-crash', 30), 'crash');
  assert.equal(await outcomeOf('guard-hang', 2), 'hang');
  assert.equal(await outcomeOf('guard-memory', 60), 'memory');
  assert.equal(await outcomeOf('guard-heap', 60), 'memory');
});
