/**
 * Writers for the two event formats the project has no writer of its own for, AEDAT 1.0 and
 * N-MNIST `.bin`, used by the generated reader fixtures and the fuzzer's seeds. They follow the
 * byte layouts documented in `docs/data.md`.
 */

/** Events as parallel arrays: raw address fields, timestamps in µs, polarity 0/1. */
export interface RawEvents {
  count: number;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  t: ArrayLike<number>;
  p: ArrayLike<number>;
}

/**
 * AEDAT 1.0 (jAER): the `#` header lines (CRLF), then big-endian `uint16 address, int32 timestamp`
 * records with DVS128 address bits (`p` bit 0, `x` bits 1–7, `y` bits 8–14).
 */
export function encodeAedat1(ev: RawEvents, headerLines: string[]): Uint8Array {
  const header = Buffer.from(headerLines.map((l) => `${l}\r\n`).join(''), 'latin1');
  const body = Buffer.alloc(6 * ev.count);
  for (let i = 0; i < ev.count; i++) {
    body.writeUInt16BE((ev.y[i] << 8) | (ev.x[i] << 1) | (ev.p[i] & 1), 6 * i);
    body.writeInt32BE(ev.t[i], 6 * i + 2);
  }
  return Buffer.concat([header, body]);
}

/** N-MNIST `.bin`: 5 bytes per event, `x, y, (p << 7) | t[22:16], t[15:8], t[7:0]` (t < 2^23 µs). */
export function encodeNmnistBin(ev: RawEvents): Uint8Array {
  const out = new Uint8Array(5 * ev.count);
  for (let i = 0; i < ev.count; i++) {
    const ts = ev.t[i];
    out[5 * i] = ev.x[i]; out[5 * i + 1] = ev.y[i];
    out[5 * i + 2] = ((ev.p[i] & 1) << 7) | ((ts >> 16) & 0x7f); out[5 * i + 3] = (ts >> 8) & 0xff; out[5 * i + 4] = ts & 0xff;
  }
  return out;
}
