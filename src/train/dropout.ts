/**
 * Seeded dropout masks for a training step (the graphs apply them, src/compile/dropout.ts). The
 * masks of a step depend only on its seed, so a resumed run draws the same masks as an
 * uninterrupted one.
 */
import type { ResolvedSpec } from '../spec/validate.ts';
import { dropoutBlocks, dropoutMaskName, dropoutMaskSize } from '../compile/dropout.ts';
import { Random } from '../util/random.ts';
import { SnnError } from '../errors.ts';

/**
 * Checks a dropout rate (a number in [0, 1)) and, for a run split into chunks, refuses dropout:
 * the masks enter the forward pass of the one graph that holds the whole run.
 */
export function checkDropout(rate: number, where: string, chunks?: { timeSteps: number; maxChunk: number }): void {
  if (!(rate >= 0 && rate < 1)) throw new SnnError('usage', `${where}: dropout rate must be at least 0 and below 1, got ${rate}`);
  if (rate > 0 && chunks) throw new SnnError('usage', `${where}: dropout needs the whole run in one graph: T = ${chunks.timeSteps} is above maxChunk = ${chunks.maxChunk}`);
}

/**
 * The masks of one step, by graph input name: `[B, inputs]` of 0 (dropped, with probability
 * `rate`) and 1/(1 − rate), so that the expected input is unchanged.
 */
export function dropoutMasks(resolved: ResolvedSpec, batchSize: number, rate: number, seed: number): Map<string, { data: Float32Array; dims: number[] }> {
  const rng = new Random(seed);
  const kept = 1 / (1 - rate);
  return new Map(dropoutBlocks(resolved).map((i) => {
    const n = dropoutMaskSize(resolved, i);
    const data = new Float32Array(batchSize * n);
    for (let j = 0; j < data.length; j++) data[j] = rng.next() < rate ? 0 : kept;
    return [dropoutMaskName(resolved, i), { data, dims: [batchSize, n] }];
  }));
}
