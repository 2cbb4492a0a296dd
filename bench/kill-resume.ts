/**
 * `npm run fault:kill -- --runs 20 [--seed 1]`: kill -9 at random points of `train`, then resume.
 *
 * One uninterrupted `snn-export train` gives the reference weights. Then, run by run, the same
 * command is started and killed with SIGKILL at a seeded random point of its training: a delay of
 * up to 50 ms after its n-th checkpoint write, n drawn from the writes the reference run made (so
 * the point does not depend on how loaded the machine is). The checkpoint it left must load; `train --resume` (or, with no checkpoint yet, the same command again) must run
 * to the end; and every tensor of the final checkpoint (weights and Adam's moments) must equal the
 * reference's bit for bit. Prints one row per run and exits 1 if any run differs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { Random } from '../src/util/random.ts';

const CLI = fileURLToPath(new URL('../bin/snn-export.js', import.meta.url));

/** A short run that checkpoints every few batches: 2 epochs of 40 batches of `fc`. */
export const SHORT_RUN = ['--limit', '640', '--test-limit', '200', '--epochs', '2', '--batch-size', '16', '--checkpoint-batches', '3', '--workers', '1', '--no-progress'];

export interface ChildRun { code: number | null; signal: NodeJS.Signals | null; stderr: string; seconds: number; checkpointWrites: number }

/** The checkpoint file's identity: every atomic write renames a new file (a new inode) into place. */
const fileId = (path: string): string | undefined => { try { const s = statSync(path); return `${s.ino}:${s.mtimeMs}`; } catch { return undefined; } };

/**
 * Runs `snn-export train ARGS -o OUT`; `stopAt(checkpoint writes seen, ms since the last one)` is
 * polled every 2 ms once a checkpoint exists, and may return a signal to send.
 */
export function runTrain(args: string[], out: string, stopAt?: (writes: number, msSinceWrite: number) => NodeJS.Signals | undefined): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, 'train', ...args, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let writes = 0, lastId = fileId(out), lastWrite = 0;
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setInterval(() => {
      const id = fileId(out);
      if (id !== undefined && id !== lastId) { writes++; lastId = id; lastWrite = performance.now(); }
      const signal = stopAt && writes > 0 ? stopAt(writes, performance.now() - lastWrite) : undefined;
      if (signal && child.exitCode === null) child.kill(signal);
    }, 2);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr, seconds: (performance.now() - t0) / 1000, checkpointWrites: writes });
    });
  });
}

