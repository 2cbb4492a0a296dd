/**
 * Backward phase skipping (docs/training.md): the forward pass runs every step, the backward pass only
 * the steps a policy keeps. Skipped steps cost no backward work: the compiled graph drops their
 * rows before any backward node (src/compile/backward.ts).
 *
 * - `none`: every step.
 * - `burn-in:K`: the first K steps run forward only (DECOLLE's burn-in), so the readout has
 *   integrated some input before it is trained.
 * - `every:k`: every k-th step (k−1, 2k−1, …; the last step is always kept).
 * - `loss-gated:ε`: steps whose batch-mean cross-entropy (of that step's output, an exponential
 *   average over batches) is below ε are already fitted and skipped; the step with the largest loss
 *   is always kept. Re-decided every 50 batches so the set of compiled graphs stays small. The
 *   output is the readout membrane U[t], or for a spiking output layer its spikes s[t] (the rate
 *   loss's term), whose cross-entropy is at least ln(1 + (K − 1)/e) (1.46 for K = 10 classes).
 * - `burn-in:K`, for a readout, lets it integrate some input before it is trained; for a spiking
 *   output layer the first K steps' spikes still count in the class scores, only their error is
 *   not propagated.
 */
import { SnnError } from '../errors.ts';

export type SkipPolicy =
  | { kind: 'none' }
  | { kind: 'burn-in'; steps: number }
  | { kind: 'every'; k: number }
  | { kind: 'loss-gated'; threshold: number };

export function parseSkipPolicy(text: string): SkipPolicy {
  const [kind, arg] = text.split(':');
  const value = Number(arg);
  if (kind === 'none' && arg === undefined) return { kind: 'none' };
  if (kind === 'burn-in' && Number.isInteger(value) && value >= 0) return { kind: 'burn-in', steps: value };
  if (kind === 'every' && Number.isInteger(value) && value >= 1) return { kind: 'every', k: value };
  if (kind === 'loss-gated' && value > 0) return { kind: 'loss-gated', threshold: value };
  throw new SnnError('usage', `option --skip: '${text}' is not one of none, burn-in:K, every:k, loss-gated:ε`);
}

export function formatSkipPolicy(p: SkipPolicy): string {
  switch (p.kind) {
    case 'none': return 'none';
    case 'burn-in': return `burn-in:${p.steps}`;
    case 'every': return `every:${p.k}`;
    case 'loss-gated': return `loss-gated:${p.threshold}`;
  }
}

/** Decides, batch by batch, which steps run backward. */
export class StepSkipper {
  private average?: Float64Array;
  private batches = 0;
  private current?: number[];
  static readonly REGATE_EVERY = 50;
  static readonly SMOOTHING = 0.9;

  constructor(readonly policy: SkipPolicy, readonly steps: number) {
    if (policy.kind === 'burn-in' && policy.steps >= steps) throw new SnnError('usage', `option --skip: burn-in of ${policy.steps} steps leaves no step of ${steps} to train`);
  }

  /** The steps to keep for the next batch; undefined means all. */
  kept(): number[] | undefined {
    const T = this.steps;
    switch (this.policy.kind) {
      case 'none': return undefined;
      case 'burn-in': return this.policy.steps === 0 ? undefined : range(this.policy.steps, T);
      case 'every': {
        const k = this.policy.k;
        const kept = range(0, T).filter((t) => t % k === k - 1 || t === T - 1);
        return kept.length === T ? undefined : kept;
      }
      case 'loss-gated': return this.current;
    }
  }

  /** State to store in a checkpoint so that a resumed run gates exactly as an uninterrupted one. */
  save(): { average?: number[]; batches: number; current?: number[] } {
    return { average: this.average && Array.from(this.average), batches: this.batches, current: this.current };
  }

  restore(state: { average?: number[]; batches: number; current?: number[] } | undefined): void {
    if (!state) return;
    this.average = state.average && Float64Array.from(state.average);
    this.batches = state.batches;
    this.current = state.current;
  }

  /** Feeds back the per-step loss of the batch just trained (loss-gated policy). */
  observe(stepLoss: Float32Array): void {
    if (this.policy.kind !== 'loss-gated') return;
    if (!this.average) this.average = Float64Array.from(stepLoss);
    else for (let t = 0; t < stepLoss.length; t++) this.average[t] = StepSkipper.SMOOTHING * this.average[t] + (1 - StepSkipper.SMOOTHING) * stepLoss[t];
    if (++this.batches % StepSkipper.REGATE_EVERY !== 0) return;
    const avg = this.average;
    let worst = 0;
    for (let t = 1; t < avg.length; t++) if (avg[t] > avg[worst]) worst = t;
    const threshold = this.policy.threshold;
    const kept = range(0, this.steps).filter((t) => avg[t] >= threshold || t === worst);
    this.current = kept.length === this.steps ? undefined : kept;
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
