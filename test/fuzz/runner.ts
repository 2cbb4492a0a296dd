/**
 * Runs the fuzzer: makes the seeds, then N cases per format, each written to a file and read by a
 * worker process, and collects the outcome table and the distinct failures. Failing inputs are
 * saved under `outDir` so they can be replayed without remaking the run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCase } from './cases.ts';
import type { FuzzFormat } from './format.ts';
import type { CaseResult, Outcome } from './protocol.ts';
import { FAILURES, OUTCOMES } from './protocol.ts';
import { WorkerProcess } from './worker-process.ts';

export interface FuzzOptions {
  formats: FuzzFormat[];
  /** Cases per format (the first ones are the seeds, then the crafted files, then mutants). */
  cases: number;
  seed: number;
  timeoutSec: number;
  memoryMb: number;
  /** Where failing inputs are saved; nothing is saved when undefined. */
  outDir?: string;
  /** Only these case numbers (for reproducing one case). */
  only?: number[];
  /** Called after every case (progress). */
  onCase?: (format: string, index: number, result: CaseResult) => void;
}

/** One failing case, with what is needed to reproduce it. */
export interface Failure {
  format: string;
  index: number;
  origin: string;
  result: CaseResult;
  /** The saved input, if saved. */
  saved?: string;
}

export interface FormatSummary {
  format: string;
  entry: string;
  counts: Record<Outcome, number>;
  /** Refusals by exit code. */
  exitCodes: Record<number, number>;
  seconds: number;
  /** Seeds that were not accepted: a reader that refuses valid files, or a broken seed writer. */
  seedProblems: string[];
  /** Refusal messages with numbers and paths blanked, and how often each came: how deep the mutants reach. */
  refusals: Map<string, number>;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  summaries: FormatSummary[];
  failures: Failure[];
  seconds: number;
}

/** A message with its numbers, hex values and paths blanked, so messages of one check group together. */
export function blankDetails(message: string): string {
  return message.replace(/\/[\w./-]+/g, 'PATH').replace(/0x[0-9a-f]+/gi, 'N').replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, 'N').slice(0, 160);
}

const zeroCounts = (): Record<Outcome, number> => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

/** Runs the cases of one input file (replay mode) or of every format. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const runDir = mkdtempSync(join(tmpdir(), 'snn-fuzz-'));
  const registry = o.formats.every((f) => f.name.startsWith('guard-')) ? 'guards' : 'formats';
  const worker = new WorkerProcess({ timeoutMs: o.timeoutSec * 1000, memoryKb: o.memoryMb * 1024, registry });
  const started = performance.now();
  const summaries: FormatSummary[] = [];
  const failures: Failure[] = [];
  let id = 0;
  try {
    for (const format of o.formats) {
      const formatStart = performance.now();
      const seedDir = join(runDir, 'seeds', format.name);
      mkdirSync(seedDir, { recursive: true });
      const seeds = await format.seeds(seedDir);
      const crafted = format.crafted(seeds);
      const summary: FormatSummary = { format: format.name, entry: format.entry, counts: zeroCounts(), exitCodes: {}, seconds: 0, seedProblems: [], refusals: new Map() };
      const inputDir = join(runDir, 'input', format.name);
      mkdirSync(inputDir, { recursive: true });
      const input = join(inputDir, format.fileName);
      const indexes = o.only ?? Array.from({ length: o.cases }, (_, i) => i);
      for (const index of indexes) {
        const c = makeCase(format, seeds, crafted, o.seed, index);
        writeFileSync(input, c.bytes);
        const result = await worker.run({ format: format.name, path: input, scratchRoot: join(runDir, 'scratch') }, id++);
        summary.counts[result.outcome]++;
        if (result.outcome === 'refused' && result.exitCode !== undefined) {
          summary.exitCodes[result.exitCode] = (summary.exitCodes[result.exitCode] ?? 0) + 1;
          const shape = `${result.exitCode} ${blankDetails(result.message.replace(input, 'FILE'))}`;
          summary.refusals.set(shape, (summary.refusals.get(shape) ?? 0) + 1);
        }
        if (index < seeds.length && result.outcome !== 'accepted') summary.seedProblems.push(`${c.origin}: ${result.outcome}: ${result.message}`);
        if (FAILURES.includes(result.outcome)) {
          let saved: string | undefined;
          if (o.outDir) {
            const dir = join(o.outDir, format.name);
            mkdirSync(dir, { recursive: true });
            saved = join(dir, `seed${o.seed}-case${index}-${result.outcome}-${format.fileName}`);
            writeFileSync(saved, c.bytes);
          }
          failures.push({ format: format.name, index, origin: c.origin, result, saved });
        }
        o.onCase?.(format.name, index, result);
      }
      summary.seconds = (performance.now() - formatStart) / 1000;
      summaries.push(summary);
    }
  } finally {
    worker.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
  return { seed: o.seed, cases: o.cases, summaries, failures, seconds: (performance.now() - started) / 1000 };
}

/** Reads one saved input with `format`'s reader in a fresh worker, under the same guards. */
export async function replay(format: FuzzFormat, path: string, timeoutSec: number, memoryMb: number): Promise<CaseResult> {
  const runDir = mkdtempSync(join(tmpdir(), 'snn-fuzz-replay-'));
  const worker = new WorkerProcess({ timeoutMs: timeoutSec * 1000, memoryKb: memoryMb * 1024 });
  try {
    return await worker.run({ format: format.name, path, scratchRoot: runDir }, 0);
  } finally {
    worker.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}
