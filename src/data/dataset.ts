/**
 * A labelled data set in memory or streamed from disk. Static images are `[C, H, W]` per sample
 * with values in [0, 1]; event data sets give `[T, 2, H, W]` frames per sample.
 */
export interface Dataset {
  name: string;
  /** Number of samples. */
  count: number;
  /** Shape of one sample as `writeSample` writes it. */
  sampleShape: number[];
  /** True for event frames (`[T, 2, H, W]`, time first), false for static images. */
  temporal: boolean;
  classes: number;
  labels: Uint8Array;
  /** Writes sample `index` into `out` at `offset` (float32, `sampleShape` elements). */
  writeSample(index: number, out: Float32Array, offset: number): void;
  /** Where the data came from and how it was preprocessed, for the checkpoint. */
  describe(): Record<string, unknown>;
}

/** A train/test pair. */
export interface DatasetSplits {
  train: Dataset;
  test: Dataset;
}

/** A data set of uint8 images held in memory, scaled to [0, 1] when written. */
export function uint8ImageDataset(name: string, pixels: Uint8Array, labels: Uint8Array, sampleShape: number[], classes: number, info: Record<string, unknown>): Dataset {
  const n = sampleShape.reduce((a, b) => a * b, 1);
  return {
    name, count: labels.length, sampleShape, temporal: false, classes, labels,
    writeSample(index, out, offset) {
      const base = index * n;
      for (let i = 0; i < n; i++) out[offset + i] = pixels[base + i] / 255;
    },
    describe: () => ({ name, count: labels.length, sampleShape, ...info }),
  };
}

/** The first `count` samples of a data set (for quick runs and tests). */
export function subset(ds: Dataset, count: number): Dataset {
  if (count >= ds.count) return ds;
  return { ...ds, count, labels: ds.labels.subarray(0, count), describe: () => ({ ...ds.describe(), count, subsetOf: ds.count }) };
}

/** The samples `indices` of a data set, in that order (a held-out validation split, for example). */
export function indexSubset(ds: Dataset, indices: Uint32Array, role: string): Dataset {
  const labels = Uint8Array.from(indices, (i) => ds.labels[i]);
  return {
    ...ds, name: `${ds.name}-${role}`, count: indices.length, labels,
    writeSample: (index, out, offset) => ds.writeSample(indices[index], out, offset),
    describe: () => ({ ...ds.describe(), role, count: indices.length, subsetOf: ds.count }),
  };
}
