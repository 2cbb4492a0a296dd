/**
 * Layerwise FreezeOut (Brock et al. 2017; docs/training.md). Weighted layer i of L stops training at
 * the fraction t_i of the run, t_i = s(t0 + (1 − t0)·i/(L − 1)) with s the identity ('linear') or
 * the cube ('cubic', the default: t0 = 0.8 freezes the first layer at 0.512); its learning rate is
 * cosine-annealed from its start value to zero at t_i. With `scaleLr` the start value is lr/t_i,
 * as in FreezeOut's code, so that a layer that trains for a shorter time takes larger steps.
 * A frozen layer runs forward only and the backward pass stops at the first layer still training.
 */
import { SnnError } from '../errors.ts';

export interface FreezeOutConfig {
  t0: number;
  scaling: 'linear' | 'cubic';
  scaleLr: boolean;
}

export function parseFreezeOut(text: string): FreezeOutConfig | undefined {
  if (text === 'none' || text === 'off') return undefined;
  const [scaling, t0Text, scale] = text.split(':');
  const t0 = t0Text === undefined ? 0.8 : Number(t0Text);
  if ((scaling !== 'linear' && scaling !== 'cubic') || !(t0 > 0 && t0 <= 1) || (scale !== undefined && scale !== 'noscale')) {
    throw new SnnError('usage', `option --freezeout: '${text}' is not none, cubic[:t0][:noscale] or linear[:t0][:noscale]`);
  }
  return { t0, scaling, scaleLr: scale !== 'noscale' };
}

/** The fraction of the run at which each of `layers` weighted layers freezes (the last one: 1). */
export function freezePoints(layers: number, cfg: FreezeOutConfig): number[] {
  return Array.from({ length: layers }, (_, i) => {
    const linear = layers === 1 ? 1 : cfg.t0 + ((1 - cfg.t0) * i) / (layers - 1);
    return cfg.scaling === 'cubic' ? linear ** 3 : linear;
  });
}

/** Layer learning rate at `progress` (0 … 1) of the run, zero from its freeze point on. */
export function freezeOutLr(lr: number, progress: number, freezeAt: number, scaleLr: boolean): number {
  if (progress >= freezeAt) return 0;
  const start = scaleLr ? lr / freezeAt : lr;
  return start * 0.5 * (1 + Math.cos((Math.PI * progress) / freezeAt));
}

/** Number of leading layers frozen at `progress`: FreezeOut freezes from the input upwards. */
export function frozenLayers(points: number[], progress: number): number {
  let n = 0;
  while (n < points.length - 1 && progress >= points[n]) n++;
  return n;
}
