import type { GraphBuilder } from './graph-builder.ts';
import type { OutputKind } from '../spec/validate.ts';
import { SnnError } from '../errors.ts';

/**
 * The losses and the error each puts on the output layer's per-step output o[t] (docs/training.md),
 * all averaged over the batch B. A network whose class scores are the readout membrane
 * (o[t] = U[t]) trains with
 * - 'mean' (its default):  L = CE(softmax(mean_t U[t]), y),    dL/dU[t] = (softmax(mean U) − y)/(T·B);
 * - 'per-step':            L = (1/T)·Σ_t CE(softmax(U[t]), y), dL/dU[t] = (softmax(U[t]) − y)/(T·B).
 * A network whose class scores are the spike counts of a spiking output layer (o[t] = s[t]) trains
 * with snnTorch's two cross-entropies of spikes (`snntorch.functional.ce_count_loss`, `ce_rate_loss`):
 * - 'count' (its default): L = CE(softmax(Σ_t s[t]), y),       dL/ds[t] = (softmax(Σ s) − y)/B;
 * - 'rate':                L = (1/T)·Σ_t CE(softmax(s[t]), y), dL/ds[t] = (softmax(s[t]) − y)/(T·B).
 * The error on s[t] reaches U[t] through the surrogate (src/compile/backward.ts).
 * `gradScale` (`lossGradScale`) is fed at run time.
 */
export type LossKind = 'per-step' | 'mean' | 'count' | 'rate';
export const LOSS_KINDS: readonly LossKind[] = ['per-step', 'mean', 'count', 'rate'];

/** The losses each output kind trains with; the first is its default. */
export const LOSSES_OF: Record<OutputKind, readonly LossKind[]> = { membrane: ['mean', 'per-step'], spikes: ['count', 'rate'] };

/** The loss a network trains with when none is asked for: 'mean' for a readout, 'count' for a spiking output. */
export const defaultLoss = (output: OutputKind): LossKind => LOSSES_OF[output][0];

/** True for the losses of the class scores over the whole run (they need every step before any backward pass). */
export const isWholeRunLoss = (kind: LossKind): boolean => kind === 'mean' || kind === 'count';

/** The run-time factor of the error: 1/B for 'count' (a sum over steps), else 1/(T·B). */
export const lossGradScale = (kind: LossKind, steps: number, batch: number): number => (kind === 'count' ? 1 / batch : 1 / (steps * batch));

/** The mean loss of a batch from the graphs' summed cross-entropies (`loss_sum`). */
export const meanLoss = (kind: LossKind, lossSum: number, steps: number, batch: number): number =>
  kind === 'per-step' || kind === 'rate' ? lossSum / (steps * batch) : lossSum / batch;

/**
 * Refuses (usage) a loss of the other output kind: a membrane loss for a spiking output or a spike
 * loss for a readout. Never swapped silently. `where` names the setting (`option --loss`).
 */
export function checkLossFits(kind: LossKind, output: OutputKind, outputLayer: string, where: string): void {
  if (LOSSES_OF[output].includes(kind)) return;
  const what = output === 'spikes' ? `the spike counts of its spiking output layer '${outputLayer}'` : `the membrane of its readout '${outputLayer}'`;
  throw new SnnError('usage', `${where}: '${kind}' is a loss of ${output === 'spikes' ? 'a readout membrane' : 'output spikes'}, but this network's class scores are ${what}; use ${LOSSES_OF[output].join(' or ')}`);
}

export interface LossNodes {
  /** dL/do[t] for all steps, `[T·B, K]`. */
  outputError: string;
  /** Σ of the cross-entropies (over steps and samples for 'per-step'/'rate', over samples otherwise). */
  lossSum: string;
}

/**
 * `outputAll` is o[t] of all steps `[T·B, K]` (membranes or spikes); `scores` the class scores of
 * the whole run `[B, K]` (mean membrane or spike counts), used by 'mean' and 'count'.
 */
export function lowerLoss(g: GraphBuilder, kind: LossKind, steps: number, outputAll: string, scores: string, labels: string, gradScale: string): LossNodes {
  if (!isWholeRunLoss(kind)) {
    const logp = g.op('LogSoftmax', [outputAll], { axis: 1 }, 'logp');
    const y = steps === 1 ? labels : g.op('Tile', [labels, g.constInt64([steps, 1])], {}, 'labels_t');
    const lossSum = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [y, logp])], { keepdims: 0 })], {}, 'loss_sum');
    const outputError = g.op('Mul', [g.op('Sub', [g.op('Exp', [logp]), y]), gradScale], {}, 'output_error');
    return { outputError, lossSum };
  }
  const logp = g.op('LogSoftmax', [scores], { axis: 1 }, 'logp');
  const lossSum = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [labels, logp])], { keepdims: 0 })], {}, 'loss_sum');
  const perSample = g.op('Mul', [g.op('Sub', [g.op('Exp', [logp]), labels]), gradScale]);
  const outputError = steps === 1 ? perSample : g.op('Tile', [perSample, g.constInt64([steps, 1])], {}, 'output_error');
  return { outputError, lossSum };
}
