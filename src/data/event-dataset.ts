import type { Dataset } from './dataset.ts';
import type { EventArrays, FrameOptions, SensorGeometry } from './frames.ts';
import { frameShape, writeFrames } from './frames.ts';

/** The events of one sample, loaded on demand (files are read when a sample is asked for). */
export interface LoadedSample {
  events: EventArrays;
  sensor: SensorGeometry;
  /** The sample's time window in µs (DVS128 Gesture intervals); default: all of its events. */
  window?: { start: number; end: number };
}

/** A sample of an event data set: its label and how to read its events. */
export interface EventSample {
  label: number;
  /** Where the sample comes from (file, interval), for error messages and listings. */
  source: string;
  load(): LoadedSample;
}

/**
 * A `Dataset` of event samples turned into `[T, 2, H, W]` frames when written. Nothing is kept in
 * memory but the sample list, so data sets of any size stream from disk.
 */
export function eventFrameDataset(name: string, samples: EventSample[], sensor: { width: number; height: number }, frames: FrameOptions, classes: number, info: Record<string, unknown>): Dataset {
  const sampleShape = frameShape(sensor, frames);
  const labels = Uint8Array.from(samples, (s) => s.label);
  return {
    name, count: samples.length, sampleShape, temporal: true, classes, labels,
    writeSample(index, out, offset) {
      const s = samples[index].load();
      writeFrames(s.events, s.sensor, s.window ? { ...frames, window: s.window } : frames, out, offset);
    },
    describe: () => ({ name, count: samples.length, sampleShape, temporal: true, classes, frames: { binning: 'time', mode: 'count', downsample: 1, ...frames }, ...info }),
  };
}

/** Counts of each label, for descriptions and `inspect`. */
export function labelCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}
