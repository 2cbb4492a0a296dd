/**
 * `npm run fault:kill -- --runs 20 [--seed 1]`: kill -9 at random points of `train`, then resume.
 *
 * One uninterrupted `snn-export train` gives the reference weights. Then, run by run, the same
 * command is started and killed with SIGKILL at a seeded random moment of its training: a delay
 * after its first checkpoint appears, drawn up to the time the reference run trained after its
 * own first checkpoint. The checkpoint it left must load; `train --resume` (or, with no checkpoint yet, the same command again) must run
 * to the end; and every tensor of the final checkpoint (weights and Adam's moments) must equal the
 * reference's bit for bit. Prints one row per run and exits 1 if any run differs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { Random } from '../src/util/random.ts';

const CLI = fileURLToPath(new URL('../bin/snn-export.js', import.meta.url));

/** A short run that checkpoints every few batches: 2 epochs of 40 batches of `fc`. */
export const SHORT_RUN = ['--limit', '640', '--test-limit', '200', '--epochs', '2', '--batch-size', '16', '--checkpoint-batches', '3', '--workers', '1', '--no-progress'];

export interface ChildRun { code: number | null; signal: NodeJS.Signals | null; stderr: string; seconds: number; firstCheckpointSeconds?: number }

/**
 * Runs `snn-export train ARGS -o OUT`; `stopAt(seconds since start, checkpoint present)` is polled
 * every 10 ms and may return a signal to send (once).
 */
export function runTrain(args: string[], out: string, stopAt?: (elapsed: number, checkpointed: boolean) => NodeJS.Signals | undefined): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, 'train', ...args, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let firstCheckpointSeconds: number | undefined;
    let sent = false;
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setInterval(() => {
      const elapsed = (performance.now() - t0) / 1000;
      const checkpointed = existsSync(out);
      if (checkpointed && firstCheckpointSeconds === undefined) firstCheckpointSeconds = elapsed;
      const signal = !sent && stopAt ? stopAt(elapsed, checkpointed) : undefined;
      if (signal) { sent = true; child.kill(signal); }
    }, 10);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr, seconds: (performance.now() - t0) / 1000, firstCheckpointSeconds });
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
  /** Seconds after the run's first checkpoint appeared. */
  killedAfter: number;
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
 * Kills a short run `delay` seconds after its first checkpoint appeared, checks the checkpoint it
 * left, finishes the run and compares its tensors with `reference`.
 */
export async function killAndResume(dir: string, name: string, delay: number, reference: string, args = SHORT_RUN): Promise<KillRunResult> {
  const out = join(dir, `${name}.safetensors`);
  let since: number | undefined;
  const killedRun = await runTrain(args, out, (elapsed, checkpointed) => {
    if (checkpointed) since ??= elapsed;
    return since !== undefined && elapsed >= since + delay ? 'SIGKILL' : undefined;
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
  return { killedAfter: delay, killed, checkpoint, finishedBy, finishExit: finish.code, identical };
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
    const start = ref.firstCheckpointSeconds ?? 0;
    process.stdout.write(`reference: snn-export train ${SHORT_RUN.join(' ')} (${ref.seconds.toFixed(1)} s, first checkpoint at ${start.toFixed(1)} s)\n`);
    process.stdout.write('run  kill -9 after first checkpoint  checkpoint left      finished by         exit  weights\n');
    const rng = new Random(seed);
    let failures = 0;
    for (let i = 1; i <= runs; i++) {
      // Within the training, where a kill costs work: up to the reference's time from its first checkpoint to its end.
      const delay = rng.next() * (ref.seconds - start);
      let row: string;
      try {
        const r = await killAndResume(dir, `run${i}`, delay, reference);
        if (!r.identical) failures++;
        const left = r.checkpoint ? `epoch ${r.checkpoint.epoch}, batch ${String(r.checkpoint.batch).padStart(2)}` : r.killed ? 'none' : '(run had ended)';
        row = `${String(i).padStart(3)}  ${`+${r.killedAfter.toFixed(2)} s`.padStart(30)}  ${left.padEnd(19)} ${(r.finishedBy === 'resume' ? 'train --resume' : r.finishedBy === 'restart' ? 'train (again)' : '-').padEnd(18)}  ${String(r.finishExit).padStart(4)}  ${r.identical ? 'identical' : 'DIFFERENT'}`;
      } catch (err) {
        failures++;
        row = `${String(i).padStart(3)}  ${`+${delay.toFixed(2)} s`.padStart(30)}  FAILED: ${(err as Error).message.split('\n')[0]}`;
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
