import { GraphBuilder } from './graph-builder.ts';


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

/**
 * A graph that only applies Adam: used after the last chunk of a long run, so that one chunk
 * graph (and one memory arena) serves every chunk. Inputs `<p>`, `grad.<p>`, `m.<p>`, `v.<p>`,
 * `lr.<layer>`; outputs `next.<p>`, `next_m.<p>`, `next_v.<p>`.
 */
export function buildAdamGraph(shapes: Map<string, number[]>, trainable: string[], cfg: AdamConfig): Uint8Array {
  const g = new GraphBuilder('snn_adam');
  const lrs = new Map<string, string>();
  for (const p of trainable) {
    const layer = p.slice(0, p.lastIndexOf('.'));
    if (!lrs.has(layer)) lrs.set(layer, g.input(`lr.${layer}`, []));
    const shape = shapes.get(p)!;
    const [p2, m2, v2] = lowerAdam(g, cfg, g.input(p, shape), g.input(`grad.${p}`, shape), g.input(`m.${p}`, shape), g.input(`v.${p}`, shape), lrs.get(layer)!, p.replace('.', '_'));
    g.output(p2, `next.${p}`, shape);
    g.output(m2, `next_m.${p}`, shape);
    g.output(v2, `next_v.${p}`, shape);
  }
  return g.toModel();
}
