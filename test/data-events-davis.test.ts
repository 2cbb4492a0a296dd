/**
 * jAER AEDAT 2.0 from DAVIS cameras: polarity events decoded with the raw DavisChip fields
 * (x bits 12–21, y bits 22–30, polarity bit 11; origin lower-left as jAER), APS, IMU and
 * external-input words skipped and counted, the array size from the AEChip line, zero-event files,
 * and malformed files refused in one line with the offset.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeDavisAedat2 } from '../src/data/events/davis-writer.ts';
import { probeEventFile, readEventFile } from '../src/data/events/event-file.ts';
import { eventsToFrames } from '../src/data/frames.ts';
import { inspectFile } from '../src/data/inspect.ts';
import type { EventFileReport } from '../src/data/inspect.ts';
import { refusedEventFile } from './helpers/event-refusal.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snn-davis-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let fileNo = 0;
function write(bytes: Uint8Array | string): string {
  const path = join(tmp, `f${fileNo++}.aedat`);
  writeFileSync(path, bytes);
  return path;
}
const refused = refusedEventFile;

const N = 4000;
const ev = {
  count: N,
  x: Array.from({ length: N }, (_, i) => (i * 37) % 346),
  y: Array.from({ length: N }, (_, i) => (i * 11) % 260),
  t: Array.from({ length: N }, (_, i) => 1000 + 2 * i),
  p: Array.from({ length: N }, (_, i) => (i % 4 === 1 ? 1 : 0)),
};

describe('DAVIS AEDAT 2.0', () => {
  test('DAVIS346: events decoded with the raw fields; APS, IMU and external-input words counted', () => {
    const path = write(encodeDavisAedat2(ev, { chip: 'Davis346red', apsBefore: [0, 0, 10, 4000], imuBefore: [3, 3, 3, 3, 3, 3, 3], specialBefore: [100] }));
    const s = readEventFile(path);
    assert.deepEqual([s.format, s.sensor, s.width, s.height, s.origin], ['AEDAT 2.0', 'DAVIS346', 346, 260, 'lower-left']);
    assert.deepEqual(Array.from(s.x), ev.x);
    assert.deepEqual(Array.from(s.y), ev.y);
    assert.deepEqual(Array.from(s.t), ev.t);
    assert.deepEqual(Array.from(s.p), ev.p);
    const r = inspectFile(path) as EventFileReport;
    assert.deepEqual(r.skippedKinds, { aps: 4, imu: 7, special: 1 });
    assert.equal(r.skipped, 12);
  });

  test('the convention: (0, 0) is the lower-left pixel, so it lands in the bottom row of a frame', () => {
    const path = write(encodeDavisAedat2({ count: 2, x: [0, 239], y: [0, 179], t: [1, 2], p: [1, 1] }, { chip: 'DAVIS240C' }));
    const s = readEventFile(path);
    assert.deepEqual([s.sensor, s.width, s.height], ['DAVIS240', 240, 180]);
    const f = eventsToFrames(s, s, { timeSteps: 1 });
    // [T=1, 2, H, W]: ON channel, row H−1 (bottom) column 0, and row 0 (top) column 239.
    assert.equal(f[1 * 180 * 240 + 179 * 240 + 0], 1);
    assert.equal(f[1 * 180 * 240 + 0 * 240 + 239], 1);
  });

  test('a header-only DAVIS file (as tonic\'s sample_aedat_header.aedat) decodes to zero events', () => {
    const path = write(encodeDavisAedat2({ count: 0, x: [], y: [], t: [], p: [] }, { chip: 'Davis346red' }));
    const s = readEventFile(path);
    assert.deepEqual([s.count, s.sensor, s.skipped], [0, 'DAVIS346', 0]);
    assert.equal(probeEventFile(path).width, 346);
  });

  test('every supported chip gives its array size; an unknown DAVIS chip is refused', () => {
    for (const [chip, w, h] of [['DAVIS240C', 240, 180], ['Davis346B', 346, 260], ['Davis640', 640, 480], ['Davis208', 208, 192], ['DAVIS128', 128, 128]] as const) {
      const s = probeEventFile(write(encodeDavisAedat2({ count: 0, x: [], y: [], t: [], p: [] }, { chip })));
      assert.deepEqual([s.width, s.height], [w, h], chip);
    }
    assertIncompatible();
    function assertIncompatible(): void {
      const path = write(encodeDavisAedat2({ count: 0, x: [], y: [], t: [], p: [] }, { chip: 'DavisRGBW999' }));
      assert.match(refused(path, 'incompatibleVersion').message, /does not know/);
    }
  });

  test('malformed: out-of-array pixels, truncated records, time jumps', () => {
    const good = encodeDavisAedat2(ev, { chip: 'Davis346red' });
    const body = good.length - 8 * N;
    const outside = encodeDavisAedat2({ count: 1, x: [400], y: [0], t: [0], p: [0] }, { chip: 'Davis346red' });
    assert.match(refused(write(outside), 'malformedInput', outside.length - 8).message, /outside the 346×260 DAVIS346 array/);
    refused(write(good.subarray(0, good.length - 3)), 'malformedInput', good.length - 8);
    const jump = Uint8Array.from(good); new DataView(jump.buffer).setUint32(body + 8 * 10 + 4, 900_000_000, false);
    new DataView(jump.buffer).setUint32(body + 8 * 11 + 4, 1_000, false);
    refused(write(jump), 'malformedInput', body + 8 * 11);
    // A DAVIS chip named in an AEDAT 1.0 file (16-bit addresses cannot hold DAVIS addresses).
    refused(write('#!AER-DAT1.0\r\n# AEChip: eu.seebetter.ini.chips.davis.Davis346red\r\n'), 'malformedInput', 0);
  });
});
