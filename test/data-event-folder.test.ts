/**
 * `train --dataset events --data-dir DIR`: a folder of recordings in today's formats (AEDAT 4.0,
 * EVT 3.0, DAVIS AEDAT 2.0 mixed) listed in labels.csv becomes framed train/test sets; the CLI trains
 * on it, and report's test set (the raster view's samples) has the shape trained on.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { testSetOf } from '../src/cli/report.ts';
import { SnnError } from '../src/errors.ts';
import { encodeAedat4 } from '../src/data/events/aedat4-writer.ts';
import { encodeDavisAedat2 } from '../src/data/events/davis-writer.ts';
import { encodeEvt2, encodeEvt3 } from '../src/data/events/evt-writer.ts';
import { loadDataset } from '../src/data/registry.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'snn-event-folder-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** 12 recordings, two classes (events on the left or the right half), three formats. */
function makeFolder(name: string, labels: (i: number, file: string, cls: string) => string | null, header = 'file,label,split'): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const rows = header ? [header] : [];
  for (let i = 0; i < 12; i++) {
    const cls = i % 2 ? 'right' : 'left';
    const n = 200, x: number[] = [], y: number[] = [], t: number[] = [], p: number[] = [];
    for (let k = 0; k < n; k++) { x.push(cls === 'left' ? (k * 7) % 160 : 180 + ((k * 7) % 160)); y.push((k * 13) % 260); t.push(1000 + k * 10); p.push(k & 1); }
    const ev = { count: n, x, y, t, p };
    const kind = i % 3;
    const file = kind === 0 ? `a/r${i}.aedat4` : kind === 1 ? `b/r${i}.raw` : `r${i}.aedat`;
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), kind === 0 ? encodeAedat4({ packets: [{ stream: 0, events: ev }] }) : kind === 1 ? encodeEvt3(ev, { width: 346, height: 260 }) : encodeDavisAedat2(ev, { chip: 'Davis346red' }));
    const row = labels(i, file, cls);
    if (row !== null) rows.push(row);
  }
  writeFileSync(join(dir, 'labels.csv'), rows.join('\n') + '\n');
  return dir;
}

function refused(fn: () => unknown, kind: SnnError['kind'], re: RegExp): void {
  try { fn(); } catch (err) {
    assert.ok(err instanceof SnnError, String((err as Error)?.stack));
    assert.equal(err.kind, kind, err.message);
    assert.match(err.message, re);
    return;
  }
  assert.fail('not refused');
}

describe('a folder of recordings with labels.csv', () => {
  const dir = makeFolder('mixed', (i, file, cls) => `${file},${cls},${i < 8 ? 'train' : 'test'}`);

  test('frames of every format, class names numbered in sorted order, the split as listed', () => {
    const { train, test: testSet } = loadDataset('events', dir, { frames: 4 });
    assert.deepEqual([train.count, testSet.count, train.classes], [8, 4, 2]);
    // 346×260 is down-sampled 6× by default (larger side ≤ 64).
    assert.deepEqual(train.sampleShape, [4, 2, 44, 58]);
    assert.deepEqual(Array.from(train.labels), [0, 1, 0, 1, 0, 1, 0, 1]);
    assert.deepEqual(train.describe().classNames, ['left', 'right']);
    assert.deepEqual(train.describe().formats, ['AEDAT 2.0', 'AEDAT 4.0', 'EVT 3.0']);
    const out = new Float32Array(4 * 2 * 44 * 58);
    for (let i = 0; i < train.count; i++) {
      train.writeSample(i, out, 0);
      // Every event lands in the frames; left-class events only in the left half (columns < 29).
      assert.equal(out.reduce((a, b) => a + b, 0), 200);
      let right = 0;
      for (let j = 0; j < out.length; j++) if (j % 58 >= 29) right += out[j];
      assert.equal(right, train.labels[i] === 0 ? 0 : 200);
    }
  });

  test('without a split column every fifth file of a class is a test sample; integer labels', () => {
    const d = makeFolder('nosplit', (i, file) => `${file},${i % 2}`, '');
    const { train, test: testSet } = loadDataset('events', d, { frames: 2, crop: [0, 0, 64] });
    assert.deepEqual([train.count, testSet.count], [10, 2]);
    assert.deepEqual(train.sampleShape, [2, 2, 64, 64]);
  });

  test('refusals: no labels.csv, paths outside the folder, bad rows, one sensor size per data set', () => {
    refused(() => loadDataset('events', join(tmp, 'none')), 'missingInput', /not found/);
    refused(() => loadDataset('events', makeFolder('escape', (i, file, cls) => (i === 3 ? `../secret.raw,${cls}` : `${file},${cls}`))), 'malformedInput', /line 5: file '\.\.\/secret\.raw' must be a path inside/);
    refused(() => loadDataset('events', makeFolder('badsplit', (i, file, cls) => `${file},${cls},${i === 0 ? 'val' : 'train'}`)), 'malformedInput', /split 'val'/);
    const mixed = makeFolder('sizes', (i, file, cls) => `${file},${cls},${i < 8 ? 'train' : 'test'}`);
    writeFileSync(join(mixed, 'b/r1.raw'), encodeEvt2({ count: 1, x: [1], y: [1], t: [1], p: [1] }, { width: 640, height: 480 }));
    refused(() => loadDataset('events', mixed), 'mismatch', /640×480 sensor/);
  });

  test('CLI: train --dataset events runs, and report\'s test set has the shape trained on', () => {
    const ck = join(tmp, 'ck.safetensors');
    const r = spawnSync(process.execPath, [join(REPO, 'bin/snn-export.js'), 'train', '--dataset', 'events', '--data-dir', dir, '--frames', '3', '--epochs', '1', '--batch-size', '4', '-o', ck], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /test accuracy/);
    const testSet = testSetOf(loadCheckpoint(ck));
    assert.deepEqual([testSet.count, ...testSet.sampleShape], [4, 3, 2, 44, 58]);
  });
});
