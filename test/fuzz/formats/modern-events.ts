/**
 * Event files from today's cameras (issue 21): AEDAT 4.0 (LZ4, Zstandard, uncompressed), Metavision
 * EVT 2.0 and EVT 3.0, and DAVIS AEDAT 2.0. Each case is read as `data inspect` reads it, then whole
 * and framed, as `train --dataset events` does. Seeds come from the project's writers.
 */
import { inspectFile } from '../../../src/data/inspect.ts';
import { encodeAedat4 } from '../../../src/data/events/aedat4-writer.ts';
import { encodeDavisAedat2 } from '../../../src/data/events/davis-writer.ts';
import { readEventFile } from '../../../src/data/events/event-file.ts';
import { encodeEvt2, encodeEvt3 } from '../../../src/data/events/evt-writer.ts';
import { frameShape, writeFrames } from '../../../src/data/frames.ts';
import type { FrameOptions } from '../../../src/data/frames.ts';
import { Random } from '../../../src/util/random.ts';
import type { FuzzFormat } from '../format.ts';

const FRAMES: FrameOptions = { timeSteps: 6, binning: 'time', mode: 'count', downsample: 4 };

function readAndFrame(path: string): void {
  inspectFile(path);
  const s = readEventFile(path);
  if (s.width < 1 || s.height < 1) return;
  writeFrames(s, s, FRAMES, new Float32Array(frameShape(s, FRAMES).reduce((a, b) => a * b, 1)));
}

/** Events in time order with short runs along rows (what EVT 3.0 vectorises). */
function events(n: number, W: number, H: number, seed: number, t0 = 0) {
  const rng = new Random(seed);
  const e = { count: n, x: [] as number[], y: [] as number[], t: [] as number[], p: [] as number[] };
  let t = t0;
  while (e.x.length < n) {
    t += Math.floor(rng.next() * 40);
    const y = Math.floor(rng.next() * H), p = rng.next() < 0.5 ? 1 : 0;
    let x = Math.floor(rng.next() * (W - 12));
    for (let k = 0, run = 1 + Math.floor(rng.next() * 5); k < run && e.x.length < n; k++) { e.x.push(x); e.y.push(y); e.t.push(t); e.p.push(p); x += 1 + (k & 1); }
  }
  return e;
}

const le32 = (...v: number[]): Buffer => { const b = Buffer.alloc(4 * v.length); v.forEach((x, i) => b.writeInt32LE(x | 0, 4 * i)); return b; };
const STREAMS = [{ id: 0, type: 'EVTS', width: 346, height: 260 }, { id: 1, type: 'FRME', width: 346, height: 260 }, { id: 2, type: 'IMUS' }, { id: 3, type: 'TRIG' }];
const mixed = (seed: number) => [
  { stream: 0, events: events(40, 346, 260, seed, 1.6e15) }, { stream: 1, frame: { t: 1.6e15, width: 8, height: 6 } },
  { stream: 2, imu: [1, 2, 3] }, { stream: 3, triggers: [4] }, { stream: 0, events: events(20, 346, 260, seed + 1, 1.6e15 + 5000) },
];

export const aedat4Format: FuzzFormat = {
  name: 'aedat4', entry: 'data inspect, event loaders (readEventFile, frames)', fileName: 'case.aedat4', text: false,
  seeds: async () => [
    { name: 'LZ4, four streams, data table', bytes: encodeAedat4({ compression: 'lz4', streams: STREAMS, packets: mixed(1) }), spare: 14 },
    { name: 'uncompressed, no data table', bytes: encodeAedat4({ compression: 'none', streams: STREAMS, packets: mixed(2), dataTable: false }), spare: 14 },
    { name: 'Zstandard', bytes: encodeAedat4({ compression: 'zstd', streams: STREAMS, packets: mixed(3) }), spare: 14 },
  ],
  crafted: (seeds) => {
    const good = Buffer.from(seeds[1].bytes);
    const body = 18 + good.readInt32LE(14);
    const head = good.subarray(0, body);
    const lz4 = Buffer.from(seeds[0].bytes);
    const lz4Body = 18 + lz4.readInt32LE(14);
    const withPacket = (bytes: Buffer, at: number, packet: Buffer) => Buffer.concat([bytes.subarray(0, at), packet]);
    return [
      { name: 'IOHeader length 2^31−1', bytes: Buffer.concat([good.subarray(0, 14), le32(0x7fffffff), good.subarray(18)]) },
      { name: 'packet size 2^31−1', bytes: withPacket(good, body, le32(0, 0x7fffffff)) },
      { name: '100 000 empty event packets', bytes: Buffer.concat([head, ...Array.from({ length: 100_000 }, () => le32(0, 0))]) },
      { name: 'event vector of 2^32−1 elements', bytes: withPacket(good, body, Buffer.concat([le32(0, 32), le32(28, 16), Buffer.from('EVTS'), Buffer.from([6, 0, 8, 0, 4, 0, 0, 0]), le32(8, 4, -1), Buffer.alloc(0)])) },
      { name: 'LZ4 block of 4 MiB declared in a 64 KiB frame', bytes: withPacket(lz4, lz4Body, Buffer.concat([le32(0, 15), Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0xc0]), le32(0x400000, 0)])) },
      { name: 'Zstandard frame declaring 2^40 bytes', bytes: withPacket(Buffer.from(seeds[2].bytes), 18 + Buffer.from(seeds[2].bytes).readInt32LE(14), Buffer.concat([le32(0, 16), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0])])) },
      { name: 'data table position past the end', bytes: (() => { const b = Buffer.from(lz4); b.writeInt32LE(0x7fffffff, b.indexOf('IOHE') + 12); return b; })() },
      { name: 'header only', bytes: head },
    ];
  },
  read: async (path) => readAndFrame(path),
};

