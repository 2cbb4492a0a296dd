/**
 * Hostile input files (issue 20): each class of crafted file is refused with one line naming the
 * file, the field and the limit, with its documented exit code, quickly and in bounded memory;
 * and good files still load. The files are built here, small; the CLI is run where the user's
 * view matters (exit code and line), the library elsewhere (the CLI's start-up costs a second).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { decodeBundle, encodeBundle, MAX_BUNDLE_STEP_OFFSETS } from '../exporters/events/bundle.ts';
import { loadProfileFile } from '../hardware-profiles/index.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/checkpoint/safetensors.ts';
import { decodeIdx } from '../src/data/idx.ts';
import { readEventFile } from '../src/data/events/event-file.ts';
import { readMat5 } from '../src/data/mat5.ts';
import { EXIT_CODES, SnnError } from '../src/errors.ts';
import { quantizeNetwork } from '../src/quantize/quantize.ts';
import { loadProfile } from '../hardware-profiles/index.ts';
import { loadSpecFile } from '../src/spec/file.ts';
import { SPEC_LIMITS } from '../src/spec/limits.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { readInput } from '../src/util/read-input.ts';

const REPO = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'snn-hostile-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the real CLI; a hang fails the test instead of stalling the suite. */
function cli(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/snn-export.js'), ...args], { cwd: tmp, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, `snn-export ${args.join(' ')} was killed (${r.signal}): it hung`);
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** The one line on stderr, checked for exit code and content. */
function refusedLine(r: { status: number | null; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(r.status, code, r.stderr);
  assert.match(r.stderr, /^snn-export: [^\n]+\n$/, `one line, no stack: ${r.stderr}`);
  assert.match(r.stderr, pattern);
}

/** The SnnError `fn` throws: its kind, one line, and a message matching `pattern`. */
function refuses(fn: () => unknown, kind: SnnError['kind'], pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SnnError, `not an SnnError: ${(err as Error)?.stack ?? String(err)}`);
    assert.equal(err.kind, kind, err.message);
    assert.ok(!err.message.includes('\n'), 'one line');
    assert.match(err.message, pattern);
    return true;
  });
}

const SPEC: NetworkSpec = {
  version: 1, name: 'tiny', inputShape: [1, 4, 4], encoder: { kind: 'direct' }, timeSteps: 4,
  layers: [{ kind: 'flatten' }, { kind: 'dense', units: 5 }, { kind: 'clif', alpha: 0.5, beta: 0.8 }, { kind: 'dense', units: 3 }, { kind: 'readout', alpha: 0.5, beta: 0.8 }],
};
const withLayers = (layers: unknown[], extra: Record<string, unknown> = {}): NetworkSpec => ({ ...SPEC, ...extra, layers } as NetworkSpec);

function checkpointOf(spec: NetworkSpec): Checkpoint {
  // Parameters of the tiny spec; a hostile spec is embedded as it is, unvalidated.
  return { spec, params: initParams(validateSpec(SPEC), 1), history: [] };
}
const checkpointBytes = (ck: Checkpoint): Buffer => Buffer.concat(encodeCheckpoint(ck));

