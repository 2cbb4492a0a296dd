/**
 * Writing MATLAB level-5 bytes by hand, in either byte order, for the tests and the fuzzer that
 * build MAT-files field by field (the layout is written down in test/data-svhn.test.ts).
 */

/** Bytes appended in order, in one byte order. */
export class Bytes {
  private parts: Buffer[] = [];
  constructor(private readonly le: boolean) {}
  u16(v: number): this { const b = Buffer.alloc(2); if (this.le) b.writeUInt16LE(v); else b.writeUInt16BE(v); this.parts.push(b); return this; }
  u32(v: number): this { const b = Buffer.alloc(4); if (this.le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0); this.parts.push(b); return this; }
  i32(v: number): this { const b = Buffer.alloc(4); if (this.le) b.writeInt32LE(v | 0); else b.writeInt32BE(v | 0); this.parts.push(b); return this; }
  f64(v: number): this { const b = Buffer.alloc(8); if (this.le) b.writeDoubleLE(v); else b.writeDoubleBE(v); this.parts.push(b); return this; }
  raw(b: Uint8Array): this { this.parts.push(Buffer.from(b)); return this; }
  pad8(): this { const n = this.length() % 8; if (n) this.parts.push(Buffer.alloc(8 - n)); return this; }
  length(): number { return this.parts.reduce((a, b) => a + b.length, 0); }
  done(): Buffer { return Buffer.concat(this.parts); }
}

/** The 128-byte file header: text, subsystem offset, version 0x0100, endian indicator. */
export function matHeader(le: boolean, text = 'MATLAB 5.0 MAT-file, written by snn-export tests'): Buffer {
  const padded = Buffer.alloc(116, 0x20);
  padded.write(text, 'latin1');
  return new Bytes(le).raw(padded).raw(Buffer.alloc(8)).u16(0x0100).raw(Buffer.from(le ? 'IM' : 'MI', 'latin1')).done();
}