const evtSpare = (bytes: Uint8Array): number => Buffer.from(bytes).indexOf('% end\n') + 6;

export const evt2Format: FuzzFormat = {
  name: 'evt2', entry: 'data inspect, event loaders (readEventFile, frames)', fileName: 'case.raw', text: true,
  seeds: async () => {
    const a = encodeEvt2(events(100, 640, 480, 5), { width: 640, height: 480, triggersBefore: [3], othersBefore: [9] });
    const b = encodeEvt2(events(30, 640, 480, 6, 2 ** 34 - 500), { width: 640, height: 480 });
    return [{ name: '100 events, a trigger, an OTHERS word', bytes: a, spare: evtSpare(a) }, { name: 'across the 2^34 µs wrap', bytes: b, spare: evtSpare(b) }];
  },
  crafted: () => [
    { name: 'a header line of 1 MB without a line feed', bytes: Buffer.from(`% evt 2.0\n%${'a'.repeat(1 << 20)}`, 'latin1') },
    { name: 'geometry 2147483648x2147483648', bytes: Buffer.concat([Buffer.from('% evt 2.0\n% geometry 2147483648x2147483648\n'), le32(0x10000000 | (2047 << 11) | 2047)]) },
    { name: 'only TIME_HIGH words, 2 MB', bytes: Buffer.concat([Buffer.from('% evt 2.0\n'), Buffer.alloc(2 << 20, 0x80)]) },
    { name: 'no version line', bytes: Buffer.concat([Buffer.from('% date 2024\n'), le32(1)]) },
  ],
  read: async (path) => readAndFrame(path),
};

export const evt3Format: FuzzFormat = {
  name: 'evt3', entry: 'data inspect, event loaders (readEventFile, frames)', fileName: 'case.raw', text: true,
  seeds: async () => {
    const a = encodeEvt3(events(200, 1280, 720, 7), { width: 1280, height: 720, triggersBefore: [10], othersBefore: [20] });
    const b = encodeEvt3(events(60, 1280, 720, 8, 3 * 2 ** 24 - 300), { width: 1280, height: 720 });
    return [{ name: '200 vectorised events', bytes: a, spare: evtSpare(a) }, { name: 'across a 2^24 µs wrap', bytes: b, spare: evtSpare(b) }];
  },
  crafted: () => {
    const hdr = Buffer.from('% evt 3.0\n% format EVT3;height=720;width=1280\n% end\n');
    const words = (...w: number[]) => { const b = Buffer.alloc(2 * w.length); w.forEach((x, i) => b.writeUInt16LE(x, 2 * i)); return b; };
    return [
      { name: '1 M VECT_12 words of 12 events each at x 0', bytes: Buffer.concat([hdr, words(0x0000, 0x3000), Buffer.alloc(2 << 20).fill(Buffer.from([0xff, 0x4f]))]) },
      { name: 'vector base past the sensor edge', bytes: Buffer.concat([hdr, words(0x0005, 0x37ff, 0x4fff)]) },
      { name: 'TIME_HIGH going backwards every word', bytes: Buffer.concat([hdr, ...Array.from({ length: 5000 }, (_, i) => words(0x8000 | ((4095 - i) & 0xfff), 0x2001))]) },
      { name: 'header only, no % end', bytes: Buffer.from('% evt 3.0\n') },
    ];
  },
  read: async (path) => readAndFrame(path),
};

export const davisFormat: FuzzFormat = {
  name: 'davis', entry: 'data inspect, event loaders (readEventFile, frames)', fileName: 'case.aedat', text: true,
  seeds: async () => {
    const a = encodeDavisAedat2(events(120, 346, 260, 9), { chip: 'Davis346red', apsBefore: [0, 1, 2], imuBefore: [5, 5, 5, 5, 5, 5, 5], specialBefore: [50] });
    const b = encodeDavisAedat2(events(40, 240, 180, 10), { chip: 'DAVIS240C' });
    const spare = (bytes: Uint8Array) => Buffer.from(bytes).lastIndexOf('\r\n', bytes.length - 8 * 40) + 2;
    return [{ name: 'DAVIS346 with APS, IMU and external words', bytes: a, spare: spare(a) }, { name: 'DAVIS240C', bytes: b, spare: spare(b) }];
  },
  crafted: () => {
    const hdr = Buffer.from('#!AER-DAT2.0\r\n# AEChip: eu.seebetter.ini.chips.davis.Davis346red\r\n', 'latin1');
    const rec = (a: number, t: number) => { const b = Buffer.alloc(8); b.writeUInt32BE(a >>> 0); b.writeUInt32BE(t >>> 0, 4); return b; };
    return [
      { name: 'pixel (1023, 511)', bytes: Buffer.concat([hdr, rec((511 << 22) | (1023 << 12), 1)]) },
      { name: 'APS and IMU words only, 2 MB', bytes: Buffer.concat([hdr, Buffer.alloc(2 << 20, 0x80)]) },
      { name: 'timestamps 2^32−1 then 0', bytes: Buffer.concat([hdr, rec(1 << 12, 0xffffffff), rec(2 << 12, 0), rec(3 << 12, 4)]) },
      { name: 'unknown DAVIS chip', bytes: Buffer.from('#!AER-DAT2.0\r\n# AEChip: eu.seebetter.ini.chips.davis.DavisXYZ\r\n', 'latin1') },
    ];
  },
  read: async (path) => readAndFrame(path),
};
