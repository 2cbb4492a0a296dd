import { existsSync } from 'node:fs';
import type { EpochRecord } from '../checkpoint/checkpoint.ts';
import type { DatasetOptions } from '../data/registry.ts';
import { loadDataset } from '../data/registry.ts';
import { subset } from '../data/dataset.ts';
import { SnnError } from '../errors.ts';
import { BUILTIN_ARCHITECTURES } from '../spec/builtin.ts';
import type { NetworkSpec } from '../spec/types.ts';
import { validateSpec } from '../spec/validate.ts';
import { DEFAULT_NEURON, DEFAULT_SETTINGS } from '../train/defaults.ts';
import type { TrainPosition, TrainResult, TrainSettings } from '../train/trainer.ts';
import { bestCheckpointPath } from '../train/trainer.ts';
import { claimOutput } from '../util/atomic-write.ts';

/** What `train()` trains, on what, and where it writes the checkpoint. */
export interface TrainOptions {
  /** A network spec, or the name of a built-in architecture (`fc`, `csnn`) with the default neurons. Default: `fc`. */
  network?: NetworkSpec | string;
  /** A data set name (`mnist`, `mnist-dvs`, `dvs-gesture`, `nmnist`, `svhn`, `events`). Default: `mnist` (embedded). */
  dataset?: string;
  /** Folder of the data set's files (default for mnist: the embedded copy). */
  dataDir?: string;
  /** Reading options of event data sets (frames, crop, scale). */
  datasetOptions?: DatasetOptions;
  /** Use only the first N training samples. */
  limit?: number;
  /** Use only the first N test samples. */
  testLimit?: number;
  /** Training settings; each one left out takes the CLI's default (`DEFAULT_SETTINGS`). */
  settings?: Partial<TrainSettings>;
  /** Checkpoint path (.safetensors), written atomically after every epoch. */
  out: string;
  /** Replace an existing checkpoint at `out` (otherwise refused, as `train` without `--force`). */
  force?: boolean;
  /** Called once before the first batch with where the run starts. */
  onStart?: (at: TrainPosition) => void;
  /** Called after every epoch with its record (loss, accuracies, samples/s), as `train --json` prints it. */
  onEpoch?: (record: EpochRecord) => void;
  /** Aborting it stops the run after the batch in progress; the checkpoint written there resumes it (`TrainResult.interrupted`). */
  signal?: AbortSignal;
  /** Draw the terminal progress bar on stderr. Default: false. */
  progress?: boolean;
}

/**
 * Trains a network, as `snn-export train` does with the same settings: loads the data set, builds
 * the network, checks settings, data and output before any work, and writes the checkpoint.
 * Resolves to the final checkpoint and its test accuracy.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const datasetName = o.dataset ?? 'mnist';
  let data = loadDataset(datasetName, o.dataDir, o.datasetOptions);
  if (o.limit !== undefined) data = { ...data, train: subset(data.train, o.limit) };
  if (o.testLimit !== undefined) data = { ...data, test: subset(data.test, o.testLimit) };
  const spec = typeof o.network === 'object' ? o.network : builtinSpec(o.network ?? 'fc', data.train.sampleShape, data.train.temporal, data.train.classes);
  validateSpec(spec);
  const settings: TrainSettings = { ...DEFAULT_SETTINGS, ...o.settings };
  const outputs = [o.out, ...(settings.validation ? [bestCheckpointPath(o.out)] : [])];
  const claims = outputs.map((path) => claimOutput(path, path === o.out ? 'out' : 'out (its best-epoch checkpoint)'));
  try {
    if (!o.force) {
      const existing = outputs.find((path) => existsSync(path));
      if (existing) throw new SnnError('usage', `${existing} already exists; pass force: true to replace it`);
    }
    const { train: runTraining } = await import('../train/trainer.ts');
    return await runTraining({
      spec, settings, data, out: o.out, progress: o.progress ?? false,
      dataset: { name: datasetName, dir: o.dataDir, options: o.datasetOptions },
      stopRequested: o.signal ? () => o.signal!.aborted : undefined,
      onStart: o.onStart, onEpoch: o.onEpoch,
    });
  } finally {
    for (const c of claims) c.release();
  }
}

/** A built-in architecture for samples of `sampleShape` (event data sets: [T, C, H, W] frames, which fix T). */
function builtinSpec(arch: string, sampleShape: number[], temporal: boolean, classes: number): NetworkSpec {
  const build = BUILTIN_ARCHITECTURES[arch];
  if (!build) throw new SnnError('usage', `network: '${arch}' is not one of ${Object.keys(BUILTIN_ARCHITECTURES).join(', ')} (or give a NetworkSpec)`);
  return build({
    alpha: DEFAULT_NEURON.alpha, beta: DEFAULT_NEURON.beta, theta: DEFAULT_NEURON.theta,
    timeSteps: temporal ? sampleShape[0] : DEFAULT_NEURON.timeSteps,
    encoder: temporal ? { kind: 'events' } : { kind: 'direct' },
    inputShape: temporal ? sampleShape.slice(1) : sampleShape,
    classes,
  });
}
