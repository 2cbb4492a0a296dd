/**
 * MATLAB level-5 MAT-files (SVHN), with and without compression: read as `data inspect` reads
 * them and as the SVHN loader decodes `X` and `y`. Layout as written down in
 * test/data-svhn.test.ts.
 */
import { createDeflate, deflateSync, inflateSync } from 'node:zlib';
import { inspectFile } from '../../../src/data/inspect.ts';
import { MI } from '../../../src/data/mat5.ts';
import { readSvhnMat } from '../../../src/data/svhn.ts';
import type { CraftedCase, FuzzFormat, Seed } from '../format.ts';
import { Bytes, matHeader } from '../../helpers/mat-bytes.ts';

const MX_DOUBLE = 6, MX_UINT8 = 9;

const header = (le: boolean): Buffer => matHeader(le, 'MATLAB 5.0 MAT-file, written by the snn-export fuzzer');

function element(le: boolean, type: number, data: Buffer): Buffer {
  return new Bytes(le).u32(type).u32(data.length).raw(data).pad8().done();
}

interface Variable { name: string; classCode: number; dims: number[]; dataType: number; data: Buffer }

/** One miMATRIX element: flags, dimensions, name, real part. */
function matrix(le: boolean, v: Variable): Buffer {
  const dims = new Bytes(le); for (const d of v.dims) dims.i32(d);
  const body = Buffer.concat([
    element(le, MI.UINT32, new Bytes(le).u32(v.classCode).u32(0).done()),
    element(le, MI.INT32, dims.done()),
    element(le, MI.INT8, Buffer.from(v.name, 'latin1')),
    element(le, v.dataType, v.data),
  ]);
  return new Bytes(le).u32(MI.MATRIX).u32(body.length).raw(body).done();
}

/** miCOMPRESSED elements are not padded: the next element starts right after the zlib stream. */
function compressedElement(le: boolean, zlibStream: Uint8Array): Buffer {
  return new Bytes(le).u32(MI.COMPRESSED).u32(zlibStream.length).raw(zlibStream).done();
}

/** SVHN's two variables: X uint8 (H, W, 3, N) and y double (N, 1) stored as bytes, as MATLAB does. */
function svhnVariables(le: boolean, h = 4, w = 3, n = 2): Buffer[] {
  const X = Buffer.from(Array.from({ length: h * w * 3 * n }, (_, i) => (i * 29) % 256));
  const y = Buffer.from(Array.from({ length: n }, (_, i) => 1 + (i % 10)));
  return [
    matrix(le, { name: 'X', classCode: MX_UINT8, dims: [h, w, 3, n], dataType: MI.UINT8, data: X }),
    matrix(le, { name: 'y', classCode: MX_DOUBLE, dims: [n, 1], dataType: MI.UINT8, data: y }),
  ];
}

/** SVHN's variables as JSON, so that mutations reach classes, dimensions, names and values (not only the tags). */
function variablesJson(h = 4, w = 3, n = 2): Variable[] {
  return [
    { name: 'X', classCode: MX_UINT8, dims: [h, w, 3, n], dataType: MI.UINT8, data: Buffer.from(Array.from({ length: h * w * 3 * n }, (_, i) => (i * 29) % 256)) },
    { name: 'y', classCode: MX_DOUBLE, dims: [n, 1], dataType: MI.UINT8, data: Buffer.from(Array.from({ length: n }, (_, i) => 1 + (i % 10))) },
  ];
}

const asJson = (vars: Variable[]) => vars.map((v) => ({ ...v, data: [...v.data] }));

/** Variables from their (mutated) JSON, values written as bytes, 32-bit or 64-bit integers as the data type needs. */
function variablesFrom(text: Uint8Array): Variable[] {
  const parsed = JSON.parse(Buffer.from(text).toString('utf8'));
  const list: Record<string, unknown>[] = Array.isArray(parsed) ? parsed : [parsed];
  return list.filter((v) => v !== null && typeof v === 'object').map((v) => {
    const dataType = Number(v.dataType) >>> 0;
    const values = (Array.isArray(v.data) ? v.data : []).map((x) => Number(x));
    const width = dataType === MI.DOUBLE || dataType === MI.INT64 || dataType === MI.UINT64 ? 8 : dataType === MI.INT32 || dataType === MI.UINT32 || dataType === MI.SINGLE ? 4 : dataType === MI.INT16 || dataType === MI.UINT16 ? 2 : 1;
    const data = Buffer.alloc(values.length * width);
    values.forEach((x, i) => {
      if (width === 8) data.writeDoubleLE(x, 8 * i);
      else if (width === 4) data.writeInt32LE(Math.trunc(x) | 0, 4 * i);
      else if (width === 2) data.writeUInt16LE(x & 0xffff, 2 * i);
      else data[i] = x & 0xff;
    });
    const dims = (Array.isArray(v.dims) ? v.dims : [v.dims]).map((d) => Number(d) | 0);
    return { name: String(v.name ?? ''), classCode: Number(v.classCode) >>> 0, dims, dataType, data };
  });
}

function plainSeed(le: boolean): Seed {
  const build = (vars: Variable[]) => Buffer.concat([header(le), ...vars.map((v) => matrix(le, v))]);
  return {
    name: `svhn ${le ? 'little' : 'big'}-endian`, bytes: build(variablesJson()), spare: 128,
    views: [{ kind: 'json', name: 'variables', value: asJson(variablesJson()), wrap: (text) => build(variablesFrom(text)) }],
  };
}

