import { SnnError } from '../errors.ts';
import type { Tensor } from '../util/tensor.ts';
import { numel } from '../util/tensor.ts';
import { Random } from '../util/random.ts';
import type { Block, ResolvedSpec } from './validate.ts';

/** The shape of each trainable parameter, keyed `<layer>.weight` / `<layer>.bias`. */
export function paramShapes(resolved: ResolvedSpec): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const block of resolved.blocks) {
    const { layer, name, inShape } = block.weighted;
    if (layer.kind === 'dense') shapes.set(`${name}.weight`, [layer.units, inShape[0]]);
    else shapes.set(`${name}.weight`, [layer.channels, inShape[0], layer.kernel, layer.kernel]);
    if (layer.bias !== false) shapes.set(`${name}.bias`, [layer.kind === 'dense' ? layer.units : layer.channels]);
  }
  return shapes;
}

export function fanIn(block: Block): number {
  const w = block.weighted;
  return w.layer.kind === 'dense' ? w.inShape[0] : w.inShape[0] * w.layer.kernel * w.layer.kernel;
}

/**
 * PyTorch's default initialisation (uniform ±1/√fan-in for weights and biases), scaled by
 * `gain`, from a seeded generator: the same seed gives the same network.
 */
export function initParams(resolved: ResolvedSpec, seed: number, gain = 1): Map<string, Tensor> {
  const rng = new Random(seed);
  const params = new Map<string, Tensor>();
  const shapes = paramShapes(resolved);
  for (const block of resolved.blocks) {
    const bound = gain / Math.sqrt(fanIn(block));
    for (const suffix of ['weight', 'bias']) {
      const key = `${block.weighted.name}.${suffix}`;
      const shape = shapes.get(key);
      if (!shape) continue;
      const data = new Float32Array(numel(shape));
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
      params.set(key, { shape, data });
    }
  }
  return params;
}

/** Refuses parameters that do not match the spec (missing, extra, or of the wrong shape). */
export function checkParams(resolved: ResolvedSpec, params: Map<string, Tensor>, where: string): void {
  const shapes = paramShapes(resolved);
  for (const [key, shape] of shapes) {
    const t = params.get(key);
    if (!t) throw new SnnError('malformedInput', `${where}: parameter '${key}' is missing`);
    if (t.shape.join(',') !== shape.join(',')) throw new SnnError('malformedInput', `${where}: parameter '${key}' has shape [${t.shape}], the spec needs [${shape}]`);
  }
  for (const key of params.keys()) if (!shapes.has(key)) throw new SnnError('malformedInput', `${where}: parameter '${key}' is not part of the network spec`);
}
