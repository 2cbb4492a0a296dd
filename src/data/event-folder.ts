import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { SnnError, malformed } from '../errors.ts';
import { MiB, readInputText } from '../util/read-input.ts';
import type { Dataset, DatasetSplits } from './dataset.ts';
import { eventFrameDataset, labelCounts } from './event-dataset.ts';
import type { EventSample } from './event-dataset.ts';
import { probeEventFile, readEventFile } from './events/event-file.ts';
import type { FrameOptions } from './frames.ts';

/**
 * `train --dataset events --data-dir DIR`: a folder of event recordings in any format snn-export
 * reads (AEDAT 1.0/2.0 incl. DAVIS, 3.1, 4.0, Metavision EVT 2.0/3.0 `.raw`, N-MNIST `.bin`), one
 * sample per file, listed in `DIR/labels.csv`:
 *
 *     file,label,split
 *     walk/rec01.aedat4,walk,train
 *     wave/rec07.raw,wave,test
 *
 * `file` is relative to DIR (no absolute paths, no `..`); `label` is a class index 0…255 or a class
 * name (names are numbered in sorted order); `split` is `train` or `test` and may be left out, in
 * which case every fifth file of each class (in the order listed) is a test sample. A header row
 * and lines starting with `#` are skipped. Every recording must come from a sensor of the same
 * size. Each sample's frames span its whole recording.
 */

export const EVENT_FOLDER_LABELS = 'labels.csv';
const MAX_LABELS_BYTES = 64 * MiB;
const MAX_CLASSES = 256;

export interface EventFolderOptions {
  frames: FrameOptions;
}

interface Row { file: string; label: string; split?: 'train' | 'test'; line: number }

function parseLabels(path: string, dir: string): Row[] {
  const text = readInputText(path, { what: 'labels file', maxBytes: MAX_LABELS_BYTES });
  const rows: Row[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (rows.length === 0 && cells[0].toLowerCase() === 'file' && cells[1]?.toLowerCase() === 'label') continue;
    const where = `${path}: line ${i + 1}`;
    if (cells.length < 2 || cells.length > 3 || !cells[0] || !cells[1]) throw malformed(where, `expected 'file,label' or 'file,label,split', got '${line.slice(0, 200)}'`);
    const file = cells[0];
    if (isAbsolute(file) || normalize(file).split(sep).includes('..') || file.includes('\0')) throw malformed(where, `file '${file}' must be a path inside ${dir} (relative, without '..')`);
    let split: Row['split'];
    if (cells.length === 3) {
      const s = cells[2].toLowerCase();
      if (s !== 'train' && s !== 'test') throw malformed(where, `split '${cells[2]}' is not 'train' or 'test'`);
      split = s;
    }
    rows.push({ file, label: cells[1], split, line: i + 1 });
  }
  if (rows.length === 0) throw new SnnError('missingInput', `${path}: no samples listed (lines 'file,label[,split]')`);
  return rows;
}

export function loadEventFolder(dir: string, options: EventFolderOptions): DatasetSplits {
  const labelsPath = join(dir, EVENT_FOLDER_LABELS);
  const help = `put the recordings in ${dir} and list them in ${labelsPath} as lines 'file,label[,split]' (docs/data.md, "A folder of recordings")`;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SnnError('missingInput', `events: folder ${dir} not found; ${help}`);
  if (!existsSync(labelsPath)) throw new SnnError('missingInput', `events: ${labelsPath} not found; ${help}`);
  const rows = parseLabels(labelsPath, dir);

  // Class indices: integers as written, or names numbered in sorted order.
  const numeric = rows.every((r) => /^\d{1,3}$/.test(r.label));
  const names = numeric ? [] : [...new Set(rows.map((r) => r.label))].sort();
  const index = (r: Row): number => (numeric ? Number(r.label) : names.indexOf(r.label));
  const classes = numeric ? Math.max(...rows.map(index)) + 1 : names.length;
  if (classes > MAX_CLASSES) throw malformed(labelsPath, `${classes} classes, more than ${MAX_CLASSES}`);
  if (classes < 2) throw malformed(labelsPath, `a single class (${rows[0].label}): training needs at least two`);

  // Every file's sensor, from its header (nothing is decoded yet).
  let sensor: { width: number; height: number; path: string } | undefined;
  const formats = new Set<string>();
  const perClass = new Map<number, number>();
  const train: EventSample[] = [], test: EventSample[] = [];
  for (const r of rows) {
    const file = join(dir, r.file);
    const info = probeEventFile(file);
    formats.add(info.format);
    if (!info.width || !info.height) throw new SnnError('malformedInput', `${file}: the sensor size is not in the file's header (sensor '${info.sensor}'), so its events cannot be framed`);
    if (!sensor) sensor = { width: info.width, height: info.height, path: file };
    else if (sensor.width !== info.width || sensor.height !== info.height) {
      throw new SnnError('mismatch', `${file}: recorded on a ${info.width}×${info.height} sensor, but ${sensor.path} on ${sensor.width}×${sensor.height}; a data set needs one sensor size`);
    }
    const label = index(r);
    const seen = perClass.get(label) ?? 0;
    perClass.set(label, seen + 1);
    const split = r.split ?? (seen % 5 === 4 ? 'test' : 'train');
    const sample: EventSample = { label, source: file, load: () => { const s = readEventFile(file); return { events: s, sensor: s }; } };
    (split === 'train' ? train : test).push(sample);
  }
  if (train.length === 0 || test.length === 0) throw malformed(labelsPath, `no ${train.length === 0 ? 'training' : 'test'} samples (${rows.length} listed; give a split column, or at least five files of a class)`);
  const geometry = { width: sensor!.width, height: sensor!.height };
  // Default down-sampling keeps the larger side at 64 pixels or fewer (a DAVIS346 becomes 58×44).
  const frames: FrameOptions = { ...options.frames };
  if (frames.downsample === undefined && !frames.crop) frames.downsample = Math.max(1, Math.ceil(Math.max(geometry.width, geometry.height) / 64));
  const make = (name: string, samples: EventSample[]): Dataset => eventFrameDataset(name, samples, geometry, frames, classes, {
    source: dir, labelsFile: labelsPath, formats: [...formats].sort(), sensor: geometry,
    labelCounts: labelCounts(samples.map((s) => s.label), classes), ...(names.length ? { classNames: names } : {}),
  });
  return { train: make('events-train', train), test: make('events-test', test) };
}
