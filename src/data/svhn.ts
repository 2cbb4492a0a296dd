import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SnnError, malformed } from '../errors.ts';
import type { Dataset, DatasetSplits } from './dataset.ts';
import { uint8ImageDataset } from './dataset.ts';
import { labelCounts } from './event-dataset.ts';
import { readMat5 } from './mat5.ts';

/**
 * SVHN "format 2" (cropped 32×32 digits): `train_32x32.mat` (73 257 images) and `test_32x32.mat`
 * (26 032), level-5 MAT-files with `X` uint8 of shape (32, 32, 3, N), column-major (row, column,
 * channel, image), and `y` (N, 1) holding 1…10, where 10 means the digit 0. Samples are
 * `[3, 32, 32]` (channel, row, column) scaled to [0, 1]. `extra_32x32.mat` is not used.
 */

/** File names of the two splits. */
export const SVHN_FILES = { train: 'train_32x32.mat', test: 'test_32x32.mat' } as const;

/** Decodes one SVHN `.mat` file into CHW uint8 images and 0–9 labels. */
export function readSvhnMat(path: string): { images: Uint8Array; labels: Uint8Array; count: number; height: number; width: number } {
  const mat = readMat5(path, { decode: (name) => name === 'X' || name === 'y' });
  const X = mat.variables.find((v) => v.name === 'X');
  const y = mat.variables.find((v) => v.name === 'y');
  if (!X || !y) throw malformed(path, `expected variables 'X' and 'y', found ${mat.variables.map((v) => `'${v.name}'`).join(', ') || 'none'}`);
  const xAt = `${path}: variable 'X' (offset ${X.offset})`;
  if (X.className !== 'uint8' || !(X.data instanceof Uint8Array)) throw malformed(xAt, `expected class uint8 stored as bytes, got ${X.className}`);
  if (X.dims.length !== 4 || X.dims[2] !== 3) throw malformed(xAt, `expected shape (H, W, 3, N), got (${X.dims.join(', ')})`);
  const [height, width, , count] = X.dims;
  const yAt = `${path}: variable 'y' (offset ${y.offset})`;
  if (!y.data || y.data.length !== count || (y.dims.length === 2 && y.dims[1] !== 1 && y.dims[0] !== 1)) {
    throw malformed(yAt, `expected shape (${count}, 1) to match X, got (${y.dims.join(', ')})`);
  }
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const v = Number(y.data[i]);
    if (!Number.isInteger(v) || v < 1 || v > 10) throw malformed(yAt, `element ${i}: label ${v} is not 1…10 (SVHN writes the digit 0 as 10)`);
    labels[i] = v === 10 ? 0 : v;
  }
  // Column-major (row, col, channel) per image → channel-major rows, in place, image by image.
  const images = X.data;
  const plane = height * width;
  const per = plane * 3;
  const tmp = new Uint8Array(per);
  for (let n = 0; n < count; n++) {
    const base = n * per;
    for (let ch = 0; ch < 3; ch++) {
      for (let c = 0; c < width; c++) {
        const src = base + ch * plane + c * height;
        const dst = ch * plane + c;
        for (let r = 0; r < height; r++) tmp[dst + r * width] = images[src + r];
      }
    }
    images.set(tmp, base);
  }
  return { images, labels, count, height, width };
}

function loadSplit(dir: string, split: 'train' | 'test'): Dataset {
  const path = join(dir, SVHN_FILES[split]);
  if (!existsSync(path)) {
    throw new SnnError('missingInput', `SVHN: ${path} not found; put train_32x32.mat and test_32x32.mat (SVHN format 2, "cropped digits", from the Stanford UFLDL SVHN page) in ${dir}`);
  }
  const { images, labels, height, width } = readSvhnMat(path);
  return uint8ImageDataset(`svhn-${split}`, images, labels, [3, height, width], 10, {
    source: path, format: 'SVHN format 2 (MATLAB level-5 .mat)', labelMapping: '10 → 0', labelCounts: labelCounts(labels, 10),
  });
}

export function loadSvhn(dir: string): DatasetSplits {
  return { train: loadSplit(dir, 'train'), test: loadSplit(dir, 'test') };
}
