/**
 * jAER AEDAT 2.0 writer for DAVIS chips (tests, benchmarks, fuzzing): the jAER header lines with
 * `# AEChip: eu.seebetter.ini.chips.davis.<chip>`, then big-endian `int32 address, int32 timestamp`
 * records in jAER's DavisChip layout (x bits 12–21, y bits 22–30, polarity bit 11), with APS, IMU
 * and external-input words mixed in where asked.
 */
export interface DavisEvents {
  count: number;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  t: ArrayLike<number>;
  p: ArrayLike<number>;
}

export interface DavisWriteOptions {
  /** jAER chip class name, e.g. `Davis346red`, `DAVIS240C`. */
  chip: string;
  /** Word kinds written before the event of each index (any index up to `count`). */
  apsBefore?: number[];
  imuBefore?: number[];
  specialBefore?: number[];
}

export function encodeDavisAedat2(e: DavisEvents, o: DavisWriteOptions): Uint8Array {
  const header = [
    '#!AER-DAT2.0', '# This is a raw AE data file - do not edit',
    '# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event',
    '# Timestamps tick is 1 us', `# AEChip: eu.seebetter.ini.chips.davis.${o.chip}`,
  ].join('\r\n') + '\r\n';
  const before = new Map<number, number[]>();
  const add = (list: number[] | undefined, word: number) => { for (const i of list ?? []) { const l = before.get(i) ?? []; l.push(word); before.set(i, l); } };
  add(o.apsBefore, (0x80000000 | (5 << 22) | (7 << 12) | 0x100 | 200) >>> 0); // APS sample: reset read (bits 10–11 = 0), ADC value 200
  add(o.imuBefore, (0x80000c00 | (3 << 28) | 0x1234) >>> 0); // IMU word
  add(o.specialBefore, 0x400 | 2); // external input, falling edge
  const extra = [...before.values()].reduce((n, l) => n + l.length, 0);
  const body = new Uint8Array(8 * (e.count + extra));
  const v = new DataView(body.buffer);
  let o8 = 0;
  for (let i = 0; i <= e.count; i++) {
    const t = i < e.count ? e.t[i] : e.count ? e.t[e.count - 1] : 0;
    for (const w of before.get(i) ?? []) { v.setUint32(o8, w, false); v.setUint32(o8 + 4, t % 2 ** 32, false); o8 += 8; }
    if (i === e.count) break;
    v.setUint32(o8, ((e.y[i] << 22) | (e.x[i] << 12) | ((e.p[i] ? 1 : 0) << 11)) >>> 0, false);
    v.setUint32(o8 + 4, e.t[i] % 2 ** 32, false);
    o8 += 8;
  }
  return Buffer.concat([Buffer.from(header, 'latin1'), body]);
}
