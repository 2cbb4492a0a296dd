/**
 * Dropout on the spikes entering the dense layers, in the training graphs only: the spikes are
 * multiplied by a mask input of 0 and 1/(1 − p) per sample and input, the same at every step
 * (a dropped input is silent for the whole run). The exported model has no dropout: the
 * scaling during training keeps the expected input equal to the unmasked one.
 *
 * The weight gradient then pairs δz with the masked input (or its trace), and the error passed
 * to the layer below is masked the same way, dL/ds = m ⊙ Wᵀ·δz.
 */
import type { ResolvedSpec } from '../spec/validate.ts';
import { shapeSize } from '../spec/validate.ts';
import type { GraphBuilder } from './graph-builder.ts';

/** Indices of the blocks whose input takes a dropout mask: dense layers fed by another layer's spikes (not the first). */
export function dropoutBlocks(resolved: ResolvedSpec): number[] {
  return resolved.blocks.flatMap((b, i) => (b.weighted.layer.kind === 'dense' && i > 0 ? [i] : []));
}

/** Graph input name of a block's dropout mask, `[batch, inputs]`. */
export const dropoutMaskName = (resolved: ResolvedSpec, index: number): string => `dropout_mask.${resolved.blocks[index].weighted.name}`;

/** Inputs per sample of a block's dropout mask (its input, flattened). */
export const dropoutMaskSize = (resolved: ResolvedSpec, index: number): number => shapeSize(resolved.blocks[index].inShape);

/** `value` (`[steps·B, n]`, time-major rows) times `mask` (`[B, n]`) at every step. */
export function applyDropoutMask(g: GraphBuilder, value: string, mask: string, steps: number, n: number, hint: string): string {
  const perStep = g.op('Reshape', [value, g.constInt64([steps, -1, n])]);
  return g.op('Reshape', [g.op('Mul', [perStep, mask]), g.constInt64([-1, n])], {}, hint);
}
