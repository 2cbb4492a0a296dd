/**
 * AEDAT 4.0 mutated under its compression: the packet flatbuffer and the XML stream description
 * are changed and the file rebuilt by the project's writer (LZ4 or Zstandard), so the mutants
 * reach the flatbuffer reader and the description parser instead of stopping at a corrupt frame.
 * (aedat4 in modern-events.ts mutates the file's bytes.)
 */
import { encodeAedat4, eventPacketBytes } from '../../../src/data/events/aedat4-writer.ts';
import type { Aedat4Compression, Aedat4WriteOptions } from '../../../src/data/events/aedat4-writer.ts';
import type { CraftedCase, FuzzFormat, Seed } from '../format.ts';
import { readAndFrame } from './events.ts';
import { events } from './synthetic-events.ts';

function aedat4Seed(compression: Aedat4Compression): Seed {
  const ev = events(40, 346, 260, 7);
  const streams = [{ id: 0, type: 'EVTS', width: 346, height: 260 }, { id: 1, type: 'TRIG' }];
  const base: Aedat4WriteOptions = { compression, streams, packets: [{ stream: 0, events: ev }, { stream: 1, triggers: [600, 900] }, { stream: 0, events: events(5, 346, 260, 8) }] };
  const bytes = encodeAedat4(base);
  return {
    name: `aedat4 ${compression}`, bytes, spare: 14,
    views: [
      { kind: 'binary', name: 'packet flatbuffer', inner: eventPacketBytes(ev), wrap: (raw) => encodeAedat4({ ...base, packets: [{ stream: 0, raw }, ...base.packets.slice(1)] }) },
      { kind: 'json', name: 'stream description', value: streams, wrap: (text) => encodeAedat4({ ...base, streams: JSON.parse(Buffer.from(text).toString('utf8')) }) },
    ],
  };
}

export const aedat4LayersFormat: FuzzFormat = {
  name: 'aedat4-layers', entry: 'data inspect, event loaders (AEDAT 4.0 packet flatbuffers and stream description under the compression)', fileName: 'case.aedat4', text: false,
  seeds: async () => [aedat4Seed('lz4'), aedat4Seed('zstd')],
  crafted: (): CraftedCase[] => {
    const packetOf = (raw: Uint8Array, compression: Aedat4Compression = 'none') => encodeAedat4({ compression, packets: [{ stream: 0, raw }] });
    const sizePrefixed = (n: number) => { const b = new Uint8Array(16); new DataView(b.buffer).setUint32(0, n, true); return b; };
    return [
      { name: 'packet flatbuffer size prefix 2^32−1', bytes: packetOf(sizePrefixed(0xffffffff)) },
      { name: 'packet flatbuffer size prefix 2^31 (lz4)', bytes: packetOf(sizePrefixed(0x80000000), 'lz4') },
      { name: 'packet of 1 MB of zeros (zstd)', bytes: packetOf(new Uint8Array(1 << 20), 'zstd') },
      { name: 'sensor 2^31 × 2^31', bytes: encodeAedat4({ streams: [{ id: 0, type: 'EVTS', width: 2 ** 31, height: 2 ** 31 }], packets: [{ stream: 0, events: events(3, 10, 10, 1) }] }) },
      { name: 'events on a stream that is not declared', bytes: encodeAedat4({ packets: [{ stream: 9, events: events(3, 10, 10, 1) }] }) },
      { name: 'no packets, no data table', bytes: encodeAedat4({ packets: [], dataTable: false }) },
      { name: '5 000 empty packets', bytes: encodeAedat4({ compression: 'none', packets: Array.from({ length: 5000 }, () => ({ stream: 0, events: events(0, 346, 260, 1) })) }) },
    ];
  },
  read: async (path) => readAndFrame(path),
};