/** Compressed variables; each zlib stream is also a layer mutations can reach after inflating. */
function compressedSeed(le: boolean): Seed {
  const vars = variablesJson().map((v) => matrix(le, v));
  const streams = vars.map((v) => deflateSync(v));
  const build = (parts: Uint8Array[]) => Buffer.concat([header(le), ...parts.map((s) => compressedElement(le, s))]);
  return {
    name: `svhn compressed ${le ? 'little' : 'big'}-endian`, bytes: build(streams), spare: 128,
    views: [
      ...vars.map((v, i) => ({
        kind: 'binary' as const, name: `inflated variable ${i}`, inner: v,
        wrap: (inner: Uint8Array) => build(streams.map((s, j) => (j === i ? deflateSync(inner) : s))),
      })),
      { kind: 'json' as const, name: 'variables', value: asJson(variablesJson()), wrap: (text: Uint8Array) => build(variablesFrom(text).map((v) => deflateSync(matrix(le, v)))) },
    ],
  };
}

/** The header of variable X with its dimensions replaced (the real part stays 36 bytes). */
function xWithDims(le: boolean, dims: number[], dataType: number = MI.UINT8): Buffer {
  return Buffer.concat([header(le), matrix(le, { name: 'X', classCode: MX_UINT8, dims, dataType, data: Buffer.alloc(72) }), svhnVariables(le)[1]]);
}

/** A zlib stream of `bytes` zeros after `prefix`, made in 16 MB pieces so the parent never holds the inflated data. */
async function zeroBomb(prefix: Uint8Array, bytes: number): Promise<Buffer> {
  const z = createDeflate({ level: 1 });
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => z.on('end', resolve));
  z.write(prefix);
  const piece = Buffer.alloc(16 << 20);
  for (let left = bytes; left > 0; left -= piece.length) {
    if (!z.write(left >= piece.length ? piece : piece.subarray(0, left))) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  return Buffer.concat(out);
}

let bomb: Buffer | undefined;

const craftedPlain = (): CraftedCase[] => [
  { name: 'X dims 2^31−1 × 2^31−1 × 3 × 2^31−1', bytes: xWithDims(true, [0x7fffffff, 0x7fffffff, 3, 0x7fffffff]) },
  { name: 'X dims with a negative one', bytes: xWithDims(true, [4, -3, 3, 2]) },
  { name: 'X with 1000 dimensions', bytes: xWithDims(true, Array.from({ length: 1000 }, () => 1)) },
  { name: 'X dims 65536 × 65536 × 3 × 1 (12 GB) on 36 bytes', bytes: xWithDims(false, [65536, 65536, 3, 1]) },
  { name: 'X real part as doubles promising 2^31 values', bytes: xWithDims(true, [32768, 32768, 3, 2], MI.DOUBLE) },
  {
    name: 'element byte count 2^32−1',
    bytes: (() => { const b = Buffer.concat([header(true), ...svhnVariables(true)]); b.writeUInt32LE(0xffffffff, 132); return b; })(),
  },
];

export const matFormat: FuzzFormat = {
  name: 'mat', entry: 'data inspect, SVHN loader (readMat5, readSvhnMat)', fileName: 'case.mat', text: false,
  seeds: async () => [plainSeed(true), plainSeed(false)],
  crafted: craftedPlain,
  read: async (path) => { inspectFile(path); readSvhnMat(path); },
};

export const matCompressedFormat: FuzzFormat = {
  name: 'mat-compressed', entry: 'data inspect, SVHN loader (miCOMPRESSED variables)', fileName: 'case.mat', text: false,
  seeds: async () => {
    // 1 GB of zeros behind a valid X header: a ~1 MB file, the zlib bomb of the issue.
    const xHeader = matrix(true, { name: 'X', classCode: MX_UINT8, dims: [32, 32, 3, 349525], dataType: MI.UINT8, data: Buffer.alloc(0) }).subarray(0, 64);
    bomb ??= Buffer.concat([header(true), compressedElement(true, await zeroBomb(xHeader, 1 << 30))]);
    return [compressedSeed(true), compressedSeed(false)];
  },
  crafted: (seeds) => {
    const le = true;
    const vars = svhnVariables(le);
    return [
      ...(bomb ? [{ name: 'zlib bomb: 1 GB of zeros behind a valid X header', bytes: bomb }] : []),
      { name: 'compressed element byte count 2^32−1', bytes: (() => { const b = Buffer.from(seeds[0].bytes); b.writeUInt32LE(0xffffffff, 132); return b; })() },
      { name: 'zlib stream cut in half', bytes: Buffer.concat([header(le), compressedElement(le, deflateSync(vars[0]).subarray(0, 20))]) },
      { name: 'compressed X with dims 2^31−1 × 2', bytes: Buffer.concat([header(le), compressedElement(le, deflateSync(xWithDims(le, [0x7fffffff, 2, 3, 1]).subarray(128)))]) },
      { name: 'nested miCOMPRESSED inside miCOMPRESSED', bytes: Buffer.concat([header(le), compressedElement(le, deflateSync(compressedElement(le, deflateSync(vars[0]))))]) },
      { name: 'inflated element longer than the tag says', bytes: Buffer.concat([header(le), compressedElement(le, deflateSync(Buffer.concat([inflateSync(deflateSync(vars[0])), Buffer.alloc(4096)])))]) },
    ];
  },
  read: async (path) => { inspectFile(path); readSvhnMat(path); },
};
