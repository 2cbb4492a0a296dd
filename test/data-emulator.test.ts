import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SnnError } from '../src/errors.ts';
import { emulateMnistDvs } from '../src/data/emulate-mnist-dvs.ts';
import { DvsEmulator } from '../src/data/emulator.ts';
import { encodeAedat2 } from '../src/data/events/aedat2-writer.ts';
import { readEventFile } from '../src/data/events/event-file.ts';
import { eventStats } from '../src/data/events/event-stream.ts';
import { eventsToFrames } from '../src/data/frames.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { loadMnistDvs } from '../src/data/mnist-dvs.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snn-data-emulator-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A 28×28 image: a bright 8×8 square in the middle. */
function square(): Uint8Array {
  const img = new Uint8Array(28 * 28);
  for (let r = 10; r < 18; r++) for (let c = 10; c < 18; c++) img[r * 28 + c] = 255;
  return img;
}

describe('DVS emulator', () => {
  test('same seed, same events; another seed, other events', () => {
    const emu = new DvsEmulator({}, 1);
    const a = emu.record(square(), 28, 28, 5);
    const b = new DvsEmulator({}, 1).record(square(), 28, 28, 5);
    const c = emu.record(square(), 28, 28, 6);
    assert.ok(a.count > 100);
    assert.deepEqual([a.x, a.y, a.t, a.p], [b.x, b.y, b.t, b.p]);
    assert.notDeepEqual(a.t, c.t);
  });

  test('a moving bright square gives ON and OFF events at its edges only, in time order', () => {
    const s = new DvsEmulator({ amplitudePx: 2 }, 1).record(square(), 28, 28, 1);
    const st = eventStats(s);
    assert.ok(st.tNondecreasing);
    assert.ok(st.onEvents > 0.3 * s.count && st.onEvents < 0.7 * s.count, `ON ${st.onEvents} of ${s.count}`);
    // The square spans sensor columns 60–67 (digit at 50–77); with ±2 pixels of motion and
    // bilinear spill, nothing can fire outside 57–70.
    assert.ok(st.xRange![0] >= 57 && st.xRange![1] <= 70, `x range ${st.xRange}`);
    assert.ok(st.tFirst! >= 0 && st.tLast! <= 1_000_000);
    // No pixel inside the square's flat interior (columns 63–64 of rows 63–64) ever sees a change.
    for (let i = 0; i < s.count; i++) {
      const row = 127 - s.y[i];
      assert.ok(!(row >= 63 && row <= 64 && s.x[i] >= 63 && s.x[i] <= 64), 'event in the flat interior');
    }
  });

  test('refractory period: no pixel fires twice within it', () => {
    const refractoryUs = 20_000;
    const s = new DvsEmulator({ refractoryUs }, 1).record(square(), 28, 28, 2);
    const last = new Map<number, number>();
    for (let i = 0; i < s.count; i++) {
      const key = s.y[i] * 128 + s.x[i];
      const prev = last.get(key);
      if (prev !== undefined) assert.ok(s.t[i] - prev >= refractoryUs - 1, `pixel ${key} fired after ${s.t[i] - prev} µs`);
      last.set(key, s.t[i]);
    }
  });

  test('noise adds events all over the sensor', () => {
    const quiet = new DvsEmulator({}, 1).record(square(), 28, 28, 3);
    const noisy = new DvsEmulator({ noiseHz: 1 }, 1).record(square(), 28, 28, 3);
    const extra = noisy.count - quiet.count;
    assert.ok(extra > 128 * 128 * 0.8 && extra < 128 * 128 * 1.2, `${extra} noise events`);
    const st = eventStats(noisy);
    assert.ok(st.xRange![0] < 10 && st.xRange![1] > 117);
  });

  test('bad settings are usage errors', () => {
    assert.throws(() => new DvsEmulator({ digitSize: 200 }), SnnError);
    assert.throws(() => new DvsEmulator({ thresholdOn: 0 }), SnnError);
  });
});

