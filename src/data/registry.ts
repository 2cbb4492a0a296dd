import { SnnError } from '../errors.ts';
import type { DatasetSplits } from './dataset.ts';
import { loadMnist } from './mnist.ts';
import { loadMnistDvs } from './mnist-dvs.ts';
import { loadDvsGesture } from './dvs-gesture.ts';
import { loadEventFolder } from './event-folder.ts';
import { loadNmnist } from './nmnist.ts';
import { loadSvhn } from './svhn.ts';

/** Options that shape how a data set is read (recorded in the checkpoint with the data set). */
export interface DatasetOptions {
  /** Event data sets: number of time bins T. */
  frames?: number;
  /** Event data sets: a square crop `left,top,size` of the sensor before binning (no pooling). */
  crop?: [number, number, number];
  /** MNIST-DVS: display scale 4, 8 or 16. */
  scale?: number;
}

function needDir(name: string, dir: string | undefined): string {
  if (!dir) throw new SnnError('usage', `data set ${name} is not embedded: give --data-dir DIR with its files (docs/data.md, "Data sets")`);
  return dir;
}

/** Frame options of an event data set from the common flags, over the reader's defaults. */
function frameOptions(defaults: { timeSteps: number; downsample?: number }, o: DatasetOptions) {
  const crop = o.crop ? { left: o.crop[0], top: o.crop[1], width: o.crop[2], height: o.crop[2] } : undefined;
  return { binning: 'time' as const, mode: 'count' as const, ...defaults, ...(o.frames ? { timeSteps: o.frames } : {}), ...(crop ? { crop, downsample: 1 } : {}) };
}

/**
 * Every data set `train --dataset` knows, by name. A new one is a reader in src/data/ plus one
 * line here. Only MNIST is embedded; the others are read from `--data-dir` (docs/data.md).
 */
export const DATASETS: Record<string, (dir: string | undefined, o: DatasetOptions) => DatasetSplits> = {
  mnist: (dir) => loadMnist(dir),
  'mnist-dvs': (dir, o) => loadMnistDvs(needDir('mnist-dvs', dir), { scale: o.scale, frames: frameOptions({ timeSteps: 10, downsample: 4 }, o) }),
  'dvs-gesture': (dir, o) => loadDvsGesture(needDir('dvs-gesture', dir), { frames: frameOptions({ timeSteps: 16, downsample: 4 }, o) }),
  nmnist: (dir, o) => loadNmnist(needDir('nmnist', dir), { frames: frameOptions({ timeSteps: 10 }, o) }),
  svhn: (dir) => loadSvhn(needDir('svhn', dir)),
  events: (dir, o) => loadEventFolder(needDir('events', dir), { frames: frameOptions({ timeSteps: 10 }, o) }),
};

/**
 * The train and test splits of data set `name` (a key of DATASETS) from the folder `dir` (MNIST: the
 * embedded copy when absent), read with `options` (event frames, crop, MNIST-DVS scale).
 */
export function loadDataset(name: string, dir?: string, options: DatasetOptions = {}): DatasetSplits {
  const load = DATASETS[name];
  if (!load) throw new SnnError('usage', `option --dataset: '${name}' is not one of ${Object.keys(DATASETS).join(', ')}`);
  return load(dir, options);
}