/** Every tensor of a checkpoint (parameters, Adam's moments, the averaged weights) as bytes, by name. */
export function tensorBytes(path: string): Map<string, Buffer> {
  const ck = loadCheckpoint(path);
  const out = new Map<string, Buffer>();
  const add = (prefix: string, m?: Map<string, { data: Float32Array }>) => {
    for (const [k, t] of m ?? []) out.set(prefix + k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  };
  add('', ck.params);
  add('m.', ck.optimizer?.m);
  add('v.', ck.optimizer?.v);
  add('trained.', ck.optimizer?.trained);
  return out;
}

/** Whether two checkpoints hold the same tensors, bit for bit. */
export function sameTensors(a: string, b: string): boolean {
  const [x, y] = [tensorBytes(a), tensorBytes(b)];
  return x.size === y.size && [...x].every(([k, v]) => y.has(k) && v.equals(y.get(k)!));
}

export interface KillRunResult {
  /** The kill was due `delayMs` after checkpoint write number `afterWrite`. */
  afterWrite: number;
  delayMs: number;
  /** Whether the kill landed (the run had not finished by itself). */
  killed: boolean;
  /** The checkpoint the killed run left: epoch and batch, or undefined when it wrote none. */
  checkpoint?: { epoch: number; batch: number };
  /** How the run was finished: `--resume`, or started again when nothing was written. */
  finishedBy: 'resume' | 'restart' | 'none';
  finishExit: number | null;
  identical: boolean;
}

/**
 * Kills a short run `delayMs` after its checkpoint write number `afterWrite`, checks the checkpoint
 * it left, finishes the run and compares its tensors with `reference`.
 */
export async function killAndResume(dir: string, name: string, afterWrite: number, delayMs: number, reference: string, args = SHORT_RUN): Promise<KillRunResult> {
  const out = join(dir, `${name}.safetensors`);
  let sent = false;
  const killedRun = await runTrain(args, out, (writes, since) => {
    if (sent || writes < afterWrite || since < delayMs) return undefined;
    sent = true;
    return 'SIGKILL';
  });
  const killed = killedRun.signal === 'SIGKILL';
  let checkpoint: KillRunResult['checkpoint'];
  if (existsSync(out)) {
    const ck = loadCheckpoint(out); // throws if what the killed run left does not load
    checkpoint = { epoch: ck.progress?.epoch ?? -1, batch: ck.progress?.batch ?? -1 };
  }
  const finishedBy = !killed ? 'none' : checkpoint ? 'resume' : 'restart';
  const finish = finishedBy === 'none' ? killedRun : await runTrain(finishedBy === 'resume' ? ['--resume', '--no-progress'] : args, out);
  const identical = finish.code === 0 && sameTensors(out, reference);
  return { afterWrite, delayMs, killed, checkpoint, finishedBy, finishExit: finish.code, identical };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
  const runs = arg('--runs', 20), seed = arg('--seed', 1);
  const dir = mkdtempSync(join(tmpdir(), 'snn-kill-'));
  try {
    const reference = join(dir, 'reference.safetensors');
    const ref = await runTrain(SHORT_RUN, reference);
    if (ref.code !== 0) throw new Error(`the reference run failed (exit ${ref.code}): ${ref.stderr}`);
    process.stdout.write(`reference: snn-export train ${SHORT_RUN.join(' ')} (${ref.seconds.toFixed(1)} s, ${ref.checkpointWrites} checkpoint writes seen)\n`);
    process.stdout.write(`run  ${'kill -9 at'.padEnd(16)}  ${'checkpoint left'.padEnd(19)} ${'finished by'.padEnd(18)}  exit  weights\n`);
    const rng = new Random(seed);
    let failures = 0;
    for (let i = 1; i <= runs; i++) {
      // Anywhere in the training, where a kill costs work: after one of the writes the reference made,
      // before the last. On a quiet machine the 2 ms poll can miss writes, so a kill may land only
      // after the run has finished; such a draw is replaced by a new one (up to 5), so that every
      // row is a run that was killed.
      let row = '';
      for (let attempt = 1; attempt <= 5; attempt++) {
        const afterWrite = 1 + Math.floor(rng.next() * Math.max(ref.checkpointWrites - 1, 1));
        const delayMs = Math.round(rng.next() * 50);
        const at = `write ${String(afterWrite).padStart(2)} + ${String(delayMs).padStart(2)} ms`;
        try {
          const r = await killAndResume(dir, `run${i}-${attempt}`, afterWrite, delayMs, reference);
          if (!r.killed && attempt < 5) continue;
          if (!r.identical) failures++;
          const left = !r.killed ? '(the run ended first)' : r.checkpoint ? `epoch ${r.checkpoint.epoch}, batch ${String(r.checkpoint.batch).padStart(2)}` : 'none';
          row = `${String(i).padStart(3)}  ${at}  ${left.padEnd(19)} ${(r.finishedBy === 'resume' ? 'train --resume' : r.finishedBy === 'restart' ? 'train (again)' : '-').padEnd(18)}  ${String(r.finishExit).padStart(4)}  ${r.identical ? 'identical' : 'DIFFERENT'}${attempt > 1 ? `  (draw ${attempt})` : ''}`;
        } catch (err) {
          failures++;
          row = `${String(i).padStart(3)}  ${at}  FAILED: ${(err as Error).message.split('\n')[0]}`;
        }
        break;
      }
      process.stdout.write(`${row}\n`);
    }
    const leftovers = readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'));
    process.stdout.write(`${runs - failures}/${runs} runs end with the reference's weights bit for bit; ${leftovers.length} temporary or lock files left by the killed runs\n`);
    process.exitCode = failures ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