describe('only regular files are read, within their size limit', () => {
  test('simulate /dev/zero, a FIFO and a folder are refused at once with exit 10', () => {
    refusedLine(cli('simulate', '/dev/zero'), EXIT_CODES.io, /^snn-export: \/dev\/zero: cannot read the events bundle: is a character device, not a regular file\n$/);
    const fifo = join(tmp, 'pipe.bundle');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status === 0) refusedLine(cli('simulate', fifo), EXIT_CODES.io, /pipe\.bundle: cannot read the events bundle: is a FIFO \(named pipe\), not a regular file/);
    refusedLine(cli('data', 'inspect', tmp), EXIT_CODES.io, /cannot read the file: is a folder, not a file/);
  });

  test('train --spec /dev/zero is refused before any training', () => {
    refusedLine(cli('train', '--spec', '/dev/zero', '--epochs', '1', '--limit', '10', '-o', join(tmp, 'never.safetensors')), EXIT_CODES.io,
      /^snn-export: \/dev\/zero: cannot read the network spec: is a character device, not a regular file\n$/);
  });

  test('a checkpoint over the 1 GiB limit is refused on its size, before it is read', () => {
    const big = join(tmp, 'big.safetensors');
    writeFileSync(big, '');
    truncateSync(big, 1024 ** 3 + 1); // sparse: costs no disk
    refusedLine(cli('export', 'onnx', big, '-o', join(tmp, 'never.onnx')), EXIT_CODES.malformedInput, /big\.safetensors: 1073741825 bytes, more than the limit of 1 GiB \(checkpoint\)/);
    refuses(() => readInput(big, { what: 'thing', maxBytes: 100 }), 'malformedInput', /: 1073741825 bytes, more than the limit of 100 bytes \(thing\)$/);
  });

  test('JSON with a UTF-8 byte-order mark loads: a spec and a hardware profile', () => {
    const spec = join(tmp, 'bom-spec.json');
    writeFileSync(spec, `\ufeff${JSON.stringify(SPEC)}\r\n`);
    assert.deepEqual(loadSpecFile(spec), SPEC);
    const profile = join(tmp, 'bom-profile.json');
    writeFileSync(profile, `\ufeff${JSON.stringify(loadProfile('loihi2'))}`);
    assert.equal(loadProfileFile(profile).name, 'loihi2');
  });

  test('a hardware profile whose weight exponents span ±2^31 is refused on load, not searched for ever', () => {
    const profile = join(tmp, 'wide-exponent.json');
    const p = loadProfile('loihi2');
    writeFileSync(profile, JSON.stringify({ ...p, weights: { ...p.weights, exponent: { min: { value: -(2 ** 31), assumption: 'hostile' }, max: { value: 2 ** 31, assumption: 'hostile' } } } }));
    refuses(() => loadProfileFile(profile), 'malformedInput', /wide-exponent\.json: weights\.exponent\.min is -2147483648, outside \[-64, 64\]$/);
  });

  test('an event file read whole is refused over its limit before decoding', () => {
    const file = join(tmp, 'x.bin');
    writeFileSync(file, Buffer.from([1, 2, 0, 0, 5, 3, 4, 0x80, 0, 9]));
    assert.equal(readEventFile(file).count, 2);
    refuses(() => readEventFile(file, { maxBytes: 5 }), 'malformedInput', /x\.bin: 10 bytes, more than the limit of 5 bytes \(event file read whole\)/);
  });
});

describe('decompression stops at what the header declares', () => {
  const idxHeader = (dims: number[]): Buffer => {
    const h = Buffer.alloc(4 + 4 * dims.length);
    h.writeUInt32BE(0x0800 | dims.length, 0);
    dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
    return h;
  };
  // 64 MiB of zeros compress to 64 KiB: the same bomb at any ratio.
  const zeros = Buffer.alloc(64 << 20);

  test('a gzip IDX file that inflates past its dimensions is refused (data inspect, exit 3)', () => {
    const bomb = join(tmp, 'bomb-idx3-ubyte.gz');
    writeFileSync(bomb, gzipSync(Buffer.concat([idxHeader([10, 28, 28]), zeros])));
    refusedLine(cli('data', 'inspect', bomb), EXIT_CODES.malformedInput,
      /bomb-idx3-ubyte\.gz: gzip data inflates to more than the 7856 bytes its header declares \(10×28×28 bytes after a 16-byte header\)/);
  });

  test('IDX dimensions beyond the 256 MiB limit are refused from the header; a good gzip IDX still loads', () => {
    refuses(() => decodeIdx(gzipSync(idxHeader([60000, 1000, 1000])), 'huge.gz'), 'malformedInput',
      /huge\.gz \(inflated\): offset 4: dimensions 60000×1000×1000 declare 60000000000 bytes of data, more than the limit of 256 MiB/);
    refuses(() => decodeIdx(idxHeader([60000, 1000, 1000]), 'huge'), 'malformedInput', /limit of 256 MiB/);
    const good = decodeIdx(gzipSync(Buffer.concat([idxHeader([3, 2, 2]), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])])), 'good.gz');
    assert.deepEqual(good.dims, [3, 2, 2]);
    assert.equal(good.data[11], 11);
  });

  // MAT v5: header, then miCOMPRESSED holding one miMATRIX (array flags, dims, name, real part).
  const u32 = (...v: number[]): Buffer => Buffer.from(new Uint32Array(v).buffer);
  const element = (type: number, data: Buffer): Buffer => Buffer.concat([u32(type, data.length), data, Buffer.alloc((8 - (data.length % 8)) % 8)]);
  const matHeader = (): Buffer => {
    const text = Buffer.alloc(116, 0x20);
    text.write('MATLAB 5.0 MAT-file, hostile', 'latin1');
    return Buffer.concat([text, Buffer.alloc(8), Buffer.from([0, 1]), Buffer.from('IM', 'latin1')]);
  };
  const matrix = (name: string, classCode: number, dims: number[], realType: number, real: Buffer): Buffer => {
    const body = Buffer.concat([element(6, u32(classCode, 0)), element(5, Buffer.from(new Int32Array(dims).buffer)), element(1, Buffer.from(name, 'latin1')), element(realType, real)]);
    return Buffer.concat([u32(14, body.length), body]);
  };
  // Compressed elements are not padded to 8 bytes.
  const compressedElement = (m: Buffer): Buffer => { const z = deflateSync(m); return Buffer.concat([u32(15, z.length), z]); };

  test('a compressed MAT variable that inflates past its dimensions × class size is refused (data inspect, exit 3)', () => {
    const bomb = join(tmp, 'bomb.mat');
    // 'y', uint8 2×1, whose real part holds 64 MiB: its dimensions allow 2 bytes.
    writeFileSync(bomb, Buffer.concat([matHeader(), compressedElement(matrix('y', 9, [2, 1], 2, zeros))]));
    refusedLine(cli('data', 'inspect', bomb), EXIT_CODES.malformedInput,
      /bomb\.mat: offset 128: compressed variable 'y' inflates to more than the \d+ bytes its dimensions 2×1 uint8 allow/);
  });

  test('a MAT variable declaring more than 512 MiB is refused; listed variables are not inflated; good ones decode', () => {
    const file = join(tmp, 'dims.mat');
    writeFileSync(file, Buffer.concat([matHeader(), compressedElement(matrix('X', 6, [100000, 100000], 9, Buffer.alloc(8)))]));
    refuses(() => readMat5(file), 'malformedInput', /dims\.mat: offset 128 \(inside the compressed element\): variable 'X': dimensions 100000×100000 double need \d+ bytes, more than the limit of 512 MiB/);
    const listed = readMat5(file, { decode: () => false });
    assert.deepEqual(listed.variables.map((v) => [v.name, v.dims, v.data]), [['X', [100000, 100000], undefined]]);
    const good = join(tmp, 'good.mat');
    writeFileSync(good, Buffer.concat([matHeader(), compressedElement(matrix('y', 9, [3, 1], 2, Buffer.from([1, 2, 10])))]));
    assert.deepEqual(Array.from(readMat5(good).variables[0].data as Uint8Array), [1, 2, 10]);
  });
});

