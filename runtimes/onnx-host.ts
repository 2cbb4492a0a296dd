/**
 * Exported models run in onnxruntime in a separate, supervised process (onnx-host-process.ts).
 * `verify --onnx` takes a file from anywhere, and a well-formed ONNX model can still make
 * onnxruntime crash (a Loop whose outputs are unnamed: SIGSEGV), loop for ever (a Loop without a
 * trip count) or allocate gigabytes (a shape constant of 2^31): measured by `npm run fuzz`. Here
 * each of those ends that process and becomes one line about the file, exit 3, and the command
 * goes on with a fresh process.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { malformed } from '../src/errors.ts';
import { moduleExecArgv, runnableModule } from '../src/util/ts-worker.ts';

export type OrtPackage = 'onnxruntime-node' | 'onnxruntime-web';

/** Messages to the host process, without their id. */
export type HostCall =
  | { type: 'open'; runtime: OrtPackage; model: Uint8Array }
  | { type: 'run'; session: number; data: Float32Array; dims: number[] }
  | { type: 'release'; session: number };
/** Messages to the host process. */
export type HostRequest = HostCall & { id: number };
/** Its answers: `ok`, with a run's outputs, or onnxruntime's error (first line). */
export type HostReply = { id: number; ok: true; outputs?: Record<string, Float32Array> } | { id: number; ok: false; error: string };

/** What the host process may use: resident memory and time per request (README, "Limits on input files"). */
export const HOST_LIMITS = {
  /** Resident memory of the host process, on top of 4 × the model's size and twice the batch's activations (csnn, T 8, batch 500: 367 MiB). */
  memoryBytes: 896 * 2 ** 20,
  /** Loading a model, or running a batch, plus `perSampleMs` for each sample of the batch. */
  requestMs: 20_000,
  perSampleMs: 20,
} as const;

interface Pending { resolve: (r: HostReply) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout; file: string; limitBytes: number }

/** The time one request may take: a batch of n samples gets n × perSampleMs more. */
const timeLimitMs = (call: HostCall): number => HOST_LIMITS.requestMs + (call.type === 'run' ? (call.dims[0] ?? 1) * HOST_LIMITS.perSampleMs : 0);

/** One host process, started on first use, replaced after a failure, never keeping the command alive. */
class OnnxHost {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private watch: NodeJS.Timeout | undefined;

  private start(): ChildProcess {
    const child = fork(runnableModule(new URL('./onnx-host-process.ts', import.meta.url)), [], {
      execArgv: moduleExecArgv(),
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    child.on('message', (reply: HostReply) => {
      const p = this.pending.get(reply.id);
      if (p) { this.settle(reply.id); p.resolve(reply); }
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.fail(child, signal ? `onnxruntime crashed on this model (${signal})` : `onnxruntime stopped on this model (exit code ${code})`);
    });
    child.on('error', (err) => this.fail(child, `onnxruntime could not run this model (${err.message})`));
    return child;
  }

  private fail(child: ChildProcess, why: string): void {
    if (this.child === child) this.child = undefined;
    for (const [id, p] of this.pending) { this.settle(id); p.reject(malformed(p.file, why)); }
  }

  private settle(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) {
      clearInterval(this.watch);
      this.watch = undefined;
      this.child?.unref();
      (this.child as unknown as { channel?: { unref(): void } })?.channel?.unref();
    }
  }

  /** Resident memory of the host, read from /proc (Linux); undefined where there is none. */
  private residentBytes(pid: number): number | undefined {
    try {
      const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
      return pages * 4096;
    } catch {
      return undefined;
    }
  }

  private kill(child: ChildProcess, why: string): void {
    if (this.child === child) this.child = undefined;
    this.fail(child, why);
    child.kill('SIGKILL');
  }

  /** Sends one request; `file` names the model in errors; `limitBytes` caps the host's memory meanwhile. */
  request(req: HostCall, file: string, limitBytes: number): Promise<HostReply> {
    this.child ??= this.start();
    const child = this.child;
    child.ref();
    (child as unknown as { channel?: { ref(): void } }).channel?.ref();
    const id = this.nextId++;
    return new Promise<HostReply>((resolve, reject) => {
      const ms = timeLimitMs(req);
      const timer = setTimeout(() => this.kill(child, `onnxruntime did not finish with this model within ${ms / 1000} s (a Loop without an end?); stopped${req.type === 'run' ? ' (a smaller --batch-size gives each batch less to do)' : ''}`), ms);
      this.pending.set(id, { resolve, reject, timer, file, limitBytes });
      this.watch ??= setInterval(() => {
        const rss = child.pid ? this.residentBytes(child.pid) : undefined;
        const limit = Math.max(...[...this.pending.values()].map((p) => p.limitBytes));
        if (rss !== undefined && rss > limit) this.kill(child, `onnxruntime used ${Math.round(rss / 2 ** 20)} MiB on this model, over the limit of ${Math.round(limit / 2 ** 20)} MiB; stopped (a smaller --batch-size needs less)`);
      }, 50);
      child.send({ ...req, id } satisfies HostRequest);
    });
  }
}

const host = new OnnxHost();

/** A session on an exported model in the host process: `run` answers a batch, `release` frees it. */
export interface HostedSession {
  run(data: Float32Array, dims: number[]): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

/**
 * What one sample of the network the model was exported from takes in onnxruntime, so that the
 * memory limit grows with the batch: a network with wide conv layers at batch 500 needs more than
 * the fixed part alone allows, while a model that allocates beyond its network is still stopped.
 */
export interface SampleFootprint {
  /** Input values per sample (the model's input holds batch × this many). */
  inputValues: number;
  /** Bytes of the network's activations per sample, allowed twice over on top of the fixed limit. */
  activationBytes: number;
}

/** Loads `model` (read from `file`) into `runtime` in the host process. */
export async function openHostedSession(runtime: OrtPackage, model: Uint8Array, file: string, footprint?: SampleFootprint): Promise<HostedSession> {
  const limitBytes = HOST_LIMITS.memoryBytes + 4 * model.byteLength;
  const runLimit = (data: Float32Array): number => limitBytes + (footprint ? 2 * Math.ceil(data.length / footprint.inputValues) * footprint.activationBytes : 0);
  const refused = (reply: HostReply, doing: string): never => {
    throw malformed(file, `${runtime} cannot ${doing} this model: ${(reply as { error: string }).error}`);
  };
  const opened = await host.request({ type: 'open', runtime, model }, file, limitBytes);
  if (!opened.ok) refused(opened, 'load');
  const session = opened.id;
  return {
    async run(data, dims) {
      const reply = await host.request({ type: 'run', session, data, dims }, file, runLimit(data));
      if (!reply.ok) refused(reply, 'run');
      return (reply as { outputs: Record<string, Float32Array> }).outputs;
    },
    async release() {
      await host.request({ type: 'release', session }, file, limitBytes).catch(() => undefined);
    },
  };
}
