/**
 * Training-set augmentation: a random translation of every sample by up to ±`max` pixels per
 * axis, the uncovered border filled with zeros (background for images, no events for frames).
 * The shift of a sample is drawn from (seed, epoch, sample index), so a resumed run sees the same
 * images as an uninterrupted one and every epoch sees new shifts.
 */
import { SnnError } from '../errors.ts';
import { Random, deriveSeed } from '../util/random.ts';
import type { Dataset } from './dataset.ts';

/** A parsed `--augment` setting. */
export interface Augmentation {
  /** Largest shift in pixels along each spatial axis. */
  shift: number;
}

export function parseAugmentation(text: string): Augmentation | undefined {
  if (text === 'none') return undefined;
  const m = /^shift:(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1) throw new SnnError('usage', `option --augment: '${text}' is not none or shift:K (K ≥ 1 pixels)`);
  return { shift: Number(m[1]) };
}

/** The training set of one epoch with each sample shifted; the spatial axes are the last two. */
export function augmentedEpoch(ds: Dataset, aug: Augmentation, seed: number, epoch: number): Dataset {
  const shape = ds.sampleShape;
  const [H, W] = shape.slice(-2);
  const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const size = planes * H * W;
  const scratch = new Float32Array(size);
  const span = 2 * aug.shift + 1;
  return {
    ...ds,
    writeSample(index, out, offset) {
      ds.writeSample(index, scratch, 0);
      const rng = new Random(deriveSeed(seed, 0xa09, epoch, index));
      const dy = Math.floor(rng.next() * span) - aug.shift;
      const dx = Math.floor(rng.next() * span) - aug.shift;
      out.fill(0, offset, offset + size);
      const x0 = Math.max(0, dx), x1 = Math.min(W, W + dx);
      if (x1 <= x0) return;
      for (let p = 0; p < planes; p++) {
        for (let y = Math.max(0, dy); y < Math.min(H, H + dy); y++) {
          const to = offset + (p * H + y) * W;
          const from = (p * H + y - dy) * W;
          out.set(scratch.subarray(from + x0 - dx, from + x1 - dx), to + x0);
        }
      }
    },
    describe: () => ({ ...ds.describe(), augmentation: `shift:${aug.shift}` }),
  };
}
