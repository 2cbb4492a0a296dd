import { Builder } from 'flatbuffers';
import lz4 from 'lz4js';

/**
 * AEDAT 4.0 writer, for tests, benchmarks and fuzzing (the layout `aedat4.ts` reads, as DV writes
 * it): the version line, the IOHeader flatbuffer with the XML stream description, packets of
 * size-prefixed flatbuffers compressed by the chosen method, and optionally the data table.
 * LZ4 frames come from `lz4js`; Zstandard frames are written with raw (stored) blocks, which every
 * Zstandard decoder reads (snn-export has no Zstandard compressor).
 */

export type Aedat4Compression = 'none' | 'lz4' | 'zstd';

export interface Aedat4Packet {
  stream: number;
  /** EVTS: polarity events (`t` in µs). */
  events?: { x: ArrayLike<number>; y: ArrayLike<number>; t: ArrayLike<number>; p: ArrayLike<number>; count: number };
  /** IMUS: IMU sample timestamps. */
  imu?: number[];
  /** TRIG: trigger timestamps. */
  triggers?: number[];
  /** FRME: one frame of `width × height` grey pixels at time `t`. */
  frame?: { t: number; width: number; height: number };
  /** Replace the packet's (uncompressed) flatbuffer with these bytes (hostile inputs). */
  raw?: Uint8Array;
}

export interface Aedat4WriteOptions {
  compression?: Aedat4Compression;
  /** Streams of the XML description: id, type identifier, sensor size for events and frames. */
  streams?: { id: number; type: string; width?: number; height?: number; source?: string }[];
  packets: Aedat4Packet[];
  /** Write the data table at the end (DV does when a recording is closed). Default true. */
  dataTable?: boolean;
  /** Replace the XML stream description (hostile inputs). */
  xml?: string;
  /** Compress each packet with this instead (e.g. an external zstd), declared as `compression`. */
  compressor?: (bytes: Uint8Array) => Uint8Array;
}

const MAGIC = '#!AER-DAT4.0\r\n';
const COMPRESSION_CODE: Record<Aedat4Compression, number> = { none: 0, lz4: 1, zstd: 3 };
const TYPE_NAMES: Record<string, string> = { EVTS: 'events', FRME: 'frames', IMUS: 'imu', TRIG: 'triggers' };

/** An EventPacket (`EVTS`), size-prefixed, assembled directly (16-byte structs in bulk). */
export function eventPacketBytes(e: NonNullable<Aedat4Packet['events']>): Uint8Array {
  const n = e.count;
  const bytes = new Uint8Array(32 + 16 * n);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, bytes.length - 4, true); // size prefix
  v.setUint32(4, 16, true); // root table at 20, relative to 4
  bytes.set([0x45, 0x56, 0x54, 0x53], 8); // 'EVTS'
  v.setUint16(12, 6, true); v.setUint16(14, 8, true); v.setUint16(16, 4, true); // vtable: 6 bytes, table 8 bytes, field 0 at +4
  v.setInt32(20, 8, true); // table → vtable at 12
  v.setUint32(24, 4, true); // field 0 → vector at 28
  v.setUint32(28, n, true);
  for (let i = 0, o = 32; i < n; i++, o += 16) {
    const t = e.t[i];
    v.setUint32(o, t % 4294967296, true); v.setInt32(o + 4, Math.floor(t / 4294967296), true);
    v.setInt16(o + 8, e.x[i], true); v.setInt16(o + 10, e.y[i], true); bytes[o + 12] = e.p[i] ? 1 : 0;
  }
  return bytes;
}

function tablesPacket(id: string, times: number[], extra?: (b: Builder) => void): Uint8Array {
  const b = new Builder(256);
  const items = times.map((t) => {
    b.startObject(2);
    b.addFieldInt64(0, BigInt(t), 0n);
    extra?.(b);
    return b.endObject();
  });
  b.startVector(4, items.length, 4);
  for (let i = items.length - 1; i >= 0; i--) b.addOffset(items[i]);
  const vec = b.endVector();
  b.startObject(1);
  b.addFieldOffset(0, vec, 0);
  b.finishSizePrefixed(b.endObject(), id);
  return b.asUint8Array();
}

function framePacket(f: NonNullable<Aedat4Packet['frame']>): Uint8Array {
  const b = new Builder(1024);
  const pixels = b.createByteVector(new Uint8Array(f.width * f.height).fill(128));
  b.startObject(11);
  b.addFieldInt64(0, BigInt(f.t), 0n);
  b.addFieldInt16(6, f.width, 0);
  b.addFieldInt16(7, f.height, 0);
  b.addFieldOffset(10, pixels, 0);
  b.finishSizePrefixed(b.endObject(), 'FRME');
  return b.asUint8Array();
}

/** A Zstandard frame of raw blocks with the content size declared (a valid frame for any decoder). */
export function zstdStoredFrame(data: Uint8Array): Uint8Array {
  const BLOCK = 128 << 10;
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK));
  const out = new Uint8Array(4 + 1 + 8 + blocks * 3 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xfd2fb528, true);
  out[4] = 0xe0; // 8-byte content size, single segment (no window descriptor)
  v.setUint32(5, data.length, true); v.setUint32(9, 0, true);
  let o = 13;
  for (let i = 0; i < blocks; i++) {
    const part = data.subarray(i * BLOCK, Math.min(data.length, (i + 1) * BLOCK));
    const last = i === blocks - 1 ? 1 : 0;
    const h = (part.length << 3) | last; // block type 0: raw
    out[o] = h & 0xff; out[o + 1] = (h >> 8) & 0xff; out[o + 2] = (h >> 16) & 0xff;
    out.set(part, o + 3);
    o += 3 + part.length;
  }
  return out;
}

