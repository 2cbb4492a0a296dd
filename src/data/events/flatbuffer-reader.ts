import { ByteBuffer } from 'flatbuffers';
import { malformed } from '../../errors.ts';
import type { SnnError } from '../../errors.ts';

/**
 * Checked reads of a FlatBuffer from an untrusted file, over the `flatbuffers` library's
 * `ByteBuffer`: every table, vtable, offset, vector and string is checked to lie inside the buffer
 * before it is read (the library itself trusts its input, like generated code without a verifier).
 * Errors name the file and the file offset of the buffer plus the position inside it.
 */
export class FlatBufferReader {
  readonly bb: ByteBuffer;
  readonly size: number;

  /** `bytes` came from file offset `at` of `where` (after decompression, `at` is the packet's offset). */
  constructor(readonly bytes: Uint8Array, private readonly where: string, private readonly at: number, private readonly what: string) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.length;
  }

  fail(pos: number, expected: string): SnnError {
    return malformed(`${this.where}: offset ${this.at}`, `${this.what}: at byte ${pos} of the ${this.size}-byte flatbuffer: ${expected}`);
  }

  private need(pos: number, len: number, what: string): void {
    if (!(pos >= 0 && len >= 0 && pos + len <= this.size)) throw this.fail(pos, `${what} (${len} bytes) lies outside the buffer`);
  }

  /**
   * The root table. With `sizePrefixed`, the buffer starts with its own length (as DV writes
   * packets), which must fit. `identifier` is the 4-character file identifier expected.
   */
  root(sizePrefixed: boolean, identifier: string): number {
    const base = sizePrefixed ? 4 : 0;
    this.need(0, base + 8, 'the buffer header');
    if (sizePrefixed) {
      const declared = this.bb.readUint32(0);
      if (declared + 4 > this.size) throw this.fail(0, `size prefix ${declared} runs past the buffer`);
    }
    const id = String.fromCharCode(...this.bytes.subarray(base + 4, base + 8));
    if (id !== identifier) throw this.fail(base + 4, `file identifier '${id.replace(/[^\x20-\x7e]/g, '?')}', expected '${identifier}'`);
    const table = base + this.bb.readUint32(base);
    this.checkTable(table);
    return table;
  }

  private checkTable(table: number): void {
    this.need(table, 4, 'a table');
    const vtable = table - this.bb.readInt32(table);
    this.need(vtable, 4, 'a vtable');
    const vtSize = this.bb.readUint16(vtable);
    if (vtSize < 4 || vtSize % 2 !== 0) throw this.fail(vtable, `vtable size ${vtSize}`);
    this.need(vtable, vtSize, 'a vtable');
  }

  /** Absolute position of field `slot` (0-based, schema order) of `table`, or 0 if absent. */
  field(table: number, slot: number, bytes: number): number {
    const o = this.bb.__offset(table, 4 + 2 * slot);
    if (o === 0) return 0;
    this.need(table + o, bytes, `field ${slot}`);
    return table + o;
  }

  int32(table: number, slot: number, otherwise: number): number {
    const p = this.field(table, slot, 4);
    return p ? this.bb.readInt32(p) : otherwise;
  }

  /** An int64 field as a number; values beyond ±2^53 are refused. */
  int64(table: number, slot: number, otherwise: number): number {
    const p = this.field(table, slot, 8);
    if (!p) return otherwise;
    const v = this.bb.readInt32(p + 4) * 2 ** 32 + this.bb.readUint32(p);
    if (!Number.isSafeInteger(v)) throw this.fail(p, `64-bit value beyond ±2^53`);
    return v;
  }

  /** A vector field: its first element's position and its length, checked for `elementBytes`. */
  vector(table: number, slot: number, elementBytes: number): { start: number; length: number } {
    const p = this.field(table, slot, 4);
    if (!p) return { start: 0, length: 0 };
    const v = p + this.bb.readUint32(p);
    this.need(v, 4, 'a vector length');
    const length = this.bb.readUint32(v);
    if (length > (this.size - v - 4) / elementBytes) throw this.fail(v, `vector of ${length} × ${elementBytes}-byte elements runs past the buffer`);
    return { start: v + 4, length };
  }

  string(table: number, slot: number): string | null {
    const { start, length } = this.vector(table, slot, 1);
    if (!start) return null;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + start, length).toString('utf8');
  }

  /** The table an element of a vector of tables points to. */
  tableAt(elementPos: number): number {
    const t = elementPos + this.bb.readUint32(elementPos);
    this.checkTable(t);
    return t;
  }
}
