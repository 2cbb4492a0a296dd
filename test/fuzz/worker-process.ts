/**
 * One fuzz worker process as the parent sees it: started with the tsx loader and a V8 heap limit,
 * given one case at a time, and killed when a case runs too long or its resident memory passes
 * the limit. The kernel's view of memory (/proc) is polled because typed arrays and WebAssembly
 * memory live outside the V8 heap the heap limit guards.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CaseRequest, CaseResult } from './protocol.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const POLL_MS = 50;

export interface Limits {
  timeoutMs: number;
  memoryKb: number;
  /** Which readers the worker loads: the formats, or the guard checks only. */
  registry?: 'formats' | 'guards';
}

/** Resident and peak resident memory of a live process, in KiB (Linux); undefined elsewhere. */
function residentKb(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const rss = /VmRSS:\s+(\d+)/.exec(status), hwm = /VmHWM:\s+(\d+)/.exec(status);
    return rss && hwm ? { rss: Number(rss[1]), hwm: Number(hwm[1]) } : undefined;
  } catch {
    return undefined;
  }
}

/** Why a worker died, from its exit and the tail of its stderr (V8 prints its heap-limit death there). */
function deathOf(code: number | null, signal: NodeJS.Signals | null, stderr: string): Pick<CaseResult, 'outcome' | 'message'> {
  const last = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ').slice(0, 300);
  if (/heap out of memory|Reached heap limit|Allocation failed|Out of memory|std::bad_alloc/i.test(stderr)) return { outcome: 'memory', message: `the worker ran out of memory (${signal ?? `exit ${code}`}): ${last}` };
  return { outcome: 'crash', message: `the worker died (${signal ? `signal ${signal}` : `exit code ${code}`})${last ? `: ${last}` : ''}` };
}

export class WorkerProcess {
  private child?: ChildProcess;
  private stderrTail = '';

  constructor(private readonly limits: Limits) {}

  /** Starts the process if it is not running and waits until it has loaded every reader. */
  async start(): Promise<void> {
    if (this.child) return;
    const heapMb = Math.max(256, Math.floor(this.limits.memoryKb / 1024));
    const child = fork(WORKER, [this.limits.registry ?? 'formats'], {
      execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${heapMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, SNN_EXPORT_DEBUG: '' },
    });
    child.stderr!.on('data', (d: Buffer) => { this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-8192); });
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => reject(new Error(`fuzz worker failed to start (${signal ?? code}): ${this.stderrTail.trim()}`));
      child.once('exit', onExit);
      child.once('message', () => { child.off('exit', onExit); resolve(); });
    });
    this.child = child;
  }

  /** Stops the process (after a failure, or at the end of a run). */
  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  /** Runs one case; a hang, a crash or too much memory ends the process, and the next case starts a new one. */
  async run(req: Omit<CaseRequest, 'id'>, id: number): Promise<CaseResult> {
    await this.start();
    const child = this.child!;
    const pid = child.pid!;
    this.stderrTail = '';
    const started = performance.now();
    let peakKb = 0;
    const result = await new Promise<CaseResult>((resolve) => {
      let settled = false;
      const finish = (r: CaseResult) => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(r);
      };
      const elapsed = () => performance.now() - started;
      const onMessage = (m: CaseResult) => { if (m.id === id) finish(m); };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        // Let the last stderr bytes arrive before reading why it died.
        setTimeout(() => finish({ id, ...deathOf(code, signal, this.stderrTail), ms: elapsed(), maxRssKb: peakKb }), 100);
      };
      const poll = setInterval(() => {
        const mem = residentKb(pid);
        if (mem) peakKb = Math.max(peakKb, mem.hwm);
        if (mem && mem.rss > this.limits.memoryKb) {
          child.off('exit', onExit);
          child.kill('SIGKILL');
          finish({ id, outcome: 'memory', message: `resident memory reached ${(mem.rss / 1024).toFixed(0)} MB, over the ${(this.limits.memoryKb / 1024).toFixed(0)} MB limit (killed)`, ms: elapsed(), maxRssKb: mem.hwm });
        } else if (elapsed() > this.limits.timeoutMs) {
          child.off('exit', onExit);
          child.kill('SIGKILL');
          finish({ id, outcome: 'hang', message: `no answer after ${(this.limits.timeoutMs / 1000).toFixed(0)} s (killed)`, ms: elapsed(), maxRssKb: peakKb });
        }
      }, POLL_MS);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, ...req } satisfies CaseRequest);
    });
    // A peak between two polls shows in the worker's own maximum: the case that raised it past the limit is charged with it.
    const answered = result.outcome === 'accepted' || result.outcome === 'refused' || result.outcome === 'internal';
    if (answered && result.maxRssKb > this.limits.memoryKb) {
      this.stop();
      return { ...result, outcome: 'memory', message: `peak resident memory ${(result.maxRssKb / 1024).toFixed(0)} MB, over the ${(this.limits.memoryKb / 1024).toFixed(0)} MB limit${result.message ? ` (then: ${result.message})` : ''}` };
    }
    if (result.outcome !== 'accepted' && result.outcome !== 'refused') {
      // After any failure the next case starts in a fresh process: a reader that threw half-way may
      // have left module state (an open HDF5 file, a half-built cache) that would blame later cases.
      this.child = undefined;
      child.kill('SIGKILL');
    }
    return result;
  }
}
