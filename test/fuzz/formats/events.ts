/**
 * Event-camera recordings: AEDAT 1.0, 2.0 and 3.1, N-MNIST `.bin` and MNIST-DVS folders. Each is
 * read as `data inspect` reads it, then as the data set loaders read it (whole file, then frames).
 * The newer formats (AEDAT 4.0, DAVIS, EVT) are in events-modern.ts.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectFile } from '../../../src/data/inspect.ts';
import { DvsEmulator } from '../../../src/data/emulator.ts';
import { encodeAedat2 } from '../../../src/data/events/aedat2-writer.ts';
import { readEventFile } from '../../../src/data/events/event-file.ts';
import { writeFrames, frameShape } from '../../../src/data/frames.ts';
import type { FrameOptions } from '../../../src/data/frames.ts';
import { EMULATION_MANIFEST, loadMnistDvs } from '../../../src/data/mnist-dvs.ts';
import { loadNmnist } from '../../../src/data/nmnist.ts';
import { Random } from '../../../src/util/random.ts';
import type { FuzzFormat } from '../format.ts';
import { aedat31Bytes, polarity } from '../../helpers/aedat31-bytes.ts';
import { encodeAedat1, encodeNmnistBin } from '../../helpers/event-writers.ts';

const FRAMES: FrameOptions = { timeSteps: 10, binning: 'time', mode: 'count' };

/** Reads the file whole and bins it into frames over its own sensor, as the event data sets do. */
export function readAndFrame(path: string): void {
  inspectFile(path);
  const s = readEventFile(path);
  if (s.width < 1 || s.height < 1) return;
  const out = new Float32Array(frameShape(s, FRAMES).reduce((a, b) => a * b, 1));
  writeFrames(s, s, FRAMES, out);
  writeFrames(s, s, { ...FRAMES, binning: 'count', downsample: 4 }, out);
}

/** Synthetic DVS128 events: a blob moving across the sensor, timestamps increasing. */
function dvsEvents(n: number, seed: number) {
  const rng = new Random(seed);
  const x: number[] = [], y: number[] = [], t: number[] = [], p: number[] = [];
  for (let i = 0; i < n; i++) {
    x.push(Math.floor((i / n) * 100 + rng.next() * 20)); y.push(Math.floor(40 + rng.next() * 40));
    t.push(1000 + i * 37 + Math.floor(rng.next() * 20)); p.push(rng.next() < 0.5 ? 1 : 0);
  }
  return { count: n, x, y, t, p };
}

