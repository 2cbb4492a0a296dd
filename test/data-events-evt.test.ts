/**
 * Prophesee / Metavision RAW, EVT 2.0 and EVT 3.0: files written by the project's writers
 * (vectorised EVT 3.0, triggers, OTHERS words, time-high wraps), zero events, and malformed files
 * refused in one line with the offset. The real samples (expelliarmus' evt2_sample.raw and
 * evt3_sample.raw, GPL-2.0 and over 200 kB, so not kept here) are checked in the report of
 * issue 21 and in src/data/README.md.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readEventFile, streamEventFile } from '../src/data/events/event-file.ts';
import { encodeEvt2, encodeEvt3 } from '../src/data/events/evt-writer.ts';
import type { EvtEvents } from '../src/data/events/evt-writer.ts';
import { inspectFile } from '../src/data/inspect.ts';
import type { EventFileReport } from '../src/data/inspect.ts';
import { Random } from '../src/util/random.ts';
import { refusedEventFile } from './helpers/event-refusal.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snn-evt-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let fileNo = 0;
function write(bytes: Uint8Array | string): string {
  const path = join(tmp, `f${fileNo++}.raw`);
  writeFileSync(path, bytes);
  return path;
}
const refused = refusedEventFile;

/** Random events in time order on a W×H sensor, with runs along rows (what EVT 3.0 vectorises). */
function events(n: number, W: number, H: number, t0 = 0, step = 3): EvtEvents {
  const rng = new Random(7);
  const e = { count: n, x: new Array<number>(n), y: new Array<number>(n), t: new Array<number>(n), p: new Array<number>(n) };
  let t = t0;
  for (let i = 0; i < n;) {
    t += Math.floor(rng.next() * step);
    const y = Math.floor(rng.next() * H), p = rng.next() < 0.5 ? 1 : 0;
    let x = Math.floor(rng.next() * (W - 20));
    const run = 1 + Math.floor(rng.next() * 8);
    for (let k = 0; k < run && i < n; k++, i++) {
      e.x[i] = x; e.y[i] = y; e.t[i] = t; e.p[i] = p;
      x += 1 + Math.floor(rng.next() * 2);
    }
  }
  return e;
}

function same(path: string, e: EvtEvents): void {
  const s = readEventFile(path);
  assert.equal(s.count, e.count);
  assert.deepEqual(Array.from(s.x), Array.from(e.x));
  assert.deepEqual(Array.from(s.y), Array.from(e.y));
  assert.deepEqual(Array.from(s.t), Array.from(e.t));
  assert.deepEqual(Array.from(s.p), Array.from(e.p));
}

describe('EVT 2.0', () => {
  test('events, triggers and OTHERS words; sensor size from the header', () => {
    const e = events(20000, 640, 480);
    const path = write(encodeEvt2(e, { width: 640, height: 480, triggersBefore: [0, 5, 5, 20000], othersBefore: [7] }));
    same(path, e);
    const r = inspectFile(path) as EventFileReport;
    assert.deepEqual([r.format, r.width, r.height, r.origin], ['EVT 2.0', 640, 480, 'upper-left']);
    assert.deepEqual(r.skippedKinds, { triggers: 4, other: 1 });
    assert.equal(r.skipped, 5);
  });

  test('time high wrap after 2^34 µs is unrolled', () => {
    const e = events(3000, 640, 480, 2 ** 34 - 2000, 5);
    const path = write(encodeEvt2(e, { width: 640, height: 480 }));
    same(path, e);
  });

  test('zero events, and the sensor from the plugin name when there is no geometry', () => {
    assert.equal(readEventFile(write(encodeEvt2({ count: 0, x: [], y: [], t: [], p: [] }, { width: 1280, height: 720 }))).count, 0);
    const path = write('% evt 2.0\n% plugin_name hal_plugin_gen3_fx3\n');
    const s = readEventFile(path);
    assert.deepEqual([s.count, s.width, s.height, s.headerLines.length], [0, 640, 480, 2]);
  });

  test('chunked reads see every event once', () => {
    const e = events(5000, 640, 480);
    const path = write(encodeEvt2(e, { width: 640, height: 480 }));
    let n = 0;
    streamEventFile(path, (c) => { n += c.count; }, { chunkBytes: 1000 });
    assert.equal(n, 5000);
  });
});

