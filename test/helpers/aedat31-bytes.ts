/** An AEDAT 3.1 polarity packet layout written by hand, for the tests and the fuzzer. */

/** One packet: its type (1 = polarity), timestamp overflow, capacity, and events as [data word, timestamp]. */
export interface Aedat31Packet { type?: number; overflow?: number; capacity?: number; events: [number, number][] }

/** AEDAT 3.1 bytes: header lines naming `source`, then the packets (28-byte headers, 8-byte events). */
export function aedat31Bytes(source: string, packets: Aedat31Packet[]): Uint8Array {
  const header = Buffer.from(`#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: ${source}\r\n#!END-HEADER\r\n`, 'latin1');
  const parts: Uint8Array[] = [header];
  for (const pk of packets) {
    const n = pk.events.length;
    const buf = new Uint8Array(28 + 8 * n);
    const v = new DataView(buf.buffer);
    v.setInt16(0, pk.type ?? 1, true); v.setInt16(2, 1, true); v.setInt32(4, 8, true); v.setInt32(8, 4, true);
    v.setInt32(12, pk.overflow ?? 0, true); v.setInt32(16, pk.capacity ?? n, true); v.setInt32(20, n, true); v.setInt32(24, n, true);
    pk.events.forEach(([data, ts], i) => { v.setUint32(28 + 8 * i, data, true); v.setInt32(32 + 8 * i, ts, true); });
    parts.push(buf);
  }
  return Buffer.concat(parts);
}

/** A polarity event's data word: x, y, polarity and the valid bit. */
export const polarity = (x: number, y: number, p: number, valid = 1): number => ((x << 17) | (y << 2) | (p << 1) | valid) >>> 0;