function compress(bytes: Uint8Array, c: Aedat4Compression): Uint8Array {
  if (c === 'none') return bytes;
  return c === 'lz4' ? lz4.compress(bytes) : zstdStoredFrame(bytes);
}

function description(streams: NonNullable<Aedat4WriteOptions['streams']>, compression: Aedat4Compression): string {
  const name = compression === 'none' ? 'NONE' : compression === 'lz4' ? 'LZ4' : 'ZSTD';
  const nodes = streams.map((s) => {
    const size = s.width !== undefined ? `\n                <attr key="sizeX" type="int">${s.width}</attr>\n                <attr key="sizeY" type="int">${s.height}</attr>` : '';
    return `        <node name="${s.id}" path="/mainloop/Recorder/outInfo/${s.id}/">
            <attr key="compression" type="string">${name}</attr>
            <attr key="originalOutputName" type="string">${TYPE_NAMES[s.type] ?? s.type}</attr>
            <attr key="typeIdentifier" type="string">${s.type}</attr>
            <node name="info" path="/mainloop/Recorder/outInfo/${s.id}/info/">${size}
                <attr key="source" type="string">${s.source ?? 'DAVIS346_00000001'}</attr>
            </node>
        </node>`;
  });
  return `<dv version="2.0">\n    <node name="outInfo" path="/mainloop/Recorder/outInfo/">\n${nodes.join('\n')}\n    </node>\n</dv>\n`;
}

function ioHeader(compression: number, dataTablePosition: number, xml: string): Uint8Array {
  const b = new Builder(xml.length + 64);
  b.forceDefaults(true);
  const text = b.createString(xml);
  b.startObject(3);
  b.addFieldInt64(1, BigInt(dataTablePosition), -1n);
  b.addFieldOffset(2, text, 0);
  b.addFieldInt32(0, compression, 0);
  b.finish(b.endObject(), 'IOHE');
  return b.asUint8Array();
}

function dataTable(entries: { offset: number; stream: number; size: number; elements: number; tStart: number; tEnd: number }[]): Uint8Array {
  const b = new Builder(64 + entries.length * 64);
  const defs = entries.map((e) => {
    b.startObject(5);
    b.addFieldInt64(0, BigInt(e.offset), 0n);
    b.prep(4, 8); b.writeInt32(e.size); b.writeInt32(e.stream);
    b.addFieldStruct(1, b.offset(), 0);
    b.addFieldInt64(2, BigInt(e.elements), 0n);
    b.addFieldInt64(3, BigInt(e.tStart), 0n);
    b.addFieldInt64(4, BigInt(e.tEnd), 0n);
    return b.endObject();
  });
  b.startVector(4, defs.length, 4);
  for (let i = defs.length - 1; i >= 0; i--) b.addOffset(defs[i]);
  const vec = b.endVector();
  b.startObject(1);
  b.addFieldOffset(0, vec, 0);
  b.finishSizePrefixed(b.endObject(), 'FTAB');
  return b.asUint8Array();
}

/** Encodes a whole AEDAT 4.0 file. */
export function encodeAedat4(options: Aedat4WriteOptions): Uint8Array {
  const compression = options.compression ?? 'lz4';
  const streams = options.streams ?? [{ id: 0, type: 'EVTS', width: 346, height: 260 }];
  const xml = options.xml ?? description(streams, compression);
  const headerLength = ioHeader(COMPRESSION_CODE[compression], 0, xml).length;
  let offset = MAGIC.length + 4 + headerLength;
  const parts: Uint8Array[] = [];
  const entries: Parameters<typeof dataTable>[0] = [];
  for (const pk of options.packets) {
    let body: Uint8Array, elements = 0, tStart = 0, tEnd = 0;
    if (pk.raw) body = pk.raw;
    else if (pk.events) {
      body = eventPacketBytes(pk.events); elements = pk.events.count;
      if (elements) { tStart = pk.events.t[0]; tEnd = pk.events.t[elements - 1]; }
    } else if (pk.imu) { body = tablesPacket('IMUS', pk.imu); elements = pk.imu.length; }
    else if (pk.triggers) { body = tablesPacket('TRIG', pk.triggers, (b) => b.addFieldInt8(1, 1, 0)); elements = pk.triggers.length; }
    else if (pk.frame) { body = framePacket(pk.frame); elements = 1; tStart = tEnd = pk.frame.t; }
    else throw new Error('packet without content');
    const data = options.compressor ? options.compressor(body) : compress(body, compression);
    const head = new Uint8Array(8);
    new DataView(head.buffer).setInt32(0, pk.stream, true);
    new DataView(head.buffer).setInt32(4, data.length, true);
    parts.push(head, data);
    entries.push({ offset: offset + 8, stream: pk.stream, size: data.length, elements, tStart, tEnd });
    offset += 8 + data.length;
  }
  const withTable = options.dataTable ?? true;
  if (withTable) parts.push(options.compressor ? options.compressor(dataTable(entries)) : compress(dataTable(entries), compression));
  const header = ioHeader(COMPRESSION_CODE[compression], withTable ? offset : -1, xml);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setInt32(0, header.length, true);
  return Buffer.concat([Buffer.from(MAGIC, 'latin1'), len, header, ...parts]);
}
