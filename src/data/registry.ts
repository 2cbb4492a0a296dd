import { SnnError } from '../errors.ts';
import type { DatasetSplits } from './dataset.ts';
import { loadMnist } from './mnist.ts';

/** Every data set `train --dataset` knows, by name. A new one is a reader file plus one line here. */
export const DATASETS: Record<string, (dir?: string) => DatasetSplits> = {
  mnist: loadMnist,
};

export function loadDataset(name: string, dir?: string): DatasetSplits {
  const load = DATASETS[name];
  if (!load) throw new SnnError('usage', `option --dataset: '${name}' is not one of ${Object.keys(DATASETS).join(', ')}`);
  return load(dir);
}
