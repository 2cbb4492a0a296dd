import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { SnnError } from '../src/errors.ts';
import { encodeAedat2 } from '../src/data/events/aedat2-writer.ts';
import { probeEventFile, readEventFile, streamEventFile } from '../src/data/events/event-file.ts';
import { EventBuffer, eventStats } from '../src/data/events/event-stream.ts';
import { Random } from '../src/util/random.ts';
import { EVENT_SOURCES } from './helpers/shared-data.ts';
import { aedat31Bytes, polarity } from './helpers/aedat31-bytes.ts';

const tmp = mkdtempSync(join(tmpdir(), 'snn-data-events-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Asserts that `fn` throws an SnnError of `kind` whose message names `file` and the byte `offset`. */
function assertRefused(fn: () => unknown, kind: SnnError['kind'], file: string, offset?: number): SnnError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SnnError, `expected an SnnError, got ${(err as Error)?.stack}`);
    assert.equal(err.kind, kind, err.message);
    assert.ok(err.message.includes(file), `message does not name the file: ${err.message}`);
    if (offset !== undefined) assert.match(err.message, new RegExp(`offset ${offset}\\b`), `message does not name offset ${offset}: ${err.message}`);
    return err;
  }
  assert.fail('expected an error');
}

function writeTmp(name: string, bytes: Uint8Array | string): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