describe('network specs: documented maxima and null layers', () => {
  test('units, channels, time steps, neurons and parameters over their limits are refused naming field, value and limit', () => {
    const dense = (units: number) => [{ kind: 'flatten' }, { kind: 'dense', units }, { kind: 'clif', alpha: 0.5, beta: 0.5 }, { kind: 'dense', units: 3 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }];
    refuses(() => validateSpec(withLayers(dense(1e6))), 'invalidSpec', /^layer 2 \(dense 'dense1'\): 'units' is 1000000, more than the limit of 65536$/);
    refuses(() => validateSpec(withLayers([{ kind: 'conv2d', channels: 1e5, kernel: 3 }, { kind: 'clif', alpha: 0.5, beta: 0.5 }, { kind: 'flatten' }, { kind: 'dense', units: 3 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }], { inputShape: [1, 28, 28] })),
      'invalidSpec', /'channels' is 100000, more than the limit of 65536/);
    refuses(() => validateSpec(withLayers([{ kind: 'conv2d', channels: 60000, kernel: 3 }, { kind: 'clif', alpha: 0.5, beta: 0.5 }, { kind: 'flatten' }, { kind: 'dense', units: 3 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }], { inputShape: [1, 28, 28] })),
      'invalidSpec', /layer 1 \(conv2d 'conv2d1'\): shape \[60000,26,26\] holds 40560000 values per step, more than the limit of 1048576 neurons per layer/);
    refuses(() => validateSpec(withLayers(dense(60000), { inputShape: [1, 100, 100] })), 'invalidSpec', /layer 2 \(dense 'dense1'\): brings the network to 600060000 parameters, more than the limit of 50000000/);
    refuses(() => validateSpec(withLayers(SPEC.layers, { timeSteps: 1e5 })), 'invalidSpec', /^spec: 'timeSteps' is 100000, more than the limit of 10000$/);
    refuses(() => validateSpec(withLayers([{ kind: 'conv2d', channels: 2, kernel: 5000 }])), 'invalidSpec', /'kernel' is 5000, more than the limit of 1024/);
    // A value nested deeper than JSON.stringify can recurse is shown by kind.
    let deep: unknown = 12;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    refuses(() => validateSpec(withLayers([{ kind: 'flatten' }, { kind: 'dense', units: deep }])), 'invalidSpec', /'units' must be a positive integer, got an array of 1$/);
    const deepLayers = [{ kind: 'flatten' }, ...Array.from({ length: 5 }, () => [{ kind: 'dense', units: 4 }, { kind: 'clif', alpha: 0.5, beta: 0.5 }]).flat(), { kind: 'dense', units: 3 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }];
    refuses(() => validateSpec(withLayers(deepLayers, { timeSteps: 10_000 })), 'invalidSpec', /^spec: 10000 time steps × 6 neuron layers = 60000 unrolled steps, more than the limit of 50000$/);
    assert.equal(SPEC_LIMITS.timeSteps, 10_000);
    // At the limits themselves a spec is accepted.
    validateSpec(withLayers(SPEC.layers, { timeSteps: SPEC_LIMITS.timeSteps }));
  });

  test('a null layer is a one-line invalidSpec error, in a spec file (train --spec, exit 5) and in a checkpoint (export onnx, exit 5)', () => {
    refuses(() => validateSpec(withLayers([{ kind: 'flatten' }, null])), 'invalidSpec', /^layer 2: must be an object with a 'kind', got null$/);
    const spec = join(tmp, 'null-layer.json');
    writeFileSync(spec, JSON.stringify(withLayers([{ kind: 'flatten' }, null])));
    refusedLine(cli('train', '--spec', spec, '--epochs', '1', '--limit', '10', '-o', join(tmp, 'never.safetensors')), EXIT_CODES.invalidSpec,
      /^snn-export: \S*null-layer\.json: layer 2: must be an object with a 'kind', got null\n$/);
    const ck = join(tmp, 'null-layer.safetensors');
    writeFileSync(ck, checkpointBytes(checkpointOf(withLayers([...SPEC.layers.slice(0, 2), null, ...SPEC.layers.slice(3)]))));
    refusedLine(cli('export', 'onnx', ck, '-o', join(tmp, 'never.onnx')), EXIT_CODES.invalidSpec,
      /^snn-export: \S*null-layer\.safetensors: embedded spec: layer 3: must be an object with a 'kind', got null\n$/);
  });

  test('a checkpoint whose spec runs 100 000 steps is refused on load', () => {
    refuses(() => decodeCheckpoint(checkpointBytes(checkpointOf(withLayers(SPEC.layers, { timeSteps: 1e5 }))), 'long.safetensors'), 'invalidSpec',
      /^long\.safetensors: embedded spec: spec: 'timeSteps' is 100000, more than the limit of 10000$/);
  });
});

