import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SnnError } from '../src/errors.ts';
import { readEventFile } from '../src/data/events/event-file.ts';
import { eventsToFrames, frameShape, writeFrames } from '../src/data/frames.ts';
import type { EventArrays, SensorGeometry } from '../src/data/frames.ts';
import { EVENT_SOURCES } from './helpers/shared-data.ts';

const upper: SensorGeometry = { width: 4, height: 3, origin: 'upper-left' };

function events(list: [number, number, number, number][]): EventArrays {
  return {
    count: list.length,
    x: list.map((e) => e[0]), y: list.map((e) => e[1]), p: list.map((e) => e[2]), t: list.map((e) => e[3]),
  };
}
/** Value at [t, c, r, col] of a `[T, 2, H, W]` array. */
const at = (a: Float32Array, H: number, W: number, t: number, c: number, r: number, col: number): number => a[((t * 2 + c) * H + r) * W + col];

describe('event frames', () => {
  test('time bins: channel = polarity, last event in the last bin, counts add up', () => {
    const ev = events([[0, 0, 1, 100], [0, 0, 1, 120], [3, 2, 0, 150], [1, 1, 1, 199], [2, 1, 0, 200]]);
    const f = eventsToFrames(ev, upper, { timeSteps: 2 });
    assert.deepEqual(frameShape(upper, { timeSteps: 2 }), [2, 2, 3, 4]);
    assert.equal(at(f, 3, 4, 0, 1, 0, 0), 2);      // two ON events at (0, 0) in bin 0
    assert.equal(at(f, 3, 4, 1, 0, 2, 3), 1);      // t = 150 is the middle: bin 1
    assert.equal(at(f, 3, 4, 1, 1, 1, 1), 1);
    assert.equal(at(f, 3, 4, 1, 0, 1, 2), 1);      // t = 200, the end, is kept in the last bin
    assert.equal(f.reduce((a, b) => a + b, 0), 5);
  });

  test('equal-count bins, binary mode, explicit window', () => {
    const ev = events([[0, 0, 1, 0], [0, 0, 1, 1], [0, 0, 1, 2], [1, 0, 0, 3], [1, 0, 0, 1000]]);
    const byCount = eventsToFrames(ev, upper, { timeSteps: 2, binning: 'count', mode: 'binary', window: { start: 0, end: 1000 } });
    // 4 events in [0, 1000): 2 per bin; the event at t = 1000 is outside the window.
    assert.equal(at(byCount, 3, 4, 0, 1, 0, 0), 1);
    assert.equal(at(byCount, 3, 4, 1, 1, 0, 0), 1);
    assert.equal(at(byCount, 3, 4, 1, 0, 0, 1), 1);
    assert.equal(byCount.reduce((a, b) => a + b, 0), 3);
  });

  test('lower-left origin is flipped so that row 0 is the top; crop and down-sampling', () => {
    const lower: SensorGeometry = { width: 8, height: 8, origin: 'lower-left' };
    const ev = events([[0, 7, 1, 0], [7, 0, 0, 0], [5, 5, 1, 0], [4, 4, 1, 0]]);
    const full = eventsToFrames(ev, lower, { timeSteps: 1 });
    assert.equal(at(full, 8, 8, 0, 1, 0, 0), 1);   // y = 7 counted from the bottom is row 0
    assert.equal(at(full, 8, 8, 0, 0, 7, 7), 1);
    const crop = { left: 4, top: 2, width: 4, height: 4 };  // rows 2–5, columns 4–7
    assert.deepEqual(frameShape(lower, { timeSteps: 1, crop, downsample: 2 }), [1, 2, 2, 2]);
    const small = eventsToFrames(ev, lower, { timeSteps: 1, crop, downsample: 2 });
    // (5, 5) → row 2, column 5 → block (0, 0) after cropping and pooling; (4, 4) → row 3, column 4 → the same block.
    assert.deepEqual(Array.from(small), [0, 0, 0, 0, 2, 0, 0, 0]);
  });

  test('writes at an offset and clears its block first; refuses impossible options', () => {
    const out = new Float32Array(100).fill(7);
    writeFrames(events([[1, 1, 1, 5]]), upper, { timeSteps: 1 }, out, 10);
    assert.equal(out[9], 7);
    assert.equal(out[10 + 12 + 1 * 4 + 1], 1);
    assert.equal(out.subarray(10, 34).reduce((a, b) => a + b, 0), 1);
    assert.equal(out[34], 7);
    assert.throws(() => frameShape(upper, { timeSteps: 0 }), SnnError);
    assert.throws(() => frameShape(upper, { timeSteps: 1, crop: { left: 2, top: 0, width: 4, height: 1 } }), SnnError);
    assert.throws(() => frameShape(upper, { timeSteps: 1, downsample: 1.5 }), SnnError);
  });

  for (const src of EVENT_SOURCES) test(`deterministic on a DVS128 recording (${src.name}), and every event lands in a frame`, () => {
    const s = readEventFile(src.path('mnistDvs'));
    const e = src.expected.find((x) => x.file === src.roles.mnistDvs)!;
    const a = eventsToFrames(s, s, { timeSteps: 10, downsample: 4 });
    const b = eventsToFrames(s, s, { timeSteps: 10, downsample: 4 });
    assert.deepEqual(a, b);
    assert.equal(a.reduce((x, y) => x + y, 0), s.count);
    let on = 0;
    for (let t = 0; t < 10; t++) for (let i = 0; i < 32 * 32; i++) on += a[(t * 2 + 1) * 1024 + i];
    assert.equal(on, e.on_events);
    if (src.real) assert.equal(on, 7874);
  });
});
