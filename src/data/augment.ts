/**
 * Training-set augmentation: a random translation of every sample by up to ±`shift` pixels per
 * axis, optionally with a random rotation and scaling about the image centre, the uncovered
 * border filled with zeros (background for images, no events for frames).
 * The transform of a sample is drawn from (seed, epoch, sample index), so a resumed run sees the
 * same images as an uninterrupted one and every epoch sees new transforms.
 */
import { SnnError } from '../errors.ts';
import { Random, deriveSeed } from '../util/random.ts';
import type { Dataset } from './dataset.ts';

/** A parsed `--augment` setting. */
export interface Augmentation {
  /** Largest shift in pixels along each spatial axis. */
  shift: number;
  /** Largest rotation in degrees, either way; 0 or absent: none. */
  rotate?: number;
  /** Largest relative change of size: the scale factor is drawn from [1 − scale, 1 + scale]. */
  scale?: number;
}

/** One sample's transform: an integer shift, then a rotation and scaling about the centre. */
export interface SampleTransform { dy: number; dx: number; degrees: number; scale: number }

const USAGE = 'is not none or a comma-separated list of shift:K (pixels, K ≥ 1), rotate:D (degrees, 0 < D ≤ 180), scale:S (0 < S < 1)';

export function parseAugmentation(text: string): Augmentation | undefined {
  if (text === 'none') return undefined;
  const fail = (): never => { throw new SnnError('usage', `option --augment: '${text}' ${USAGE}`); };
  const parts = new Map<string, number>();
  for (const part of text.split(',')) {
    const m = /^(shift|rotate|scale):(\d+(?:\.\d+)?)$/.exec(part);
    if (!m || parts.has(m[1])) fail();
    parts.set(m![1], Number(m![2]));
  }
  const shift = parts.get('shift') ?? 0, rotate = parts.get('rotate'), scale = parts.get('scale');
  if (!Number.isInteger(shift) || (parts.has('shift') && shift < 1)) fail();
  if (rotate !== undefined && !(rotate > 0 && rotate <= 180)) fail();
  if (scale !== undefined && !(scale > 0 && scale < 1)) fail();
  return { shift, ...(rotate !== undefined ? { rotate } : {}), ...(scale !== undefined ? { scale } : {}) };
}

/** The `--augment` text of a parsed setting. */
export function formatAugmentation(aug: Augmentation): string {
  return [aug.shift ? `shift:${aug.shift}` : '', aug.rotate ? `rotate:${aug.rotate}` : '', aug.scale ? `scale:${aug.scale}` : ''].filter(Boolean).join(',');
}

/** The transform of sample `index` in `epoch`; the shift is drawn first, so shift-only runs keep their draws. */
export function drawTransform(aug: Augmentation, seed: number, epoch: number, index: number): SampleTransform {
  const rng = new Random(deriveSeed(seed, 0xa09, epoch, index));
  const span = 2 * aug.shift + 1;
  const dy = Math.floor(rng.next() * span) - aug.shift;
  const dx = Math.floor(rng.next() * span) - aug.shift;
  const degrees = aug.rotate ? (2 * rng.next() - 1) * aug.rotate : 0;
  const scale = aug.scale ? 1 + (2 * rng.next() - 1) * aug.scale : 1;
  return { dy, dx, degrees, scale };
}

/** Writes `src` (planes × H × W) shifted by whole pixels into `out` at `offset`, exactly. */
function shiftPlanes(src: Float32Array, out: Float32Array, offset: number, planes: number, H: number, W: number, dy: number, dx: number): void {
  out.fill(0, offset, offset + planes * H * W);
  const x0 = Math.max(0, dx), x1 = Math.min(W, W + dx);
  if (x1 <= x0) return;
  for (let p = 0; p < planes; p++) {
    for (let y = Math.max(0, dy); y < Math.min(H, H + dy); y++) {
      const to = offset + (p * H + y) * W;
      const from = (p * H + y - dy) * W;
      out.set(src.subarray(from + x0 - dx, from + x1 - dx), to + x0);
    }
  }
}

/**
 * Writes `src` (planes × H × W) transformed by `t` into `out` at `offset`: each output pixel
 * samples the source bilinearly at the inverse-transformed position, zero outside the image.
 */
export function transformPlanes(src: Float32Array, out: Float32Array, offset: number, planes: number, H: number, W: number, t: SampleTransform): void {
  if (t.degrees === 0 && t.scale === 1) { shiftPlanes(src, out, offset, planes, H, W, t.dy, t.dx); return; }
  const cy = (H - 1) / 2, cx = (W - 1) / 2;
  const rad = (t.degrees * Math.PI) / 180;
  const cos = Math.cos(rad) / t.scale, sin = Math.sin(rad) / t.scale;
  const plane = H * W;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // Inverse map: undo the shift, then rotate by −θ and divide by the scale about the centre.
      const u = y - t.dy - cy, v = x - t.dx - cx;
      const sy = cos * u - sin * v + cy, sx = sin * u + cos * v + cx;
      const y0 = Math.floor(sy), x0 = Math.floor(sx);
      const fy = sy - y0, fx = sx - x0;
      // Corners outside the image read as zero.
      const inY0 = y0 >= 0 && y0 < H, inY1 = y0 + 1 >= 0 && y0 + 1 < H;
      const inX0 = x0 >= 0 && x0 < W, inX1 = x0 + 1 >= 0 && x0 + 1 < W;
      const at = y0 * W + x0;
      for (let p = 0, base = 0; p < planes; p++, base += plane) {
        const a = inY0 && inX0 ? src[base + at] : 0, b = inY0 && inX1 ? src[base + at + 1] : 0;
        const c = inY1 && inX0 ? src[base + at + W] : 0, d = inY1 && inX1 ? src[base + at + W + 1] : 0;
        out[offset + base + y * W + x] = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d);
      }
    }
  }
}

/** The training set of one epoch with each sample transformed; the spatial axes are the last two. */
export function augmentedEpoch(ds: Dataset, aug: Augmentation, seed: number, epoch: number): Dataset {
  const shape = ds.sampleShape;
  const [H, W] = shape.slice(-2);
  const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const scratch = new Float32Array(planes * H * W);
  return {
    ...ds,
    writeSample(index, out, offset) {
      ds.writeSample(index, scratch, 0);
      transformPlanes(scratch, out, offset, planes, H, W, drawTransform(aug, seed, epoch, index));
    },
    describe: () => ({ ...ds.describe(), augmentation: formatAugmentation(aug) }),
  };
}
