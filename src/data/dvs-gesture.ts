import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SnnError, malformed } from '../errors.ts';
import type { Dataset, DatasetSplits } from './dataset.ts';
import { eventFrameDataset, labelCounts } from './event-dataset.ts';
import type { EventSample } from './event-dataset.ts';
import { streamEventFile } from './events/event-file.ts';
import { EventBuffer } from './events/event-stream.ts';
import type { FrameOptions } from './frames.ts';
import { MiB, readInputText } from '../util/read-input.ts';

/**
 * DVS128 Gesture (Amir et al., CVPR 2017): `userNN_<lighting>.aedat` (AEDAT 3.1, DVS128) with
 * `userNN_<lighting>_labels.csv` (`class,startTime_usec,endTime_usec`, class 1…11). Every row of
 * every labels file is one sample (class 11 "other gestures" included, labels 0…10): the
 * spikingjelly/snnTorch convention, 1 176 train and 288 test samples on the full release (the
 * paper's 1 342 count is not reproduced). Users 1–23 train, 24–29 test (IBM's trials_to_train/test
 * lists). Rows are used as written: the known overlap in user22_led_labels.csv is not patched.
 */
export const GESTURE_CLASSES = [
  'hand_clapping', 'right_hand_wave', 'left_hand_wave', 'right_arm_clockwise', 'right_arm_counter_clockwise',
  'left_arm_clockwise', 'left_arm_counter_clockwise', 'arm_roll', 'air_drums', 'air_guitar', 'other_gestures',
] as const;

export interface DvsGestureOptions {
  frames?: FrameOptions;
  /** Bytes per read while scanning a recording. Default 1 MiB. */
  readChunkBytes?: number;
  /** Events between the seek marks kept per recording. Default 2^20. */
  indexStride?: number;
}

/** Frame defaults: 16 time bins per gesture interval, 128×128 pooled 4×4 to 32×32. */
export const GESTURE_FRAMES: FrameOptions = { timeSteps: 16, binning: 'time', mode: 'count', downsample: 4 };

/** One labelled interval of a recording. */
export interface GestureInterval { label: number; start: number; end: number }

export function readGestureLabels(path: string): GestureInterval[] {
  // The release's labels files hold a few hundred bytes.
  const text = readInputText(path, { what: 'labels file', maxBytes: MiB });
  const lines = text.split(/\r?\n/);
  if (!/^\s*class\s*,\s*startTime_usec\s*,\s*endTime_usec\s*$/i.test(lines[0] ?? '')) {
    throw malformed(`${path}: line 1`, `expected the header 'class,startTime_usec,endTime_usec', got '${(lines[0] ?? '').slice(0, 60)}'`);
  }
  const out: GestureInterval[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const parts = line.split(',').map((s) => Number(s.trim()));
    const [cls, start, end] = parts;
    if (parts.length !== 3 || !Number.isInteger(cls) || cls < 1 || cls > 11 || !Number.isFinite(start) || !(end > start)) {
      throw malformed(`${path}: line ${i + 1}`, `expected 'class (1–11), start µs, end µs > start', got '${line.slice(0, 60)}'`);
    }
    out.push({ label: cls - 1, start, end });
  }
  return out;
}

/**
 * Per recording, where each stretch of about a million events starts (file offset and first
 * timestamp), found by one streaming pass the first time a sample of that file is read, so that a
 * sample then decodes only the packets around its interval.
 */
class RecordingIndex {
  private marks: { offset: number; tFirst: number }[] | undefined;
  constructor(private readonly file: string, private readonly chunkBytes: number, private readonly stride: number) {}

  private build(): { offset: number; tFirst: number }[] {
    const marks: { offset: number; tFirst: number }[] = [];
    let sinceMark = Infinity;
    streamEventFile(this.file, (chunk) => {
      if (chunk.count === 0) return;
      if (sinceMark >= this.stride) { marks.push({ offset: chunk.byteOffset, tFirst: chunk.t[0] }); sinceMark = 0; }
      sinceMark += chunk.count;
    }, { expectSensor: 'DVS128', chunkBytes: this.chunkBytes });
    return marks;
  }

