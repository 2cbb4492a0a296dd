import { SnnError } from '../../errors.ts';
import { DVS128_SIZE } from './aedat2.ts';

/** The events to write: raw DVS128 addresses (x, y in 0…127, `y` counted from the lower left as jAER does). */
export interface Aedat2Events {
  count: number;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  t: ArrayLike<number>;
  p: ArrayLike<number>;
}

/**
 * Encodes events as a jAER AEDAT 2.0 file (the layout of MNIST-DVS): the standard four comment
 * lines, then big-endian `int32 address, int32 timestamp` records with DVS128 address bits
 * (`p` bit 0, `x` bits 1–7, `y` bits 8–14). `comments` become extra `# ` lines (no creation date
 * by default, so that the same events always give the same bytes).
 */
export function encodeAedat2(events: Aedat2Events, comments: string[] = []): Uint8Array {
  const lines = [
    '#!AER-DAT2.0',
    '# This is a raw AE data file - do not edit',
    '# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event',
    '# Timestamps tick is 1 us',
    ...comments.map((c) => `# ${c.replace(/[\r\n]+/g, ' ')}`),
  ];
  const header = Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
  const n = events.count;
  const out = new Uint8Array(header.length + 8 * n);
  out.set(header, 0);
  const view = new DataView(out.buffer, header.length);
  for (let i = 0, o = 0; i < n; i++, o += 8) {
    const x = events.x[i], y = events.y[i], t = events.t[i];
    if (x >= DVS128_SIZE || y >= DVS128_SIZE || x < 0 || y < 0) throw new SnnError('usage', `event ${i}: (${x}, ${y}) is outside the 128×128 DVS128 address space`);
    if (!(t >= 0 && t <= 0xffffffff)) throw new SnnError('usage', `event ${i}: timestamp ${t} µs does not fit the 32-bit AEDAT 2.0 field`);
    view.setUint32(o, (y << 8) | (x << 1) | (events.p[i] & 1), false);
    view.setUint32(o + 4, t, false);
  }
  return out;
}
