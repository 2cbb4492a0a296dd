import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { SnnError } from '../src/errors.ts';
import { inspectFile } from '../src/data/inspect.ts';
import type { MatReport } from '../src/data/inspect.ts';
import { readMat5 } from '../src/data/mat5.ts';
import { loadSvhn, readSvhnMat } from '../src/data/svhn.ts';
import { Bytes, matHeader } from './helpers/mat-bytes.ts';

/*
 * Level-5 MAT-file layout these tests write byte by byte (MathWorks "MAT-File Format", level 5):
 *
 *   0    116 bytes  descriptive text, space padded ("MATLAB 5.0 MAT-file, ...")
 *   116    8 bytes  subsystem data offset (zeros)
 *   124    2 bytes  version 0x0100
 *   126    2 bytes  endian indicator: 'I','M' when written little-endian ('M','I' big-endian)
 *   128  data elements, each:
 *          uint32 type, uint32 byte count, data, zero padding to a multiple of 8
 *        or, for ≤ 4 bytes of data, the small form: uint16 byte count << 16 | uint16 type, 4 data bytes
 *
 *   A variable = miMATRIX (type 14) holding, in order:
 *     array flags   miUINT32 (6), 8 bytes: [flags word: class in bits 0–7, complex 0x800; 0]
 *     dimensions    miINT32 (5), 4 bytes per dimension
 *     name          miINT8 (1)
 *     real part     any numeric type (MATLAB stores a double array of small integers as miUINT8)
 *   Compressed: miCOMPRESSED (15) whose data is a zlib stream of one whole miMATRIX element.
 *   Classes used: mxDOUBLE 6, mxUINT8 9. Arrays are column-major.
 */