describe('emulate → MNIST-DVS reader round trip', () => {
  const out = join(tmp, 'mnist-dvs');
  const limit = 4;
  let written: Awaited<ReturnType<typeof emulateMnistDvs>>;

  test('writes an MNIST-DVS-shaped folder with a manifest', async () => {
    written = await emulateMnistDvs({ outDir: out, limit, scales: [8, 16], seed: 3, writerThreads: 2 });
    assert.equal(written.files, 2 * 2 * limit);
    const manifest = JSON.parse(readFileSync(join(out, 'emulation.json'), 'utf8'));
    assert.equal(manifest.testIndexFrom, 60000);
    const mnist = loadMnist();
    const label0 = mnist.train.labels[0];
    const names = readdirSync(join(out, `grabbed_data${label0}`, 'scale16'));
    assert.ok(names.includes('mnist_5_scale16_00000.aedat'.replace('5', String(label0))), names.join(', '));
    const testLabel0 = mnist.test.labels[0];
    assert.ok(readdirSync(join(out, `grabbed_data${testLabel0}`, 'scale8')).includes(`mnist_${testLabel0}_scale08_60000.aedat`));
  });

  test('the MNIST-DVS reader reads it back with MNIST labels and split', () => {
    const mnist = loadMnist();
    const ds = loadMnistDvs(out, { scale: 16, frames: { timeSteps: 4, crop: { left: 48, top: 48, width: 32, height: 32 } } });
    assert.equal(ds.train.count, limit);
    assert.equal(ds.test.count, limit);
    assert.deepEqual(Array.from(ds.train.labels).sort(), Array.from(mnist.train.labels.subarray(0, limit)).sort());
    assert.deepEqual(ds.train.sampleShape, [4, 2, 32, 32]);
    assert.equal(ds.train.describe().split && (ds.train.describe().split as { kind: string }).kind, 'manifest');
    const frames = new Float32Array(4 * 2 * 32 * 32);
    ds.train.writeSample(0, frames, 0);
    assert.ok(frames.reduce((a, b) => a + b, 0) > 100);
    const file = readdirSync(join(out, 'grabbed_data' + mnist.train.labels[0], 'scale16')).find((n) => n.endsWith('_00000.aedat'))!;
    const read = readEventFile(join(out, 'grabbed_data' + mnist.train.labels[0], 'scale16', file));
    assert.equal(read.format, 'AEDAT 2.0');
    assert.ok(read.count > 500);
  });

  test('orientation survives emulate → AEDAT 2.0 → read → frames: the top-left stays top-left', () => {
    // A block in the image's top-left quadrant only (rows and columns 3–9 of 28).
    const img = new Uint8Array(28 * 28);
    for (let r = 3; r < 10; r++) for (let c = 3; c < 10; c++) img[r * 28 + c] = 255;
    const rec = new DvsEmulator({}, 1).record(img, 28, 28, 4);
    const path = join(tmp, 'corner.aedat');
    writeFileSync(path, encodeAedat2(rec));
    const s = readEventFile(path);
    assert.equal(s.count, rec.count);
    // The digit occupies sensor rows and columns 50–77; the block 53–59, blurred by ±3 pixels of motion.
    const frames = eventsToFrames(s, s, { timeSteps: 1, crop: { left: 50, top: 50, width: 28, height: 28 } });
    let inside = 0, total = 0;
    for (let ch = 0; ch < 2; ch++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) {
      const v = frames[ch * 784 + r * 28 + c];
      total += v;
      if (r < 14 && c < 14) inside += v;
    }
    assert.equal(total, s.count);
    assert.equal(inside, total, 'every event of a top-left block is in the top-left quadrant');
  });

  test('the same seed writes the same bytes', async () => {
    const again = join(tmp, 'again');
    await emulateMnistDvs({ outDir: again, limit: 2, scales: [16], seed: 3, writerThreads: 0 });
    const label = loadMnist().train.labels[0];
    const name = `mnist_${label}_scale16_00000.aedat`;
    assert.deepEqual(readFileSync(join(again, `grabbed_data${label}`, 'scale16', name)), readFileSync(join(out, `grabbed_data${label}`, 'scale16', name)));
  });
});
