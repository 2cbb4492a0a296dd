import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { loadMnist, embeddedMnistDir } from '../src/data/mnist.ts';
import { SnnError } from '../src/errors.ts';

function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** A folder with a small valid MNIST in IDX files; `edit` may replace any file's bytes. */
function folder(edit: (files: Record<string, Buffer>) => void = () => {}, gzip = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'mnist-'));
  const n = 3;
  const images = Uint8Array.from({ length: n * 4 }, (_, i) => i * 20);
  const files: Record<string, Buffer> = {
    'train-images-idx3-ubyte': idx(2051, [n, 2, 2], images), 'train-labels-idx1-ubyte': idx(2049, [n], Uint8Array.from([1, 2, 9])),
    't10k-images-idx3-ubyte': idx(2051, [n, 2, 2], images), 't10k-labels-idx1-ubyte': idx(2049, [n], Uint8Array.from([0, 5, 7])),
  };
  edit(files);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  return dir;
}

function error(dir: string): SnnError {
  try { loadMnist(dir); } catch (e) { assert.ok(e instanceof SnnError, String(e)); return e; }
  assert.fail('accepted');
}

test('plain and gzip IDX files read to the same images and labels', () => {
  for (const gz of [false, true]) {
    const { train, test: t } = loadMnist(folder(undefined, gz));
    assert.equal(train.count, 3);
    assert.deepEqual(Array.from(train.labels), [1, 2, 9]);
    assert.deepEqual(Array.from(t.labels), [0, 5, 7]);
    const out = new Float32Array(4);
    train.writeSample(1, out, 0);
    assert.deepEqual(Array.from(out), [80, 100, 120, 140].map((v) => Math.fround(v / 255)));
  }
});

test('the embedded MNIST has 60 000 training and 10 000 test images of 28×28', () => {
  const { train, test: t } = loadMnist();
  assert.equal(train.count, 60000);
  assert.equal(t.count, 10000);
  assert.deepEqual(train.sampleShape, [1, 28, 28]);
  assert.ok(embeddedMnistDir().endsWith('data'));
});

test('a wrong magic number, a truncated file and a count mismatch each give one line naming the file', () => {
  let e = error(folder((f) => { f['train-images-idx3-ubyte'].writeUInt32BE(0x12345678, 0); }));
  assert.equal(e.exitCode, 3);
  assert.match(e.message, /train-images-idx3-ubyte: offset 0: wrong magic number 0x12345678/);
  e = error(folder((f) => { f['t10k-images-idx3-ubyte'] = f['t10k-images-idx3-ubyte'].subarray(0, 20); }));
  assert.match(e.message, /t10k-images-idx3-ubyte: truncated: the header promises 3×2×2 = 12 bytes of data, the file has 4/);
  e = error(folder((f) => { f['train-labels-idx1-ubyte'] = idx(2049, [2], Uint8Array.from([1, 2])); }));
  assert.match(e.message, /train-labels-idx1-ubyte: holds 2 labels but .*train-images-idx3-ubyte holds 3 images/);
  e = error(folder((f) => { f['train-images-idx3-ubyte'] = f['train-images-idx3-ubyte'].subarray(0, 2); }));
  assert.match(e.message, /truncated: 2 bytes/);
  e = error(folder((f) => { f['train-images-idx3-ubyte'] = gzipSync(f['train-images-idx3-ubyte']).subarray(0, 15); }));
  assert.match(e.message, /train-images-idx3-ubyte: gzip data is corrupt or truncated/);
  assert.ok(!e.message.includes('\n'), 'one line');
});

test('a missing file says where to put the MNIST files', () => {
  const dir = folder();
  const e = error(join(dir, 'nope'));
  assert.equal(e.exitCode, 4);
  const dir2 = mkdtempSync(join(tmpdir(), 'mnist-empty-'));
  const e2 = error(dir2);
  assert.match(e2.message, /train-images-idx3-ubyte\[\.gz\] not found; put the four MNIST IDX files .* in /);
});

test('the CLI prints the malformed-file line and exits with code 3, without a stack trace', () => {
  const dir = folder((f) => { f['train-images-idx3-ubyte'].writeUInt32BE(7, 0); });
  const bin = new URL('../bin/snn-export.js', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [bin, 'train', '--data-dir', dir, '--epochs', '1', '-o', join(dir, 'x.safetensors')], { encoding: 'utf8' });
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /wrong magic number 0x00000007/);
  assert.ok(!readFileSync(join(dir, 'train-labels-idx1-ubyte')).equals(Buffer.alloc(0)));
});
