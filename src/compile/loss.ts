import type { GraphBuilder } from './graph-builder.ts';

/**
 * The two losses of DESIGN §4 and the error they put on the readout membrane U[t]:
 * - 'per-step': L = (1/T)·Σ_t CE(softmax(U[t]), y), so dL/dU[t] = (softmax(U[t]) − y)/(T·B);
 * - 'mean':     L = CE(softmax(mean_t U[t]), y),   so dL/dU[t] = (softmax(mean U) − y)/(T·B).
 * Both averaged over the batch B. `gradScale` is the value 1/(T·B) fed at run time.
 */
export type LossKind = 'per-step' | 'mean';
export const LOSS_KINDS: readonly LossKind[] = ['per-step', 'mean'];

export interface LossNodes {
  /** dL/dU[t] for all steps, `[T·B, K]`. */
  readoutError: string;
  /** Σ of the cross-entropies (over steps and samples for 'per-step', over samples for 'mean'). */
  lossSum: string;
}

export function lowerLoss(g: GraphBuilder, kind: LossKind, steps: number, membraneAll: string, meanLogits: string, labels: string, gradScale: string): LossNodes {
  if (kind === 'per-step') {
    const logp = g.op('LogSoftmax', [membraneAll], { axis: 1 }, 'logp');
    const y = steps === 1 ? labels : g.op('Tile', [labels, g.constInt64([steps, 1])], {}, 'labels_t');
    const lossSum = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [y, logp])], { keepdims: 0 })], {}, 'loss_sum');
    const readoutError = g.op('Mul', [g.op('Sub', [g.op('Exp', [logp]), y]), gradScale], {}, 'readout_error');
    return { readoutError, lossSum };
  }
  const logp = g.op('LogSoftmax', [meanLogits], { axis: 1 }, 'logp');
  const lossSum = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [labels, logp])], { keepdims: 0 })], {}, 'loss_sum');
  const perSample = g.op('Mul', [g.op('Sub', [g.op('Exp', [logp]), labels]), gradScale]);
  const readoutError = steps === 1 ? perSample : g.op('Tile', [perSample, g.constInt64([steps, 1])], {}, 'readout_error');
  return { readoutError, lossSum };
}