/** Every file below `dir`, relative to it. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => relative(dir, join(d.parentPath ?? d.path, d.name)));
}

for (const src of EVENT_SOURCES) describe(`${src.name} event files decode to their expected_stats.json`, () => {
  const expected = src.expected;
  test('every AEDAT 1.0/2.0/3.1 and N-MNIST file of the folder is covered', () => {
    // The AEDAT 4.0 file is in data-events-aedat4.test.ts; labels, notes and the stats are not event files.
    const files = filesBelow(src.dir).filter((f) => !/\.(json|csv|md|aedat4)$/.test(f)).sort();
    assert.deepEqual(expected.map((e) => e.file).sort(), files);
    if (src.real) assert.equal(expected.length, 15);
  });
  for (const e of expected) {
    test(e.file, () => {
      const path = join(src.dir, e.file);
      const s = readEventFile(path);
      const st = eventStats(s);
      assert.equal(s.format, e.format);
      assert.equal(st.events, e.events);
      assert.equal(s.count, e.events);
      assert.deepEqual(st.xRange, e.x_range);
      assert.deepEqual(st.yRange, e.y_range);
      assert.equal(st.onEvents, e.on_events);
      assert.equal(st.tFirst, e.t_first);
      assert.equal(st.tLast, e.t_last);
      assert.equal(st.tNondecreasing, e.t_nondecreasing);
      assert.equal(st.sumX, BigInt(e.sum_x));
      assert.equal(st.sumY, BigInt(e.sum_y));
      assert.equal(st.sumT, BigInt(e.sum_t));
      for (let i = 0; i < e.first_events.length; i++) assert.deepEqual([s.x[i], s.y[i], s.p[i], s.t[i]], e.first_events[i]);
      assert.deepEqual(s.headerLines.slice(0, e.first_header_lines.length), e.first_header_lines);
      if (e.header_bytes !== undefined) assert.equal(s.bodyOffset, e.header_bytes);
    });
  }

  test('tiny read chunks give the same events as one big read (chunk seams are exact)', () => {
    for (const file of [src.path('aedat1'), src.path('mnistDvs'), src.path('aedat31'), src.path('nmnistSample')]) {
      const path = file;
      const whole = readEventFile(path);
      const pieces = readEventFile(path, { chunkBytes: 4100 });
      assert.deepEqual(pieces.x, whole.x, file);
      assert.deepEqual(pieces.t, whole.t, file);
      assert.deepEqual(pieces.p, whole.p, file);
    }
  });

  test('streaming can stop early and restart at a chunk offset', () => {
    const path = src.path('aedat2Long');
    const whole = readEventFile(path);
    const offsets: { offset: number; seen: number }[] = [];
    let seen = 0;
    streamEventFile(path, (c) => { offsets.push({ offset: c.byteOffset, seen }); seen += c.count; return offsets.length < 3; }, { chunkBytes: 1 << 16 });
    assert.equal(offsets.length, 3);
    const resume = new EventBuffer();
    streamEventFile(path, (c) => { resume.append(c); }, { startOffset: offsets[2].offset, chunkBytes: 1 << 16 });
    assert.equal(resume.count, whole.count - offsets[2].seen);
    assert.deepEqual(resume.t.subarray(0, resume.count), whole.t.subarray(offsets[2].seen));
  });

  test('coordinate convention: raw fields, origin recorded per format', () => {
    assert.equal(probeEventFile(src.path('aedat2Long')).origin, 'lower-left');
    assert.equal(probeEventFile(src.path('aedat31')).origin, 'upper-left');
    assert.equal(probeEventFile(src.path('nmnistSample')).origin, 'upper-left');
  });
});

describe('refusals', () => {
  test('AEDAT versions without a reader (3.0, 5.0) are refused as versions we do not read', () => {
    const path = writeTmp('v5.aedat', '#!AER-DAT5.0\r\n#!END-HEADER\r\n');
    const err = assertRefused(() => readEventFile(path), 'incompatibleVersion', path);
    assert.match(err.message, /AEDAT version '5\.0'/);
  });

  test('DAVIS addresses in an AEDAT 2.0 body are refused, not misread', () => {
    const body = new Uint8Array(16);
    const v = new DataView(body.buffer);
    v.setUint32(0, (10 << 1) | (20 << 8), false); v.setUint32(4, 5, false);
    v.setUint32(8, (100 << 22) | (200 << 12) | (1 << 11), false); v.setUint32(12, 6, false);
    const header = '#!AER-DAT2.0\r\n# This is a raw AE data file - do not edit\r\n';
    const path = writeTmp('davis-bits.aedat', Buffer.concat([Buffer.from(header, 'latin1'), body]));
    assertRefused(() => readEventFile(path), 'malformedInput', path, header.length + 8);
  });

  test('a DAVIS chip named in the header goes to the DAVIS reader (data-events-davis.test.ts), and is refused where DVS128 is expected', () => {
    const path = writeTmp('davis-header.aedat', '#!AER-DAT2.0\r\n# AEChip: eu.seebetter.ini.chips.davis.Davis346red\r\n');
    assert.equal(readEventFile(path).sensor, 'DAVIS346');
    assertRefused(() => readEventFile(path, { expectSensor: 'DVS128' }), 'incompatibleVersion', path);
  });

  test('an AEDAT 3.1 file from a non-DVS128 sensor is refused where DVS128 is expected', () => {
    const path = writeTmp('davis.aedat', aedat31Bytes('DAVIS240C', []));
    assert.equal(readEventFile(path).sensor, 'DAVIS240');
    assertRefused(() => readEventFile(path, { expectSensor: 'DVS128' }), 'incompatibleVersion', path);
  });
});

describe('AEDAT 1.0 / 2.0 specifics', () => {
  test('a header-only file has zero events', () => {
    const path = writeTmp('empty.aedat', '#!AER-DAT2.0\n# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128\n');
    const s = readEventFile(path);
    assert.equal(s.count, 0);
    assert.equal(s.headerLines.length, 2);
  });

  test("an AEDAT 1.0 event starting with '#' (y = 35) is not taken for a header line", () => {
    const header = '#!AER-DAT1.0\r\n# Timestamps tick is 1 us\r\n';
    const body = new Uint8Array(12);
    const v = new DataView(body.buffer);
    v.setUint16(0, (35 << 8) | (17 << 1) | 1, false); v.setUint32(2, 7, false);
    v.setUint16(6, (3 << 8) | (4 << 1), false); v.setUint32(8, 9, false);
    assert.equal(body[0], 0x23);
    const path = writeTmp('hash-event.dat', Buffer.concat([Buffer.from(header, 'latin1'), body]));
    const s = readEventFile(path);
    assert.equal(s.bodyOffset, header.length);
    assert.deepEqual([s.count, s.x[0], s.y[0], s.p[0], s.t[0], s.x[1], s.y[1], s.t[1]], [2, 17, 35, 1, 7, 4, 3, 9]);
  });

  test('external (bit 15) and special (bit 31) events are skipped and counted', () => {
    const body = new Uint8Array(24);
    const v = new DataView(body.buffer);
    v.setUint32(0, 0x8000, false); v.setUint32(4, 1, false);
    v.setUint32(8, 0x80000000, false); v.setUint32(12, 2, false);
    v.setUint32(16, (1 << 8) | (2 << 1), false); v.setUint32(20, 3, false);
    const path = writeTmp('special.aedat', Buffer.concat([Buffer.from('#!AER-DAT2.0\r\n', 'latin1'), body]));
    const s = readEventFile(path);
    assert.equal(s.count, 1);
    assert.equal(s.skipped, 2);
    assert.deepEqual([s.x[0], s.y[0], s.t[0]], [2, 1, 3]);
  });

  test('32-bit timestamp wrap-around continues the time line', () => {
    const body = new Uint8Array(16);
    const v = new DataView(body.buffer);
    v.setUint32(0, 2, false); v.setUint32(4, 0xfffffff0, false);
    v.setUint32(8, 2, false); v.setUint32(12, 0x10, false);
    const s = readEventFile(writeTmp('wrap.aedat', Buffer.concat([Buffer.from('#!AER-DAT2.0\r\n', 'latin1'), body])));
    assert.deepEqual(Array.from(s.t), [0xfffffff0, 2 ** 32 + 0x10]);
  });

  test('the AEDAT 2.0 writer round-trips through the reader', () => {
    const rng = new Random(3);
    const n = 1000;
    const ev = { count: n, x: new Uint16Array(n), y: new Uint16Array(n), t: new Float64Array(n), p: new Uint8Array(n) };
    let t = 0;
    for (let i = 0; i < n; i++) { ev.x[i] = Math.floor(rng.next() * 128); ev.y[i] = Math.floor(rng.next() * 128); ev.p[i] = rng.next() < 0.5 ? 1 : 0; t += Math.floor(rng.next() * 50); ev.t[i] = t; }
    const path = writeTmp('roundtrip.aedat', encodeAedat2(ev, ['made by a test']));
    const s = readEventFile(path);
    assert.equal(s.format, 'AEDAT 2.0');
    assert.deepEqual(s.x, ev.x); assert.deepEqual(s.y, ev.y); assert.deepEqual(s.p, ev.p); assert.deepEqual(s.t, ev.t);
    assert.ok(s.headerLines.includes('# made by a test'));
  });
});


describe('AEDAT 3.1 specifics', () => {
  test('valid bit, polarity bits, timestamp overflow and non-polarity packets', () => {
    const path = writeTmp('a31.aedat', aedat31Bytes('DVS128', [
      { events: [[polarity(5, 6, 1), 100], [polarity(7, 8, 0, 0), 101]] },
      { type: 2, events: [[0xdeadbeef, 5]] },
      { overflow: 3, events: [[polarity(127, 127, 0), 7]] },
    ]));
    const s = readEventFile(path);
    assert.equal(s.count, 2);
    assert.equal(s.skipped, 2);
    assert.deepEqual([s.x[0], s.y[0], s.p[0], s.t[0]], [5, 6, 1, 100]);
    assert.deepEqual([s.x[1], s.y[1], s.p[1], s.t[1]], [127, 127, 0, 3 * 2 ** 31 + 7]);
  });

  test('a file without #!END-HEADER is refused', () => {
    const path = writeTmp('noend.aedat', '#!AER-DAT3.1\r\n#Format: RAW\r\n');
    assertRefused(() => readEventFile(path), 'malformedInput', path);
  });
});

for (const src of EVENT_SOURCES) describe(`malformed input gives a typed error naming file and offset (${src.name} files)`, () => {
  const aedat2 = readFileSync(src.path('mnistDvs'));
  const aedat1 = readFileSync(src.path('aedat1'));
  const aedat31 = readFileSync(src.path('aedat31'));
  const nmnist = readFileSync(src.path('nmnistSample'));
  const aedat2Header = src.expected.find((e) => e.file === src.roles.mnistDvs)!.header_bytes!;
  // The AEDAT 3.1 files hold polarity packets of 4096 events (28-byte header + 8 bytes per event) after their text header.
  const h31 = aedat31.indexOf('#!END-HEADER\r\n') + 14;
  const packetBytes = 28 + 8 * 4096;
  const lastPacket = h31 + Math.floor((aedat31.length - h31) / packetBytes) * packetBytes;
  const tag = src.name;

  test('truncated records (AEDAT 1.0, 2.0, N-MNIST) name the offset of the partial record', () => {
    const a2 = writeTmp(`${tag}-trunc2.aedat`, aedat2.subarray(0, aedat2.length - 3));
    assertRefused(() => readEventFile(a2), 'malformedInput', a2, aedat2.length - 8);
    const a1 = writeTmp(`${tag}-trunc1.dat`, aedat1.subarray(0, aedat1.length - 1));
    assertRefused(() => readEventFile(a1), 'malformedInput', a1, aedat1.length - 6);
    const nm = writeTmp(`${tag}-trunc.bin`, nmnist.subarray(0, nmnist.length - 2));
    assertRefused(() => readEventFile(nm), 'malformedInput', nm, nmnist.length - 5);
  });

  test('truncated AEDAT 3.1 packet: payload and header cut short', () => {
    const cut = writeTmp(`${tag}-trunc31.aedat`, aedat31.subarray(0, aedat31.length - 100));
    // The last packet (951189 in the recording: the 30th) no longer fits its payload.
    if (src.real) assert.equal(lastPacket, 951189);
    assertRefused(() => readEventFile(cut), 'malformedInput', cut, lastPacket);
    const headerCut = writeTmp(`${tag}-trunc31h.aedat`, aedat31.subarray(0, h31 + packetBytes + 10));
    assertRefused(() => readEventFile(headerCut), 'malformedInput', headerCut, h31 + packetBytes);
  });

  test('a packet size that lies (capacity past the end, or a size that lands mid-packet)', () => {
    const lie = Buffer.from(aedat31);
    lie.writeInt32LE(50_000_000, h31 + 16);
    const p1 = writeTmp(`${tag}-lie1.aedat`, lie);
    assertRefused(() => readEventFile(p1), 'malformedInput', p1, h31);
    const short = Buffer.from(aedat31);
    short.writeInt32LE(100, h31 + 16); short.writeInt32LE(100, h31 + 20); short.writeInt32LE(100, h31 + 24);
    const p2 = writeTmp(`${tag}-lie2.aedat`, short);
    // The next "header" is read inside event data at h31 + 28 + 800 and fails its checks.
    assertRefused(() => readEventFile(p2), 'malformedInput', p2, h31 + 28 + 800);
    const wrongSize = Buffer.from(aedat31);
    wrongSize.writeInt32LE(12, h31 + 4);
    const p3 = writeTmp(`${tag}-lie3.aedat`, wrongSize);
    assertRefused(() => readEventFile(p3), 'malformedInput', p3, h31);
  });

  test('a wrong header', () => {
    const noVersion = writeTmp(`${tag}-garbage-version.aedat`, '#!AER-DAT9.9\r\n');
    assertRefused(() => readEventFile(noVersion), 'incompatibleVersion', noVersion);
    const binary = writeTmp(`${tag}-no-header.aedat`, Buffer.concat([Buffer.from([0, 0, 0, 2]), aedat2.subarray(aedat2Header)]));
    assertRefused(() => readEventFile(binary), 'malformedInput', binary, 0);
    const open = writeTmp(`${tag}-open-header.aedat`, '#!AER-DAT2.0\r\n# cut here');
    assertRefused(() => readEventFile(open), 'malformedInput', open, 14);
  });

  test('random bytes, with and without a valid header, never crash or hang', () => {
    const rng = new Random(42);
    for (let trial = 0; trial < 40; trial++) {
      const len = 64 + Math.floor(rng.next() * 4000);
      const bytes = new Uint8Array(len);
      for (let i = 0; i < len; i++) bytes[i] = Math.floor(rng.next() * 256);
      const headers = ['', '#!AER-DAT1.0\r\n', '#!AER-DAT2.0\r\n', '#!AER-DAT3.1\r\n#!END-HEADER\r\n'];
      const header = headers[trial % headers.length];
      const ext = trial % 5 === 0 ? '.bin' : '.aedat';
      const path = writeTmp(`${tag}-random-${trial}${ext}`, Buffer.concat([Buffer.from(header, 'latin1'), bytes]));
      const err = assertRefused(() => readEventFile(path), 'malformedInput', path);
      assert.match(err.message, /offset \d+/, err.message);
    }
  });

  test('missing files are missingInput', () => {
    assertRefused(() => readEventFile(join(tmp, `${tag}-nope.aedat`)), 'missingInput', join(tmp, `${tag}-nope.aedat`));
  });
});
