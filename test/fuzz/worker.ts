/**
 * The fuzzer's child process: reads one case at a time at the parent's request and reports how
 * the reader ended. It classifies errors as the CLI does (src/cli/run.ts): an SnnError, or a Node
 * system error the CLI turns into one, is a refusal; anything else is an internal error. Time
 * and memory are watched by the parent, which kills this process when a case goes too far.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromSystemError } from '../../src/cli/run.ts';
import { SnnError, oneLine } from '../../src/errors.ts';
import type { FuzzFormat } from './format.ts';
import type { CaseRequest, CaseResult } from './protocol.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The first stack frame in the project's own code (not Node's, not a dependency's, not the fuzzer's). */
function projectFrame(stack: string | undefined): string | undefined {
  const frames = (stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).map((l) => l.trim());
  const own = frames.find((f) => f.includes(ROOT) && !/node_modules|\/test\/fuzz\//.test(f));
  return (own ?? frames[0])?.replace(ROOT, '').replace('file://', '');
}

async function runCase(req: CaseRequest): Promise<CaseResult> {
  const format = registry.find((f) => f.name === req.format);
  if (!format) return { id: req.id, outcome: 'internal', message: `fuzz worker: unknown format '${req.format}'`, ms: 0, maxRssKb: process.resourceUsage().maxRSS };
  const scratch = join(req.scratchRoot, `case-${req.id}`);
  mkdirSync(scratch, { recursive: true });
  const start = performance.now();
  let result: Omit<CaseResult, 'ms' | 'maxRssKb' | 'id'>;
  try {
    await format.read(req.path, scratch);
    result = { outcome: 'accepted', message: '' };
  } catch (caught) {
    const err = fromSystemError(caught);
    if (err instanceof SnnError) result = { outcome: 'refused', exitCode: err.exitCode, message: oneLine(err.message) };
    else {
      const e = err as Error;
      result = { outcome: 'internal', message: oneLine(`${e?.name ?? 'thrown'}: ${e?.message ?? String(err)}`).slice(0, 400), frame: projectFrame(e?.stack) };
    }
  }
  const ms = performance.now() - start;
  rmSync(scratch, { recursive: true, force: true });
  // Garbage from earlier cases must not count against the next one's memory.
  (globalThis as { gc?: () => void }).gc?.();
  return { id: req.id, ...result, ms, maxRssKb: process.resourceUsage().maxRSS };
}

// The guard checks need none of the readers: loading only them keeps the guard test's restarts fast.
const registry: FuzzFormat[] = process.argv[2] === 'guards'
  ? (await import('./guard-checks.ts')).GUARD_CHECKS
  : (await import('./formats/index.ts')).FORMATS;

process.on('message', (req: CaseRequest) => {
  void runCase(req).then((res) => process.send!(res));
});
process.send!({ ready: true });