describe('EVT 3.0', () => {
  test('vectorised events (VECT_12, VECT_8, single EVT_ADDR_X), triggers, OTHERS with CONTINUED words', () => {
    const e = events(30000, 1280, 720);
    const bytes = encodeEvt3(e, { width: 1280, height: 720, triggersBefore: [0, 100, 30000], othersBefore: [3, 4] });
    const path = write(bytes);
    same(path, e);
    const r = inspectFile(path) as EventFileReport;
    assert.deepEqual([r.format, r.width, r.height], ['EVT 3.0', 1280, 720]);
    assert.deepEqual(r.skippedKinds, { triggers: 3, other: 2 });
    // The writer used vectors: fewer words than events.
    assert.ok((bytes.length - r.bodyOffset) / 2 < 30000 * 1.2, 'vectorised');
  });

  test('time high wraps every 2^24 µs (16.8 s) are unrolled', () => {
    const e = events(4000, 1280, 720, 0, 200000);
    assert.ok(e.t[e.count - 1] > 3 * 2 ** 24);
    same(write(encodeEvt3(e, { width: 1280, height: 720 })), e);
  });

  test('a vector of 12 at the right edge, and chunked reads', () => {
    const e = { count: 12, x: Array.from({ length: 12 }, (_, i) => 1268 + i), y: new Array(12).fill(719), t: new Array(12).fill(5), p: new Array(12).fill(1) };
    same(write(encodeEvt3(e, { width: 1280, height: 720 })), e);
    const big = events(20000, 1280, 720);
    const path = write(encodeEvt3(big, { width: 1280, height: 720 }));
    let n = 0;
    streamEventFile(path, (c) => { n += c.count; }, { chunkBytes: 64 });
    assert.equal(n, 20000);
  });
});

describe('malformed Metavision RAW files', () => {
  test('one line naming the file, the offset and what was expected', () => {
    const e = events(100, 640, 480);
    const good2 = encodeEvt2(e, { width: 640, height: 480 });
    const body2 = good2.length - new Uint8Array(good2).reverse().indexOf(0x0a); // after the last header line feed
    const hdr = Buffer.from(good2).indexOf('% end\n') + 6;
    assert.ok(body2 >= hdr);
    // A word of a reserved type.
    const reserved = Uint8Array.from(good2); reserved[hdr + 4 * 3 + 3] = 0x50;
    assert.match(refused(write(reserved), 'malformedInput', hdr + 12).message, /reserved type 0x5/);
    // A truncated last word.
    refused(write(good2.subarray(0, good2.length - 1)), 'malformedInput', good2.length - 4);
    // An address outside the sensor the header declares.
    const outside = encodeEvt2({ count: 1, x: [700], y: [0], t: [0], p: [1] }, { width: 640, height: 480 });
    assert.match(refused(write(outside)).message, /outside the 640×480 sensor/);
    // EVT 3.0: a reserved word type and an odd body.
    const good3 = encodeEvt3(e, { width: 640, height: 480 });
    const h3 = Buffer.from(good3).indexOf('% end\n') + 6;
    const r3 = Uint8Array.from(good3); r3[h3 + 3] = 0x90;
    refused(write(r3), 'malformedInput', h3 + 2);
    refused(write(good3.subarray(0, good3.length - 1)));
    // Headers: no version line, a line cut short, a version we do not read.
    refused(write('% date 2020\n\0\0\0\0'), 'malformedInput', 0);
    refused(write('% evt 2.0'), 'malformedInput', 0);
    assert.match(refused(write('% evt 2.1\n'), 'incompatibleVersion').message, /EVT 2\.1/);
  });
});