const concat = (parts: Uint8Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** The length of the leading '#' lines, which byte mutations mostly leave alone so that they reach the events. */
function headerLength(bytes: Uint8Array): number {
  let pos = 0;
  while (pos < bytes.length && bytes[pos] === 0x23) {
    const lf = bytes.indexOf(0x0a, pos);
    if (lf < 0) return bytes.length;
    pos = lf + 1;
  }
  return pos;
}

/** A seed whose header lines are spared by most mutations. */
const eventSeed = (name: string, bytes: Uint8Array) => ({ name, bytes, spare: headerLength(bytes) });

function aedat1(n: number, seed: number): Uint8Array {
  return encodeAedat1(dvsEvents(n, seed), ['# AER data file, version 1.0 (no version line)', '# created by the snn-export fuzzer']);
}

function nmnistBin(n: number, seed: number): Uint8Array {
  const rng = new Random(seed);
  const x: number[] = [], y: number[] = [], t: number[] = [], p: number[] = [];
  for (let i = 0; i < n; i++) {
    x.push(Math.floor(rng.next() * 34)); y.push(Math.floor(rng.next() * 34)); p.push(rng.next() < 0.5 ? 1 : 0); t.push(100 + i * 211);
  }
  return encodeNmnistBin({ count: n, x, y, t, p });
}

/** The header lines of a seed, without its events. */
const headerOnly = (bytes: Uint8Array, bodyOffset: number): Uint8Array => bytes.subarray(0, bodyOffset);

export const aedat1Format: FuzzFormat = {
  name: 'aedat1', entry: 'data inspect, event loaders (readEventFile, frames)', fileName: 'case.dat', text: true,
  seeds: async () => [eventSeed('60 events', aedat1(60, 1)), eventSeed('5 events', aedat1(5, 2))],
  crafted: (seeds) => {
    const hdr = headerOnly(seeds[0].bytes, seeds[0].bytes.indexOf(0x0a, 50) + 1);
    return [
      { name: 'timestamps jumping back by 2^31', bytes: concat([hdr, Buffer.from([0, 2, 0x7f, 0xff, 0xff, 0xff, 0, 4, 0x80, 0, 0, 0])]) },
      { name: 'a header line of 1 MB without a line feed', bytes: concat([Buffer.from(`#${'a'.repeat(1 << 20)}`, 'latin1')]) },
      { name: '100 000 header lines', bytes: Buffer.from('#\r\n'.repeat(100_000), 'latin1') },
      { name: 'a header only', bytes: hdr },
    ];
  },
  read: async (path) => readAndFrame(path),
};

export const aedat2Format: FuzzFormat = {
  name: 'aedat2', entry: 'data inspect, event loaders (readEventFile, frames)', fileName: 'case.aedat', text: true,
  seeds: async () => [
    eventSeed('80 events', encodeAedat2(dvsEvents(80, 3), ['made by the snn-export fuzzer'])),
    eventSeed('emulated digit', encodeAedat2(new DvsEmulator({ durationUs: 20_000 }, 1).record(Uint8Array.from({ length: 64 }, (_, i) => (i % 9) * 30), 8, 8, 1))),
  ],
  crafted: (seeds) => {
    const hdr = headerOnly(seeds[0].bytes, seeds[0].bytes.lastIndexOf(0x0a, 300) + 1);
    const rec = (a: number, t: number) => { const b = Buffer.alloc(8); b.writeUInt32BE(a >>> 0); b.writeUInt32BE(t >>> 0, 4); return b; };
    return [
      { name: 'timestamps 2^32−1 then 0 (a wrap)', bytes: concat([hdr, rec(2, 0xffffffff), rec(4, 0), rec(6, 5)]) },
      { name: 'special and external events only', bytes: concat([hdr, rec(0x80000000, 1), rec(0x8000, 2)]) },
      { name: 'a DAVIS address', bytes: concat([hdr, rec(0x12345678, 1)]) },
      { name: 'AEChip: DAVIS240 header', bytes: concat([Buffer.from('#!AER-DAT2.0\r\n# AEChip: eu.seebetter.ini.chips.davis.DAVIS240C\r\n', 'latin1'), rec(2, 1)]) },
      { name: 'version line 4.0', bytes: Buffer.from('#!AER-DAT4.0\r\n#!END-HEADER\r\n\0\0\0\0', 'latin1') },
      { name: 'version line 3.0', bytes: Buffer.from('#!AER-DAT3.0\r\n#!END-HEADER\r\n\0\0\0\0', 'latin1') },
      { name: 'version line 9999999999.0', bytes: concat([Buffer.from('#!AER-DAT9999999999.0\r\n', 'latin1'), rec(2, 1)]) },
    ];
  },
  read: async (path) => readAndFrame(path),
};

export const aedat31Format: FuzzFormat = {
  name: 'aedat31', entry: 'data inspect, DVS Gesture loader (readEventFile, frames)', fileName: 'case.aedat', text: true,
  seeds: async () => [
    eventSeed(
      'DVS128 three packets', aedat31Bytes('DVS128', [
        { events: Array.from({ length: 20 }, (_, i) => [polarity(i * 5, 127 - i * 3, i & 1, i === 7 ? 0 : 1), 100 + i * 10] as [number, number]) },
        { type: 2, events: [[0xdeadbeef, 5]] },
        { overflow: 1, events: [[polarity(127, 0, 0), 7], [polarity(0, 127, 1), 9]] },
      ]),
    ),
    eventSeed('DAVIS346 one packet', aedat31Bytes('DAVIS346B', [{ events: [[polarity(345, 259, 1), 1], [polarity(0, 0, 0), 2]] }])),
  ],
  crafted: () => {
    const packet = (fields: number[], payload = 0): Uint8Array => {
      const buf = new Uint8Array(28 + payload);
      const v = new DataView(buf.buffer);
      v.setInt16(0, fields[0], true); v.setInt16(2, 1, true);
      for (let i = 1; i < 7; i++) v.setInt32(4 * i, fields[i] | 0, true);
      return buf;
    };
    const hdr = Buffer.from('#!AER-DAT3.1\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n', 'latin1');
    return [
      { name: 'capacity 2^31−1', bytes: concat([hdr, packet([1, 8, 4, 0, 0x7fffffff, 1, 1], 8)]) },
      { name: 'event size 2^31−1', bytes: concat([hdr, packet([2, 0x7fffffff, 4, 0, 1, 1, 1], 8)]) },
      { name: 'timestamp overflow 2^31−1', bytes: concat([hdr, packet([1, 8, 4, 0x7fffffff, 1, 1, 1], 8)]) },
      { name: '10 000 empty packets', bytes: concat([hdr, ...Array.from({ length: 10_000 }, () => packet([1, 8, 4, 0, 0, 0, 0]))]) },
      { name: 'no end-of-header line', bytes: Buffer.from('#!AER-DAT3.1\r\n#Source 1: DVS128\r\n\0\0\0\0\0\0', 'latin1') },
      { name: 'sensor 2^31 pixels wide', bytes: aedat31Bytes('unknown-sensor 2147483648x2147483648', [{ events: [[polarity(3, 3, 1), 1]] }]) },
    ];
  },
  read: async (path) => readAndFrame(path),
};

export const nmnistFormat: FuzzFormat = {
  name: 'nmnist', entry: 'data inspect, N-MNIST loader (loadNmnist, frames)', fileName: 'case.bin', text: false,
  seeds: async () => [{ name: '100 events', bytes: nmnistBin(100, 4) }, { name: '1 event', bytes: nmnistBin(1, 5) }],
  crafted: () => [
    { name: 'coordinates 255', bytes: Uint8Array.of(255, 255, 0x80, 0, 1) },
    { name: 'timestamps descending', bytes: Uint8Array.of(1, 1, 0x7f, 0xff, 0xff, 2, 2, 0, 0, 0) },
    { name: 'empty file', bytes: new Uint8Array(0) },
    { name: '2 MB of 0xff', bytes: new Uint8Array(2_000_000).fill(0xff) },
    { name: '2 MB of zeros', bytes: new Uint8Array(2_000_000) },
  ],
  read: async (path, scratch) => {
    inspectFile(path);
    for (const split of ['Train', 'Test']) {
      for (let d = 0; d < 10; d++) mkdirSync(join(scratch, split, String(d)), { recursive: true });
      copyFileSync(path, join(scratch, split, '0', 'case.bin'));
    }
    const data = loadNmnist(scratch);
    data.train.writeSample(0, new Float32Array(data.train.sampleShape.reduce((a, b) => a * b, 1)), 0);
  },
};

export const mnistDvsFormat: FuzzFormat = {
  name: 'mnist-dvs', entry: 'MNIST-DVS loader (loadMnistDvs, frames)', fileName: 'case.aedat', text: true,
  seeds: async () => [
    eventSeed('emulated digit', encodeAedat2(new DvsEmulator({ durationUs: 30_000 }, 2).record(Uint8Array.from({ length: 100 }, (_, i) => (i % 7) * 40), 10, 10, 2))),
  ],
  crafted: (seeds) => aedat2Format.crafted(seeds).concat([
    { name: 'an AEDAT 3.1 file where MNIST-DVS expects DVS128 AEDAT 2.0', bytes: aedat31Bytes('DAVIS346B', [{ events: [[polarity(345, 259, 1), 1]] }]) },
  ]),
  read: async (path, scratch) => {
    for (let d = 0; d < 10; d++) mkdirSync(join(scratch, `grabbed_data${d}`, 'scale16'), { recursive: true });
    copyFileSync(path, join(scratch, 'grabbed_data0', 'scale16', 'mnist_0_scale16_0001.aedat'));
    writeFileSync(join(scratch, EMULATION_MANIFEST), JSON.stringify({ testIndexFrom: 0 }));
    const data = loadMnistDvs(scratch);
    data.test.writeSample(0, new Float32Array(data.test.sampleShape.reduce((a, b) => a * b, 1)), 0);
  },
};

