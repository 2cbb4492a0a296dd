/** IDX (MNIST), plain and gzip: read as `snn-export data inspect FILE` reads it. */
import { gunzipSync, gzipSync } from 'node:zlib';
import { inspectFile } from '../../../src/data/inspect.ts';
import type { CraftedCase, FuzzFormat, Seed } from '../format.ts';

/** An IDX file of unsigned bytes with the given dimensions, filled with a pattern. */
function idxFile(dims: number[]): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) out[4 + 4 * dims.length + i] = (i * 37) % 256;
  return out;
}

function withDims(base: Uint8Array, dims: number[]): Uint8Array {
  const out = base.slice(0, Math.max(base.length, 4 + 4 * dims.length));
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d >>> 0, false));
  return out;
}

const plainSeeds = (): Seed[] => [
  { name: 'images 5×6×7', bytes: idxFile([5, 6, 7]) },
  { name: 'labels 20', bytes: idxFile([20]).map((v, i) => (i < 8 ? v : v % 10)) },
];

const crafted = (gzip: boolean) => (seeds: Seed[]): CraftedCase[] => {
  const base = seeds[0].bytes;
  const inner = gzip ? gunzipSync(base) : base;
  const cases: CraftedCase[] = [
    { name: 'dims 2^32−1 × 2^32−1 × 2^32−1', bytes: withDims(inner, [0xffffffff, 0xffffffff, 0xffffffff]) },
    { name: 'dims 60000×28×28 on 210 bytes', bytes: withDims(inner, [60000, 28, 28]) },
    { name: 'zero dimension', bytes: withDims(inner, [0, 6, 7]) },
    { name: '4 dims of 2^16', bytes: withDims(inner, [65536, 65536, 65536, 65536]) },
  ];
  if (gzip) {
    // A decompression bomb: 128 gzip members of 16 MB of zeros (2 GB inflated, 2 MB on disk) behind
    // a header promising that much; gunzip reads concatenated members as one stream.
    const piece = new Uint8Array(16 << 20);
    piece.set(withDims(inner, [32768, 256, 256]).subarray(0, 16));
    const first = gzipSync(piece, { level: 9 });
    piece.fill(0, 0, 16);
    const rest = gzipSync(piece, { level: 9 });
    cases.push({ name: 'gzip bomb: 2 GB of zeros in 128 members', bytes: Buffer.concat([first, ...Array.from({ length: 127 }, () => rest)]) });
    const huge = new Uint8Array(16);
    huge.set(withDims(inner, [0xffffffff, 0xffff, 0xff]).subarray(0, 16));
    cases.push({ name: 'gzip: header promising 2^56 bytes', bytes: gzipSync(huge) });
    return cases.map((c) => (c.name.startsWith('gzip') ? c : { ...c, bytes: gzipSync(c.bytes) }));
  }
  return cases;
};

export const idxFormat: FuzzFormat = {
  name: 'idx', entry: 'data inspect (readIdx)', fileName: 'case.idx', text: false,
  seeds: async () => plainSeeds(),
  crafted: crafted(false),
  read: async (path) => { inspectFile(path); },
};

export const idxGzipFormat: FuzzFormat = {
  name: 'idx-gzip', entry: 'data inspect (readIdx, gzip)', fileName: 'case.idx.gz', text: false,
  seeds: async () => plainSeeds().map((s) => ({
    name: `${s.name} (gzip)`, bytes: gzipSync(s.bytes),
    views: [{ kind: 'binary' as const, name: 'inflated', inner: s.bytes, wrap: (b: Uint8Array) => gzipSync(b) }],
  })),
  crafted: crafted(true),
  read: async (path) => { inspectFile(path); },
};