describe('safetensors headers are checked against the bytes', () => {
  /** A file whose header is `header` (any JSON text) followed by `data`. */
  const file = (header: string, data = Buffer.alloc(16)): Buffer => {
    const h = Buffer.from(header);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    return Buffer.concat([len, h, data]);
  };
  const tensor = (offsets: unknown, shape: unknown = [2], dtype = 'F32') => ({ dtype, shape, data_offsets: offsets });
  const cases: [string, Buffer, RegExp][] = [
    ['a null header', file('null'), /^h: offset 8: the header is null, not a JSON object of tensors$/],
    ['an array header', file('[1,2]'), /the header is \[1, 2\], not a JSON object of tensors/],
    ['a number entry', file('{"w":3}'), /tensor 'w': the header entry is 3, not an object/],
    ['negative offsets', file(JSON.stringify({ w: tensor([-8, 0]) })), /tensor 'w': data_offsets \[-8, 0\] are not two integers 0 ≤ begin ≤ end/],
    ['reversed offsets', file(JSON.stringify({ w: tensor([8, 0]) })), /data_offsets \[8, 0\] are not two integers 0 ≤ begin ≤ end/],
    ['offsets past the end', file(JSON.stringify({ w: tensor([16, 24]) })), /tensor 'w': data_offsets \[16, 24\] end past the 16 bytes of data after the header/],
    ['overlapping tensors', file(JSON.stringify({ a: tensor([0, 8]), b: tensor([4, 12]) })), /tensor 'b': data_offsets \[4, 12\] overlap tensor 'a' \[0, 8\]/],
    ['a header length beyond the file', Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), Buffer.alloc(8)]), /offset 0: header length 4294967295 exceeds the file size 16/],
    ['shape and bytes that disagree', file(JSON.stringify({ w: tensor([0, 8], [3]) })), /tensor 'w': data_offsets \[0, 8\] hold 8 bytes, shape \[3\] of F32 needs 12/],
    ['another dtype', file(JSON.stringify({ w: tensor([0, 8], [2], 'F64') })), /tensor 'w': dtype "F64" is not supported/],
    ['a huge shape', file(JSON.stringify({ w: tensor([0, 8], [1e9, 1e9, 1e9]) })), /shape \[1000000000,1000000000,1000000000\] of F32 needs/],
    ['a shape that is not integers', file(JSON.stringify({ w: tensor([0, 8], [-2, -1]) })), /shape \[-2, -1\] is not a list of at most 8 non-negative integers/],
    ['metadata that is not strings', file(JSON.stringify({ __metadata__: { spec: 5 } })), /__metadata__ 'spec' is 5, not a string/],
  ];
  for (const [what, bytes, pattern] of cases) {
    test(`${what}: one line, exit code 3`, () => refuses(() => decodeSafetensors(bytes, 'h'), 'malformedInput', pattern));
  }

  test('export onnx on a checkpoint with a null header or negative offsets: exit 3, one line', () => {
    const nullHeader = join(tmp, 'null-header.safetensors');
    writeFileSync(nullHeader, file('null'));
    refusedLine(cli('export', 'onnx', nullHeader, '-o', join(tmp, 'never.onnx')), EXIT_CODES.malformedInput, /null-header\.safetensors: offset 8: the header is null, not a JSON object of tensors/);
    // A real checkpoint whose first tensor is moved to read 8 bytes out of the header.
    const good = checkpointBytes(checkpointOf(SPEC));
    const len = Number(good.readBigUInt64LE(0));
    const header = JSON.parse(good.subarray(8, 8 + len).toString()) as Record<string, { data_offsets: number[] }>;
    header['dense1.bias'].data_offsets = [-8, header['dense1.bias'].data_offsets[1] - 8];
    const negative = join(tmp, 'negative.safetensors');
    writeFileSync(negative, file(JSON.stringify(header), Buffer.from(good.subarray(8 + len))));
    refusedLine(cli('export', 'onnx', negative, '-o', join(tmp, 'never.onnx')), EXIT_CODES.malformedInput, /negative\.safetensors: tensor 'dense1\.bias': data_offsets \[-8, \d+\] are not two integers 0 ≤ begin ≤ end/);
  });

  test('a checkpoint loads; its parameters, optimizer state and records are checked against its spec', () => {
    const path = join(tmp, 'good.safetensors');
    const ck = checkpointOf(SPEC);
    writeFileSync(path, checkpointBytes({ ...ck, progress: { epoch: 1, batch: 0 }, history: [{ epoch: 1, trainLoss: 1, trainAccuracy: 0.5, seconds: 1, samplesPerSecond: 1 }] }));
    const loaded = loadCheckpoint(path);
    assert.deepEqual(loaded.params.get('dense1.weight'), ck.params.get('dense1.weight'));
    const wrongShape = new Map(ck.params);
    wrongShape.set('dense2.weight', { shape: [3, 4], data: new Float32Array(12) });
    refuses(() => decodeCheckpoint(checkpointBytes({ ...ck, params: wrongShape }), 'c'), 'malformedInput', /c: parameter 'dense2\.weight' has shape \[3,4\], the spec needs \[3,5\]/);
    const moments = { step: 1, m: new Map([['ghost.weight', { shape: [1], data: new Float32Array(1) }]]), v: new Map() };
    refuses(() => decodeCheckpoint(checkpointBytes({ ...ck, optimizer: moments }), 'c'), 'malformedInput', /tensor 'optimizer\.m\.ghost\.weight' belongs to no parameter/);
    refuses(() => decodeCheckpoint(checkpointBytes({ ...ck, progress: { epoch: -1, batch: 0 } }), 'c'), 'malformedInput', /metadata 'progress' must hold non-negative integers/);
    refuses(() => decodeCheckpoint(checkpointBytes({ ...ck, history: [null] as never }), 'c'), 'malformedInput', /metadata 'history' must be a JSON array of epoch records/);
    // Nested deeper than JSON.stringify can write back (as a resumed run or a report would).
    const metadata = { format: CHECKPOINT_FORMAT, format_version: String(CHECKPOINT_VERSION), spec: JSON.stringify(SPEC), history: '[]', training: `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}` };
    refuses(() => decodeCheckpoint(Buffer.concat(encodeSafetensors({ tensors: ck.params, metadata })), 'c'), 'malformedInput', /^c: metadata 'training': JSON nested deeper than 64 levels$/);
  });
});