  /** The events with start ≤ t < end. */
  read(start: number, end: number): EventBuffer {
    this.marks ??= this.build();
    let from = 0;
    for (let i = 0; i < this.marks.length; i++) if (this.marks[i].tFirst <= start) from = i;
    const events = new EventBuffer(1 << 16);
    const startOffset = this.marks.length > 0 ? this.marks[from].offset : undefined;
    streamEventFile(this.file, (chunk) => {
      const { t } = chunk;
      for (let i = 0; i < chunk.count; i++) if (t[i] >= start && t[i] < end) events.push(chunk.x[i], chunk.y[i], t[i], chunk.p[i]);
      // Timestamps are non-decreasing in cAER recordings: a chunk that starts past the end finishes the sample.
      return !(chunk.count > 0 && t[0] >= end);
    }, { expectSensor: 'DVS128', chunkBytes: this.chunkBytes, startOffset });
    return events;
  }
}

function loadSplit(root: string, users: [number, number], split: 'train' | 'test', frames: FrameOptions, options: DvsGestureOptions, help: string): Dataset {
  const names = readdirSync(root).filter((n) => /^user\d+_.+\.aedat$/i.test(n)).sort();
  const samples: EventSample[] = [];
  const files: string[] = [];
  for (const name of names) {
    const user = Number(/^user(\d+)_/i.exec(name)![1]);
    if (user < users[0] || user > users[1]) continue;
    const file = join(root, name);
    const labelsPath = join(root, name.replace(/\.aedat$/i, '_labels.csv'));
    if (!existsSync(labelsPath)) throw new SnnError('missingInput', `DVS128 Gesture: ${labelsPath} not found (each recording needs its _labels.csv); ${help}`);
    const index = new RecordingIndex(file, options.readChunkBytes ?? 1 << 20, options.indexStride ?? 1 << 20);
    files.push(file);
    for (const iv of readGestureLabels(labelsPath)) {
      samples.push({
        label: iv.label, source: `${file} [${iv.start}, ${iv.end}) µs`,
        load: () => ({ events: index.read(iv.start, iv.end), sensor: { width: 128, height: 128, origin: 'upper-left' }, window: { start: iv.start, end: iv.end } }),
      });
    }
  }
  if (samples.length === 0) throw new SnnError('missingInput', `DVS128 Gesture: no recordings of users ${users[0]}–${users[1]} (${split}) in ${root}; ${help}`);
  return eventFrameDataset(`dvs-gesture-${split}`, samples, { width: 128, height: 128 }, frames, 11, {
    source: root, format: 'DVS128 Gesture (AEDAT 3.1, DVS128)', users, recordings: files.length,
    sampleRule: 'one sample per labels.csv row, all 11 classes', classNames: GESTURE_CLASSES,
    labelCounts: labelCounts(samples.map((s) => s.label), 11),
  });
}

export function loadDvsGesture(dir: string, options: DvsGestureOptions = {}): DatasetSplits {
  const help = `put the extracted DvsGesture folder (userNN_<lighting>.aedat and userNN_<lighting>_labels.csv files, from IBM's DvsGesture.tar.gz) in ${dir}`;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SnnError('missingInput', `DVS128 Gesture: folder ${dir} not found; ${help}`);
  // The archive extracts to DvsGesture/; accept the folder itself or its parent.
  const root = existsSync(join(dir, 'DvsGesture')) ? join(dir, 'DvsGesture') : dir;
  const frames = options.frames ?? GESTURE_FRAMES;
  return { train: loadSplit(root, [1, 23], 'train', frames, options, help), test: loadSplit(root, [24, 29], 'test', frames, options, help) };
}
