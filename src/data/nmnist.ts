import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SnnError } from '../errors.ts';
import type { Dataset, DatasetSplits } from './dataset.ts';
import { eventFrameDataset, labelCounts } from './event-dataset.ts';
import type { EventSample } from './event-dataset.ts';
import { readEventFile } from './events/event-file.ts';
import { NMNIST_SIZE } from './events/nmnist-bin.ts';
import type { FrameOptions } from './frames.ts';

/**
 * N-MNIST (Orchard et al. 2015) as distributed: `Train/<digit>/*.bin` and `Test/<digit>/*.bin`
 * (60 000 and 10 000 recordings of MNIST digits by an ATIS making three saccades, 34×34).
 */
export interface NmnistOptions {
  frames?: FrameOptions;
}

/** Frame defaults: 10 time bins over the ~300 ms of each recording, full 34×34. */
export const NMNIST_FRAMES: FrameOptions = { timeSteps: 10, binning: 'time', mode: 'count' };

function loadSplit(dir: string, split: 'Train' | 'Test', frames: FrameOptions, help: string): Dataset {
  const root = join(dir, split);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new SnnError('missingInput', `N-MNIST: ${root} not found; ${help}`);
  const samples: EventSample[] = [];
  for (let d = 0; d < 10; d++) {
    const folder = join(root, String(d));
    if (!existsSync(folder)) throw new SnnError('missingInput', `N-MNIST: ${folder} not found; ${help}`);
    for (const name of readdirSync(folder).filter((n) => /\.(bin|bs2)$/i.test(n)).sort()) {
      const file = join(folder, name);
      samples.push({ label: d, source: file, load: () => { const s = readEventFile(file); return { events: s, sensor: s }; } });
    }
  }
  if (samples.length === 0) throw new SnnError('missingInput', `N-MNIST: no .bin files under ${root}; ${help}`);
  const labels = samples.map((s) => s.label);
  return eventFrameDataset(`nmnist-${split.toLowerCase()}`, samples, { width: NMNIST_SIZE, height: NMNIST_SIZE }, frames, 10, {
    source: root, format: 'N-MNIST .bin (5-byte events, 34×34)', labelCounts: labelCounts(labels, 10),
  });
}

export function loadNmnist(dir: string, options: NmnistOptions = {}): DatasetSplits {
  const help = `put the extracted N-MNIST archives (Train.zip, Test.zip: folders Train/0 … Train/9 and Test/0 … Test/9 of .bin files) in ${dir}`;
  if (!existsSync(dir)) throw new SnnError('missingInput', `N-MNIST: folder ${dir} not found; ${help}`);
  const frames = options.frames ?? NMNIST_FRAMES;
  return { train: loadSplit(dir, 'Train', frames, help), test: loadSplit(dir, 'Test', frames, help) };
}