const tmp = mkdtempSync(join(tmpdir(), 'snn-data-svhn-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const header = (le: boolean): Buffer => matHeader(le);

/** A sub-element: tag + data + padding (small form when `small` and ≤ 4 bytes). */
function element(le: boolean, type: number, data: Buffer, small = false): Buffer {
  if (small && data.length <= 4) {
    const b = new Bytes(le).u32((data.length << 16) | type).raw(data);
    return Buffer.concat([b.done(), Buffer.alloc(4 - data.length)]);
  }
  return new Bytes(le).u32(type).u32(data.length).raw(data).pad8().done();
}

interface VarSpec { name: string; classCode: number; dims: number[]; dataType: number; data: Buffer; smallName?: boolean }

function matrix(le: boolean, v: VarSpec): Buffer {
  const dims = new Bytes(le); for (const d of v.dims) dims.i32(d);
  const body = Buffer.concat([
    element(le, 6, new Bytes(le).u32(v.classCode).u32(0).done()),
    element(le, 5, dims.done()),
    element(le, 1, Buffer.from(v.name, 'latin1'), v.smallName),
    element(le, v.dataType, v.data),
  ]);
  return new Bytes(le).u32(14).u32(body.length).raw(body).done();
}

function compressed(le: boolean, v: VarSpec): Buffer {
  const z = deflateSync(matrix(le, v));
  return new Bytes(le).u32(15).u32(z.length).raw(z).done();
}

/** SVHN-like contents: N images whose pixel (r, c, ch) of image n is (n·7 + ch·50 + r·3 + c) mod 256, labels given. */
function svhnVars(le: boolean, labels: number[], yAsDoubles: boolean): { X: VarSpec; y: VarSpec } {
  const N = labels.length;
  const X = Buffer.alloc(32 * 32 * 3 * N);
  for (let n = 0; n < N; n++) for (let ch = 0; ch < 3; ch++) for (let c = 0; c < 32; c++) for (let r = 0; r < 32; r++) {
    X[r + 32 * c + 1024 * ch + 3072 * n] = (n * 7 + ch * 50 + r * 3 + c) % 256;
  }
  let yData: Buffer;
  if (yAsDoubles) { const b = new Bytes(le); for (const l of labels) b.f64(l); yData = b.done(); } else yData = Buffer.from(labels);
  return {
    X: { name: 'X', classCode: 9, dims: [32, 32, 3, N], dataType: 2, data: X, smallName: true },
    y: { name: 'y', classCode: 6, dims: [N, 1], dataType: yAsDoubles ? 9 : 2, data: yData, smallName: true },
  };
}

const expectedPixel = (n: number, ch: number, r: number, c: number): number => ((n * 7 + ch * 50 + r * 3 + c) % 256) / 255;

describe('MATLAB level-5 reader', () => {
  test('uncompressed and compressed variables, small-element names, doubles stored as uint8', () => {
    const labels = [10, 1, 2, 3, 10, 9];
    const { X, y } = svhnVars(true, labels, false);
    const dir = join(tmp, 'mixed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'train_32x32.mat'), Buffer.concat([header(true), compressed(true, X), matrix(true, y)]));
    writeFileSync(join(dir, 'test_32x32.mat'), Buffer.concat([header(true), matrix(true, X), compressed(true, y)]));
    const mat = readMat5(join(dir, 'train_32x32.mat'));
    assert.deepEqual(mat.variables.map((v) => [v.name, v.className, v.dims, v.compressed]), [['X', 'uint8', [32, 32, 3, 6], true], ['y', 'double', [6, 1], false]]);
    const { train, test: testSet } = loadSvhn(dir);
    for (const ds of [train, testSet]) {
      assert.deepEqual(ds.sampleShape, [3, 32, 32]);
      assert.equal(ds.temporal, false);
      assert.deepEqual(Array.from(ds.labels), [0, 1, 2, 3, 0, 9]);
      const out = new Float32Array(3 * 32 * 32);
      for (const n of [0, 5]) {
        ds.writeSample(n, out, 0);
        for (const [ch, r, c] of [[0, 0, 0], [1, 5, 31], [2, 31, 7], [0, 17, 4]]) {
          assert.ok(Math.abs(out[ch * 1024 + r * 32 + c] - expectedPixel(n, ch, r, c)) < 1e-6, `image ${n} (${ch}, ${r}, ${c})`);
        }
      }
    }
    assert.deepEqual(train.describe().labelCounts, [2, 1, 1, 1, 0, 0, 0, 0, 0, 1]);
    const report = inspectFile(join(dir, 'test_32x32.mat')) as MatReport;
    assert.deepEqual(report.variables.map((v) => [v.name, v.dims, v.compressed]), [['X', [32, 32, 3, 6], false], ['y', [6, 1], true]]);
    assert.deepEqual(report.labelCounts, { 1: 1, 2: 1, 3: 1, 9: 1, 10: 2 });
  });

  test('big-endian files and doubles stored as miDOUBLE', () => {
    const { X, y } = svhnVars(false, [4, 10], true);
    const path = join(tmp, 'be.mat');
    writeFileSync(path, Buffer.concat([header(false), matrix(false, X), compressed(false, y)]));
    const r = readSvhnMat(path);
    assert.deepEqual(Array.from(r.labels), [4, 0]);
    assert.equal(r.images[1024 * 2 + 32 * 3 + 1], Math.round(expectedPixel(0, 2, 3, 1) * 255));
  });

  test('malformed files give typed errors naming file and offset', () => {
    const { X, y } = svhnVars(true, [1, 2], false);
    const good = Buffer.concat([header(true), compressed(true, X), matrix(true, y)]);
    const cases: [string, Buffer, SnnError['kind'], RegExp][] = [
      ['short.mat', good.subarray(0, 100), 'malformedInput', /offset 100/],
      ['text.mat', Buffer.concat([Buffer.from('hello world'.padEnd(128, ' ')), good.subarray(128)]), 'malformedInput', /offset 0/],
      ['cut.mat', good.subarray(0, good.length - 20), 'malformedInput', new RegExp(`offset ${good.length - matrix(true, y).length}`)],
      ['v73.mat', Buffer.concat([Buffer.from('MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00'.padEnd(116, ' ')), Buffer.alloc(12)]), 'incompatibleVersion', /v7\.3/],
    ];
    const zlibBroken = Buffer.from(good);
    zlibBroken[128 + 8 + 10] ^= 0xff;
    cases.push(['zlib.mat', zlibBroken, 'malformedInput', /offset 128/]);
    const labels11 = svhnVars(true, [1, 11], false);
    cases.push(['label11.mat', Buffer.concat([header(true), matrix(true, labels11.X), matrix(true, labels11.y)]), 'malformedInput', /label 11/]);
    for (const [name, bytes, kind, re] of cases) {
      const path = join(tmp, name);
      writeFileSync(path, bytes);
      assert.throws(() => readSvhnMat(path), (err: unknown) => {
        assert.ok(err instanceof SnnError, String(err));
        assert.equal(err.kind, kind, `${name}: ${err.message}`);
        assert.ok(err.message.includes(path), err.message);
        assert.match(err.message, re, `${name}: ${err.message}`);
        return true;
      });
    }
  });

  test('a missing data set says where to put the files', () => {
    assert.throws(() => loadSvhn(join(tmp, 'absent')), (err: unknown) => err instanceof SnnError && err.kind === 'missingInput' && /train_32x32\.mat/.test(err.message));
  });
});
