// Hostile NIR files (made by tools/make-hostile-nir.py with h5py, which can write what h5wasm
// cannot): whatever they point at outside themselves is never read, and every one is refused with
// one line and exit 3, in bounded time and memory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hdf5ReadLimits, readHdf5Tree } from '../exporters/nir/h5-tree.ts';
import { exportNir } from '../exporters/nir/export.ts';
import { importNir } from '../exporters/nir/import.ts';
import { EXIT_CODES, SnnError } from '../src/errors.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';

const fixtures = join(import.meta.dirname, 'fixtures', 'nir-hostile');
const at = (name: string) => join(fixtures, name);
const out = mkdtempSync(join(tmpdir(), 'nir-hostile-'));
after(() => rmSync(out, { recursive: true, force: true }));

async function refusal(name: string): Promise<SnnError> {
  try {
    await importNir(at(name));
  } catch (err) {
    assert.ok(err instanceof SnnError, `${name}: expected an SnnError, got ${(err as Error)?.stack}`);
    assert.equal(err.kind, 'malformedInput', err.message);
    assert.ok(!err.message.includes('\n'), `not one line: ${err.message}`);
    return err;
  }
  assert.fail(`${name} was imported; it must be refused`);
}

test('the valid file the hostile ones are made from imports (so the refusals below are about what was added)', async () => {
  const { checkpoint } = await importNir(at('valid.nir'));
  assert.deepEqual(checkpoint.params.get('fc1.weight')?.shape, [12, 30]);
});

test('weights in HDF5 external storage are never read: not from /etc/passwd, not from a sibling file, not from the file itself', async () => {
  for (const name of ['external-storage-passwd.nir', 'external-storage-sibling.nir', 'external-storage-self.nir']) {
    const err = await refusal(name);
    assert.match(err.message, /\/node\/nodes\/fc1\/weight: .*external storage; snn-export reads only the file it is given/, name);
  }
});

test('import nir of a file whose weights are stored in /etc/passwd exits 3 with one line and writes no checkpoint', () => {
  const ck = join(out, 'passwd.safetensors');
  // Run from the fixtures' folder, where the relative external names would resolve.
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'snn-export.js'), 'import', 'nir', 'external-storage-passwd.nir', '-o', ck], { cwd: fixtures, encoding: 'utf8' });
  assert.equal(r.status, EXIT_CODES.malformedInput, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^snn-export: external-storage-passwd\.nir: \/node\/nodes\/fc1\/weight: unable to open external raw data file/);
  assert.equal(existsSync(ck), false);
});

test('external links and virtual datasets are refused by name, naming the file they point to', async () => {
  assert.match((await refusal('external-link.nir')).message, /\/node\/nodes\/fc1: an HDF5 external link to 'valid\.nir' \(\/node\/nodes\/fc1\)/);
  assert.match((await refusal('external-link-root.nir')).message, /\/node: an HDF5 external link to 'valid\.nir' \(\/node\)/);
  assert.match((await refusal('virtual-dataset.nir')).message, /\/node\/nodes\/fc1\/weight: an HDF5 virtual dataset drawing on 'valid\.nir'/);
});

test('a hard-link cycle stops at the nesting limit instead of walking for ever', async () => {
  const started = Date.now();
  assert.match((await refusal('link-cycle.nir')).message, /\/node\/nodes\/fc1\/loop\/nodes\/fc1\/loop.*groups nest deeper than 16 levels \(a link cycle\?\)/);
  assert.ok(Date.now() - started < 10_000);
});

test('a 25 kB file declaring a 2 GiB dataset is refused before the value is read', async () => {
  assert.match((await refusal('value-bomb.nir')).message, /\/node\/nodes\/fc1\/bias: its 268435456 values .* over the limit of 67108864 bytes for a file of \d+ bytes/);
});

test('a corrupt file that makes HDF5 ask for a gigabyte is refused within the heap cap', async () => {
  // heap-bomb.nir is valid.nir with a few flipped bits; unbounded, HDF5 grew to 1.7 GB on it.
  await refusal('heap-bomb.nir');
  const peakMB = process.resourceUsage().maxRSS / 1024;
  assert.ok(peakMB < 900, `peak RSS ${peakMB.toFixed(0)} MB`);
  // The reader is healthy afterwards.
  await importNir(at('valid.nir'));
});

test('a read that overruns its time limit is stopped with one line, and the next read works', async () => {
  // A 16 MB graph (784 → 5000 → 10) takes the reader tens of milliseconds: far over a 1 ms limit,
  // whereas the 25 kB valid.nir can come back within a millisecond from a warm reader.
  const spec: NetworkSpec = {
    version: 1, name: 'big', inputShape: [784], encoder: { kind: 'direct' }, timeSteps: 4,
    layers: [{ kind: 'dense', units: 5000 }, { kind: 'clif', alpha: 0.5, beta: 0.5, reset: 'zero' }, { kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }],
  };
  const big = join(out, 'big.nir');
  await exportNir({ spec, params: initParams(validateSpec(spec), 1), history: [] }, big, { dt: 1e-4, allowSubtractReset: false, pooling: 'avg' });
  await assert.rejects(readHdf5Tree(big, (n) => ({ ...hdf5ReadLimits(n), timeoutMs: 1 })),
    (err: unknown) => err instanceof SnnError && /big\.nir: reading the HDF5 structure did not finish within 0\.001 s/.test(err.message));
  const tree = await readHdf5Tree(big);
  const weight = tree.groups.get('node')?.groups.get('nodes')?.groups.get('dense1')?.fields.get('weight');
  assert.ok(weight?.kind === 'number' && weight.shape.join() === '5000,784', JSON.stringify(weight?.kind));
});

test('metadata asking for 10^9 time steps is refused at import, naming the field and the limit', async () => {
  assert.match((await refusal('time-steps-1e9.nir')).message, /time-steps-1e9\.nir: metadata 'time_steps' is 1000000000; expected a whole number from 1 to 10000$/);
});

test('a folder, a device or a missing path is refused before HDF5 sees it', async () => {
  await assert.rejects(readHdf5Tree(fixtures), (err: unknown) => err instanceof SnnError && err.kind === 'io' && /cannot read the NIR file: is a folder, not a file$/.test(err.message));
  await assert.rejects(readHdf5Tree('/dev/zero'), (err: unknown) => err instanceof SnnError && err.kind === 'io' && /is a character device, not a regular file$/.test(err.message));
  await assert.rejects(readHdf5Tree(at('absent.nir')), (err: unknown) => err instanceof SnnError && err.kind === 'missingInput' && /NIR file not found$/.test(err.message));
});
