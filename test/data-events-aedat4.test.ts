/**
 * AEDAT 4.0 (DV): the real tonic sample against an independent decoder, files written by the
 * project's writer with every compression (and by the lz4/zstd command-line tools where present),
 * the skip counts by kind, the data table, and malformed files refused in one line with the offset.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SnnError } from '../src/errors.ts';
import { encodeAedat4, eventPacketBytes } from '../src/data/events/aedat4-writer.ts';
import type { Aedat4WriteOptions } from '../src/data/events/aedat4-writer.ts';
import { readEventFile, streamEventFile } from '../src/data/events/event-file.ts';
import { eventStats } from '../src/data/events/event-stream.ts';
import { inspectFile } from '../src/data/inspect.ts';
import type { EventFileReport } from '../src/data/inspect.ts';
import { RECORDINGS } from './helpers/shared-data.ts';
import { refusedEventFile } from './helpers/event-refusal.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snn-aedat4-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let fileNo = 0;
function write(bytes: Uint8Array): string {
  const path = join(tmp, `f${fileNo++}.aedat4`);
  writeFileSync(path, bytes);
  return path;
}
const refused = (path: string, offset?: number): SnnError => refusedEventFile(path, 'malformedInput', offset);

const N = 5000;
const all = {
  count: N,
  x: Array.from({ length: N }, (_, i) => (i * 7) % 346),
  y: Array.from({ length: N }, (_, i) => (i * 13) % 260),
  t: Array.from({ length: N }, (_, i) => 1.7e15 + i * 3),
  p: Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 1 : 0)),
};
const part = (s: number, e: number) => ({ count: e - s, x: all.x.slice(s, e), y: all.y.slice(s, e), t: all.t.slice(s, e), p: all.p.slice(s, e) });
const STREAMS = [
  { id: 0, type: 'EVTS', width: 346, height: 260 }, { id: 1, type: 'FRME', width: 346, height: 260 },
  { id: 2, type: 'IMUS' }, { id: 3, type: 'TRIG' }, { id: 4, type: 'EVTS', width: 346, height: 260 },
];
const mixed = (extra: Partial<Aedat4WriteOptions> = {}): Aedat4WriteOptions => ({
  streams: STREAMS,
  packets: [
    { stream: 0, events: part(0, 3000) }, { stream: 1, frame: { t: 1.7e15, width: 346, height: 260 } },
    { stream: 2, imu: [1, 2, 3, 4, 5] }, { stream: 3, triggers: [7, 8] }, { stream: 4, events: part(0, 10) },
    { stream: 0, events: part(3000, N) },
  ],
  ...extra,
});

function checkMixed(path: string): void {
  const s = readEventFile(path);
  assert.equal(s.format, 'AEDAT 4.0');
  assert.deepEqual([s.width, s.height, s.origin, s.sensor], [346, 260, 'upper-left', 'DAVIS346']);
  assert.equal(s.count, N);
  assert.deepEqual(Array.from(s.x), all.x);
  assert.deepEqual(Array.from(s.y), all.y);
  assert.deepEqual(Array.from(s.t), all.t);
  assert.deepEqual(Array.from(s.p), all.p);
  const summary = streamEventFile(path, () => {});
  assert.deepEqual(summary.skippedKinds, { frames: 1, imu: 5, triggers: 2, otherEvents: 10 });
  assert.equal(summary.skipped, 18);
}

describe('AEDAT 4.0', () => {
  // The files this project writes are checked below whether or not the recordings are present.
  test('the tonic sample (DVXplorer, LZ4, with a data table) decodes as an independent decoder does', { skip: !RECORDINGS && 'the real recordings are not present' }, () => {
    // Figures from an independent decoder written from the format description (Debian python3,
    // numpy and python3-lz4 (liblz4); flatbuffer fields read by hand), not from this reader.
    const r = inspectFile(RECORDINGS!.path('aedat4')) as EventFileReport;
    assert.equal(r.format, 'AEDAT 4.0');
    assert.deepEqual([r.sensor, r.width, r.height, r.origin], ['DVXplorer', 320, 240, 'upper-left']);
    assert.deepEqual([r.events, r.onEvents, r.sumX, r.sumY, r.sumT], [111954, 55023, 18342405, 15105898, '179746344603429281628']);
    assert.deepEqual([r.tFirst, r.tLast, r.tNondecreasing], [1605537493718345, 1605537494308262, true]);
    assert.deepEqual([r.xRange, r.yRange], [[0, 319], [0, 239]]);
    assert.deepEqual(r.skippedKinds, { frames: 0, imu: 475, triggers: 0, otherEvents: 0 });
    const details = r.details as { compression: string; dataTable: Record<string, number>; streams: { id: number; type: string; packets: number }[] };
    assert.equal(details.compression, 'LZ4');
    assert.deepEqual(details.streams.map((s) => [s.id, s.type, s.packets]), [[0, 'EVTS', 59], [2, 'IMUS', 59], [3, 'TRIG', 0]]);
    // The data table DV wrote agrees with the packets decoded.
    assert.deepEqual(details.dataTable, { packets: 118, events: 111954, tFirst: 1605537493718345, tLast: 1605537494308262 });
  });

  for (const compression of ['none', 'lz4', 'zstd'] as const) {
    test(`written ${compression === 'none' ? 'uncompressed' : compression}: events, frames, IMU, triggers and a second event stream`, () => {
      checkMixed(write(encodeAedat4(mixed({ compression }))));
    });
  }

  test('without a data table (a recording DV did not close)', () => {
    const path = write(encodeAedat4(mixed({ dataTable: false })));
    checkMixed(path);
    assert.equal((streamEventFile(path, () => {}).details as Record<string, unknown>).dataTable, undefined);
  });

  const has = (tool: string): boolean => { try { execFileSync(tool, ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } };
  test('packets compressed by the zstd tool (entropy-coded, with and without a declared size)', { skip: !has('zstd') && 'no zstd tool' }, () => {
    const viaStdin = (b: Uint8Array) => execFileSync('zstd', ['-q', '-c', '-9'], { input: b });
    checkMixed(write(encodeAedat4(mixed({ compression: 'zstd', compressor: viaStdin }))));
    const withSize = (b: Uint8Array) => { const f = join(tmp, 'pk'); writeFileSync(f, b); return execFileSync('zstd', ['-q', '-c', '-3', f]); };
    checkMixed(write(encodeAedat4(mixed({ compression: 'zstd', compressor: withSize }))));
  });

  test('packets compressed by the lz4 tool (linked blocks, block checksums, 64 KiB blocks)', { skip: !has('lz4') && 'no lz4 tool' }, () => {
    const linked = (b: Uint8Array) => execFileSync('lz4', ['-q', '-c', '-BD', '-B4', '-BX', '--content-size'], { input: b });
    checkMixed(write(encodeAedat4(mixed({ compression: 'lz4', compressor: linked }))));
  });

  test('zero events', () => {
    const path = write(encodeAedat4({ packets: [] }));
    assert.equal(readEventFile(path).count, 0);
  });

  test('malformed files: one line naming the file, the offset and what was expected', () => {
    const good = encodeAedat4(mixed({ compression: 'lz4', dataTable: false }));
    const headerLen = new DataView(good.buffer, good.byteOffset).getInt32(14, true);
    const body = 18 + headerLen;
    // Truncated in the middle of the last packet.
    assert.match(refused(write(good.subarray(0, good.length - 5))).message, /packet size \d+ is not within/);
    // The IOHeader length runs past the file.
    const longHeader = Uint8Array.from(good); new DataView(longHeader.buffer).setInt32(14, 1 << 30, true);
    refused(write(longHeader), 14);
    // A packet of a stream the header does not declare.
    const unknown = Uint8Array.from(good); new DataView(unknown.buffer).setInt32(body, 9, true);
    assert.match(refused(write(unknown), body).message, /stream 9/);
    // A packet size beyond the file.
    const big = Uint8Array.from(good); new DataView(big.buffer).setInt32(body + 4, 0x7fffffff, true);
    refused(write(big), body + 4);
    // A broken LZ4 frame magic.
    const magic = Uint8Array.from(good); magic[body + 8] ^= 0xff;
    assert.match(refused(write(magic), body + 8).message, /LZ4 frame: magic/);
    // A packet whose flatbuffer identifier is not its stream's.
    const frameAsEvents = encodeAedat4({ compression: 'none', streams: STREAMS, packets: [{ stream: 2, raw: eventPacketBytes(part(0, 3)) }] });
    assert.match(refused(write(frameAsEvents)).message, /identifier 'EVTS', expected 'IMUS'/);
    // An event vector longer than its packet, and an event outside the sensor.
    const vec = eventPacketBytes(part(0, 3)); new DataView(vec.buffer).setUint32(28, 1e9, true);
    assert.match(refused(write(encodeAedat4({ compression: 'none', packets: [{ stream: 0, raw: vec }] }))).message, /runs past the buffer/);
    assert.match(refused(write(encodeAedat4({ compression: 'none', packets: [{ stream: 0, events: { count: 1, x: [400], y: [0], t: [1], p: [1] } }] }))).message, /outside the 346×260 sensor/);
    // LZ4 blocks whose matches reach before the output, or decode past the block maximum.
    const lz4Frame = (bd: number, block: number[]) => Uint8Array.from([0x04, 0x22, 0x4d, 0x18, 0x60, bd, 0, block.length & 255, block.length >> 8, 0, 0, ...block, 0, 0, 0, 0]);
    const viaLz4 = (frame: Uint8Array) => write(encodeAedat4({ compression: 'lz4', packets: [{ stream: 0, raw: new Uint8Array(0) }], compressor: () => frame, dataTable: false }));
    assert.match(refused(viaLz4(lz4Frame(0x40, [0x0f, 1, 0, 0]))).message, /match offset 1 reaches before the start/);
    assert.match(refused(viaLz4(lz4Frame(0x40, [0x1f, 0x41, 1, 0, ...new Array(1000).fill(0xff), 0]))).message, /more than the frame's 65536-byte block maximum/);
    // A zstd frame that declares a huge size from a few bytes, and a header without event stream.
    const bomb = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0x40, 0, 0, 0, 0, 1, 0, 0]);
    assert.match(refused(write(encodeAedat4({ compression: 'zstd', packets: [{ stream: 0, raw: new Uint8Array(0) }], compressor: () => bomb, dataTable: false }))).message, /declares 1073741824 decompressed bytes/);
    assert.match(refused(write(encodeAedat4({ streams: [{ id: 2, type: 'IMUS' }], packets: [] }))).message, /no event stream/);
    // Hostile stream descriptions cost one pass: a million unclosed tags, nodes nested a million deep.
    const t0 = performance.now();
    refused(write(encodeAedat4({ packets: [], xml: '<node name="x" '.repeat(1_000_000) + '>' })));
    assert.match(refused(write(encodeAedat4({ packets: [], xml: '<node name="outInfo">' + '<node name="1">'.repeat(1_000_000) }))).message, /nests more than 64 levels/);
    assert.ok(performance.now() - t0 < 20_000, 'linear in the description');
    // Not AEDAT 4.0 after all: the version line without CR LF.
    refused(write(Buffer.from('#!AER-DAT4.0\n\0\0\0\0', 'latin1')), 0);
  });

  test('events/s of the 10 M-event bench stay in bench:events; here a streaming read in chunks sees every event once', () => {
    const path = write(encodeAedat4(mixed()));
    let n = 0;
    streamEventFile(path, (c) => { n += c.count; }, { chunkBytes: 16 * 1000 });
    assert.equal(n, N);
    assert.equal(eventStats(readEventFile(path)).onEvents, all.p.filter((v) => v).length);
  });
});
