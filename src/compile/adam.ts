import type { GraphBuilder } from './graph-builder.ts';

/** Adam's constants (Kingma & Ba 2015); the bias correction is folded into the learning rate fed per step. */
export interface AdamConfig { beta1: number; beta2: number; epsilon: number }
export const DEFAULT_ADAM: AdamConfig = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Learning rate with Adam's bias correction for update number `step` (1-based). */
export function adamStepSize(lr: number, step: number, cfg: AdamConfig): number {
  return (lr * Math.sqrt(1 - cfg.beta2 ** step)) / (1 - cfg.beta1 ** step);
}

/**
 * One Adam update inside the graph: m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g²,
 * p' = p − lr_t·m'/(√v' + ε). Returns the names of p', m', v'.
 */
export function lowerAdam(g: GraphBuilder, cfg: AdamConfig, param: string, grad: string, m: string, v: string, lr: string, hint: string): [string, string, string] {
  const c = (x: number) => g.constFloat([x]);
  const m2 = g.op('Add', [g.op('Mul', [m, c(cfg.beta1)]), g.op('Mul', [grad, c(1 - cfg.beta1)])], {}, `${hint}_m`);
  const v2 = g.op('Add', [g.op('Mul', [v, c(cfg.beta2)]), g.op('Mul', [g.op('Mul', [grad, grad]), c(1 - cfg.beta2)])], {}, `${hint}_v`);
  const step = g.op('Mul', [g.op('Div', [m2, g.op('Add', [g.op('Sqrt', [v2]), c(cfg.epsilon)])]), lr]);
  const p2 = g.op('Sub', [param, step], {}, `${hint}_p`);
  return [p2, m2, v2];
}
