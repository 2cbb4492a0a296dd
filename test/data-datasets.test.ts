import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SnnError } from '../src/errors.ts';
import { loadDvsGesture, readGestureLabels } from '../src/data/dvs-gesture.ts';
import { readEventFile } from '../src/data/events/event-file.ts';
import { eventsToFrames } from '../src/data/frames.ts';
import { loadMnistDvs } from '../src/data/mnist-dvs.ts';
import { loadNmnist } from '../src/data/nmnist.ts';
import { EVENT_SOURCES } from './helpers/shared-data.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snn-data-sets-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function missing(fn: () => unknown, mention: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SnnError, String(err));
    assert.equal(err.kind, 'missingInput', err.message);
    assert.match(err.message, mention);
    return true;
  });
}

describe('N-MNIST layout', () => {
  for (const src of EVENT_SOURCES) test(`Train|Test/<digit>/*.bin with the ${src.name} labelled samples`, () => {
    const root = join(tmp, `nmnist-${src.name}`);
    const labels = src.path('nmnistLabels');
    const rows = readFileSync(labels, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    for (let d = 0; d < 10; d++) { mkdirSync(join(root, 'Train', String(d)), { recursive: true }); mkdirSync(join(root, 'Test', String(d)), { recursive: true }); }
    for (const [file, , , label] of rows) copyFileSync(join(dirname(labels), file), join(root, 'Train', label, file));
    copyFileSync(src.path('nmnistSample'), join(root, 'Test', '3', 'sample.bin'));
    const five = src.expected.find((e) => e.file === `nmnist/${rows.find((r) => r[3] === '5')![0]}`)!;
    const ds = loadNmnist(root);
    assert.equal(ds.train.count, 10);
    assert.deepEqual(Array.from(ds.train.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(ds.train.sampleShape, [10, 2, 34, 34]);
    assert.equal(ds.test.count, 1);
    const out = new Float32Array(10 * 2 * 34 * 34);
    ds.train.writeSample(5, out, 0);
    // Digit 5 (slayer_train_00001_label5.bin in the recordings: 4681 events, 2328 ON).
    if (src.real) assert.deepEqual([five.events, five.on_events], [4681, 2328]);
    assert.equal(out.reduce((a, b) => a + b, 0), five.events);
    let on = 0;
    for (let t = 0; t < 10; t++) for (let i = 0; i < 34 * 34; i++) on += out[(t * 2 + 1) * 34 * 34 + i];
    assert.equal(on, five.on_events);
  });

  test('missing folders say where to put the files', () => {
    missing(() => loadNmnist(join(tmp, 'no-nmnist')), /Train/);
  });
});

describe('MNIST-DVS layout', () => {
  for (const source of EVENT_SOURCES) test(`seeded, stratified, recorded split over grabbed_data{d}/scale{s} (${source.name} recording)`, () => {
    const root = join(tmp, `mnist-dvs-${source.name}`);
    const src = source.path('mnistDvs');
    const events = source.expected.find((e) => e.file === source.roles.mnistDvs)!.events;
    for (let d = 0; d < 10; d++) {
      const folder = join(root, `grabbed_data${d}`, 'scale4');
      mkdirSync(folder, { recursive: true });
      for (let i = 1; i <= 5; i++) copyFileSync(src, join(folder, `mnist_${d}_scale04_000${i}.aedat`));
    }
    const a = loadMnistDvs(root, { scale: 4, seed: 7, testFraction: 0.4 });
    const b = loadMnistDvs(root, { scale: 4, seed: 7, testFraction: 0.4 });
    const c = loadMnistDvs(root, { scale: 4, seed: 8, testFraction: 0.4 });
    assert.equal(a.train.count, 30);
    assert.equal(a.test.count, 20);
    assert.deepEqual(a.test.describe().labelCounts, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    const split = a.test.describe().split as { kind: string; seed: number; testFraction: number; testFilesSha256: string };
    assert.deepEqual([split.kind, split.seed, split.testFraction], ['seeded-stratified', 7, 0.4]);
    assert.deepEqual(a.test.describe(), b.test.describe());
    // Another seed holds out other files, and the recorded digest shows it.
    assert.notEqual((c.test.describe().split as { testFilesSha256: string }).testFilesSha256, split.testFilesSha256);
    assert.deepEqual(a.train.sampleShape, [10, 2, 32, 32]);
    const out = new Float32Array(10 * 2 * 32 * 32);
    a.train.writeSample(0, out, 0);
    assert.equal(out.reduce((x, y) => x + y, 0), events);
    if (source.real) assert.equal(events, 15744);
    missing(() => loadMnistDvs(root, { scale: 16 }), /scale16/);
    missing(() => loadMnistDvs(join(tmp, 'nothing-here')), /grabbed_data0/);
  });
});

for (const source of EVENT_SOURCES) describe(`DVS128 Gesture layout (${source.name} AEDAT 3.1 file)`, () => {
  const root = join(tmp, `gesture-${source.name}`, 'DvsGesture');
  const src = source.path('aedat31');
  // Three labelled intervals inside the recording's span (679 877 510 … 701 768 090 µs in the real one), the last past its end.
  const { t_first: t0, t_last: t1 } = source.expected.find((e) => e.file === source.roles.aedat31)!;
  const at = (f: number): number => Math.round(t0 + f * (t1 - t0));
  const intervals = [[3, at(0.005), at(0.14)], [11, at(0.55), at(0.575)], [1, at(0.96), at(1.01)]];

  test('users 1–23 train, 24–29 test, one sample per labelled interval, frames equal a direct computation', () => {
    mkdirSync(root, { recursive: true });
    const csv = `class,startTime_usec,endTime_usec\r\n${intervals.map((r) => r.join(',')).join('\r\n')}\r\n`;
    for (const name of ['user01_fluorescent', 'user23_lab', 'user24_led']) {
      copyFileSync(src, join(root, `${name}.aedat`));
      writeFileSync(join(root, `${name}_labels.csv`), csv);
    }
    const ds = loadDvsGesture(join(tmp, `gesture-${source.name}`), { frames: { timeSteps: 5, downsample: 4 }, readChunkBytes: 8192, indexStride: 5000 });
    assert.equal(ds.train.count, 6);
    assert.equal(ds.test.count, 3);
    assert.equal(ds.train.classes, 11);
    assert.deepEqual(Array.from(ds.test.labels), [2, 10, 0]);
    assert.deepEqual(ds.train.sampleShape, [5, 2, 32, 32]);
    const all = readEventFile(src);
    const shape = 5 * 2 * 32 * 32;
    for (let k = 0; k < intervals.length; k++) {
      const [, start, end] = intervals[k];
      const got = new Float32Array(shape);
      ds.test.writeSample(k, got, 0);
      const direct = eventsToFrames(all, { width: 128, height: 128, origin: 'upper-left' }, { timeSteps: 5, downsample: 4, window: { start, end } });
      assert.deepEqual(got, direct, `interval ${k}`);
      let inWindow = 0;
      for (let i = 0; i < all.count; i++) if (all.t[i] >= start && all.t[i] < end) inWindow++;
      assert.equal(got.reduce((a, b) => a + b, 0), inWindow);
      assert.ok(inWindow > 0);
    }
  });

  test('labels files are checked; a recording without labels is missing input', () => {
    const bad = join(tmp, `bad_labels-${source.name}.csv`);
    writeFileSync(bad, 'class,startTime_usec,endTime_usec\n12,1,2\n');
    assert.throws(() => readGestureLabels(bad), (err: unknown) => err instanceof SnnError && err.kind === 'malformedInput' && /line 2/.test(err.message));
    const lonely = join(tmp, `lonely-${source.name}`);
    mkdirSync(lonely);
    copyFileSync(src, join(lonely, 'user02_lab.aedat'));
    missing(() => loadDvsGesture(lonely), /user02_lab_labels\.csv/);
    missing(() => loadDvsGesture(join(tmp, 'no-gesture')), /DvsGesture/);
  });
});