describe('bundle counts are checked before anything is allocated', () => {
  const proto = protobuf.loadSync(join(REPO, 'exporters/events/bundle.proto')).lookupType('snn_export.events.v1.Bundle');
  const good = (): Uint8Array => {
    const resolved = validateSpec(SPEC);
    const { network, report } = quantizeNetwork(resolved, initParams(resolved, 1), loadProfile('generic-int8'));
    return encodeBundle({ generator: 'test', network, report, classNames: [], samples: [] });
  };
  /** The bundle with `edit` applied to its decoded message, re-encoded with a valid checksum. */
  const edited = (edit: (m: Record<string, any>) => void): Buffer => {
    const bytes = good();
    const m = proto.toObject(proto.decode(bytes.subarray(0, bytes.length - 5)), { longs: Number, defaults: true, arrays: true });
    edit(m);
    const body = proto.encode(proto.fromObject(m)).finish();
    const trailer = Buffer.alloc(5);
    trailer[0] = (15 << 3) | 5;
    trailer.writeUInt32LE(crc32(body), 1);
    return Buffer.concat([body, trailer]);
  };

  test('time_steps 2^32−1: simulate refuses it at once (exit 3) naming the field and the limit', () => {
    const path = join(tmp, 'long.bundle');
    writeFileSync(path, edited((m) => { m.network.timeSteps = 2 ** 32 - 1; }));
    refusedLine(cli('simulate', path), EXIT_CODES.malformedInput, /long\.bundle: field 'network\.time_steps' is 4294967295, more than the limit of 10000/);
  });

  test('neurons, kernels and samples × steps beyond the limits are refused; a good bundle decodes', () => {
    assert.equal(decodeBundle(good(), 'g').network.timeSteps, 4);
    refuses(() => decodeBundle(edited((m) => { m.network.inputShape = [1, 4096, 4096]; }), 'b'), 'malformedInput',
      /^b: field 'network\.input_shape' \[1,4096,4096\] holds 16777216 values, more than the limit of 1048576 per layer$/);
    refuses(() => decodeBundle(edited((m) => { m.network.layers[0].outShape = [1024, 1024, 4]; }), 'b'), 'malformedInput', /field 'network\.layers\[0\]\.out_shape' \[1024,1024,4\] holds 4194304 values/);
    refuses(() => decodeBundle(edited((m) => { m.network.layers[0].kernel = 5000; }), 'b'), 'malformedInput', /field 'network\.layers\[0\]\.kernel' is 5000, more than the limit of 1024/);
    refuses(() => decodeBundle(edited((m) => { m.network.layers.push(...Array.from({ length: 300 }, () => m.network.layers[0])); }), 'b'), 'malformedInput', /field 'network\.layers' is 301, more than the limit of 256/);
    const samples = Math.floor(MAX_BUNDLE_STEP_OFFSETS / 10_001) + 1;
    refuses(() => decodeBundle(edited((m) => { m.network.timeSteps = 10_000; m.samples = Array.from({ length: samples }, () => ({})); m.sampleCount = samples; }), 'b'), 'malformedInput',
      new RegExp(`^b: ${samples} samples × 10001 step offsets = \\d+, more than the limit of ${MAX_BUNDLE_STEP_OFFSETS}$`));
  });
});


test('an error line never carries a file\'s control characters and is cut at 1000 characters, saying how much was cut', () => {
  // A spec whose layer kind holds a carriage return and a terminal escape.
  const spec = join(tmp, 'control-kind.json');
  writeFileSync(spec, JSON.stringify({ ...SPEC, layers: [{ kind: 'bad\r\u001b[2Jkind' }] }));
  const r = cli('train', '--spec', spec, '-o', join(tmp, 'never.safetensors'));
  refusedLine(r, EXIT_CODES.invalidSpec, /unknown layer kind "bad\\r\\u001b\[2Jkind"/);
  assert.ok(!/[\r\u001b]/.test(r.stderr), r.stderr);
  // A 3000-character path that does not exist: the line names it, cut.
  const long = join(tmp, ...Array.from({ length: 12 }, (_, i) => `${i}`.padEnd(250, 'p')), 'absent.aedat');
  const missing = cli('data', 'inspect', long);
  refusedLine(missing, EXIT_CODES.missingInput, /… \(\d+ more characters\)\n$/);
  assert.ok(missing.stderr.length < 'snn-export: '.length + 1000 + 40, `a line of ${missing.stderr.length} characters`);
});
