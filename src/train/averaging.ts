/**
 * Exponential moving average of the parameters (Polyak averaging): the network that is judged,
 * kept and exported is the average of the weights Adam visits, which smooths the noise of the
 * last updates. The average is a pure function of the updates, so a resumed run keeps it exactly.
 */
import type { Tensor } from '../util/tensor.ts';
import { SnnError } from '../errors.ts';

/** Checks an averaging decay: 0 (no averaging) or a number in (0, 1). */
export function checkAveraging(decay: number, where: string): void {
  if (!(decay >= 0 && decay < 1)) throw new SnnError('usage', `${where}: averaging decay must be at least 0 and below 1, got ${decay}`);
}

/**
 * The decay used after update `step` (1, 2, …): `decay`, but smaller early on, (1 + step)/(10 + step),
 * so that the average does not cling to the random initialisation (TensorFlow's `num_updates` rule).
 */
export function averagingDecay(decay: number, step: number): number {
  return Math.min(decay, (1 + step) / (10 + step));
}

/** average ← d·average + (1 − d)·params, in place. */
export function updateAverage(average: Map<string, Tensor>, params: Map<string, Tensor>, d: number): void {
  for (const [name, avg] of average) {
    const a = avg.data, w = params.get(name)!.data;
    for (let i = 0; i < a.length; i++) a[i] = d * a[i] + (1 - d) * w[i];
  }
}

/** A copy of a parameter map that owns its arrays. */
export function copyParams(params: Map<string, Tensor>): Map<string, Tensor> {
  return new Map([...params].map(([k, t]) => [k, { shape: [...t.shape], data: Float32Array.from(t.data) }]));
}
