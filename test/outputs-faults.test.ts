import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_CODES, SnnError } from '../src/errors.ts';
import { fromSystemError } from '../src/cli/run.ts';
import { saveCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';

// Fault tests of the outputs: what a user sees when the file system refuses (exit 10 and one line),
// that nothing is left behind and nothing good is overwritten, and that two runs writing one
// output do not both succeed. Full and read-only file systems are small tmpfs mounts, which need
// root; without them those tests skip and say so.

const bin = new URL('../bin/snn-export.js', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'outputs-faults-'));

// 784 → 32 dense weights are 100 kB of float32: more than the 64 kB full-disk mount holds.
const spec: NetworkSpec = {
  version: 1, name: 'faults', inputShape: [1, 28, 28], encoder: { kind: 'direct' }, timeSteps: 2,
  layers: [{ kind: 'flatten' }, { kind: 'dense', units: 32 }, { kind: 'clif', alpha: 0.3, beta: 0.5 }, { kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.3, beta: 0.5 }],
};
const ckPath = join(dir, 'faults.safetensors');
saveCheckpoint(ckPath, { spec, params: initParams(validateSpec(spec), 1, 1), history: [] });

/** One line on stderr, prefixed as the CLI prints every error. */
function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /^snn-export: /);
  assert.match(lines[0], pattern);
}

/** Mounts a tmpfs at `at` with `options`; returns why not if the system does not allow it. */
function mountTmpfs(at: string, options: string): string | undefined {
  mkdirSync(at, { recursive: true });
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount -t tmpfs is not permitted here (${(r.stderr || r.error?.message || '').trim()})`;
}

async function waitFor(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('full disk (64 kB tmpfs)', () => {
  const full = join(dir, 'full');
  let skip: string | undefined;
  before(() => { skip = mountTmpfs(full, 'size=64k'); });
  after(() => { if (!skip) spawnSync('umount', [full]); });

  test('export onnx onto a full disk: exit 10, one line, the previous file untouched, no temporary or lock file left', (t) => {
    if (skip) return t.skip(skip);
    const out = join(full, 'model.onnx');
    writeFileSync(out, 'the previous model');
    const r = cli('export', 'onnx', ckPath, '-o', out);
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /model\.onnx: cannot write: no space left on the device$/);
    assert.equal(readFileSync(out, 'utf8'), 'the previous model');
    assert.deepEqual(readdirSync(full), ['model.onnx']);
  });

  test('data emulate onto a full disk: exit 10, one line, and no partial data set', (t) => {
    if (skip) return t.skip(skip);
    const out = join(full, 'dvs');
    const r = cli('data', 'emulate', '--from', 'mnist', '-o', out, '--limit', '20', '--quiet');
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /\/full\/dvs\/grabbed_data\d\/scale16\/mnist_\d_scale16_\d+\.aedat: cannot write: no space left on the device \(the partial data set was removed\)$/);
    assert.ok(!readdirSync(full).includes('dvs'), `left behind: ${readdirSync(full).join(', ')}`);
    assert.ok(!readdirSync(full).some((n) => n.startsWith('.dvs')), `left behind: ${readdirSync(full).join(', ')}`);
  });
});

describe('full disk (1 MB tmpfs) under an earlier data set', () => {
  const small = join(dir, 'small');
  let skip: string | undefined;
  before(() => { skip = mountTmpfs(small, 'size=1m'); });
  after(() => { if (!skip) spawnSync('umount', [small]); });

  test('data emulate that runs out of space leaves the earlier emulation in the folder as it was', (t) => {
    if (skip) return t.skip(skip);
    const out = join(small, 'dvs');
    const first = cli('data', 'emulate', '--from', 'mnist', '-o', out, '--limit', '1', '--quiet');
    assert.equal(first.status, 0, first.stderr);
    const before = readFileSync(join(out, 'emulation.json'), 'utf8');
    const r = cli('data', 'emulate', '--from', 'mnist', '-o', out, '--limit', '20', '--quiet');
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /cannot write: no space left on the device \(the partial data set was removed\)$/);
    assert.equal(readFileSync(join(out, 'emulation.json'), 'utf8'), before);
    assert.deepEqual(readdirSync(out).sort(), ['emulation.json', ...Array.from({ length: 10 }, (_, d) => `grabbed_data${d}`)].sort());
    const recordings = readdirSync(out, { recursive: true }).filter((n) => String(n).endsWith('.aedat'));
    assert.equal(recordings.length, 2, 'the first run\'s two recordings, and only them');
  });
});

describe('read-only folder (read-only tmpfs)', () => {
  const ro = join(dir, 'ro');
  let skip: string | undefined;
  before(() => { skip = mountTmpfs(ro, 'ro,size=1m'); });
  after(() => { if (!skip) spawnSync('umount', [ro]); });

  test('export onnx into a read-only folder: exit 10, one line naming -o and the path', (t) => {
    if (skip) return t.skip(skip);
    const r = cli('export', 'onnx', ckPath, '-o', join(ro, 'sub', 'model.onnx'));
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /option -o: .*\/ro\/sub\/model\.onnx: cannot write: read-only file system$/);
  });

  test('the output is checked before the input is read: an unwritable -o is refused even when the checkpoint is missing', (t) => {
    if (skip) return t.skip(skip);
    const r = cli('export', 'nir', join(dir, 'no-such.safetensors'), '-o', join(ro, 'model.nir'));
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /option -o: .*model\.nir: cannot write: read-only file system$/);
  });

  test('data emulate into a read-only folder: exit 10 before any recording is emulated', (t) => {
    if (skip) return t.skip(skip);
    const r = cli('data', 'emulate', '--from', 'mnist', '-o', join(ro, 'dvs'), '--limit', '2');
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /option -o: .*\/ro\/dvs: cannot write: read-only file system$/);
  });
});

describe('a rename that fails after the bytes are written (the output is a mount point)', () => {
  const target = join(dir, 'mounted.onnx');
  let skip: string | undefined;
  before(() => {
    writeFileSync(target, 'the previous model');
    writeFileSync(join(dir, 'mount-source'), 'mounted over it');
    if (process.getuid?.() !== 0) { skip = 'a bind mount needs root'; return; }
    const r = spawnSync('mount', ['--bind', join(dir, 'mount-source'), target], { encoding: 'utf8' });
    if (r.status !== 0) skip = `mount --bind is not permitted here (${(r.stderr || r.error?.message || '').trim()})`;
  });
  after(() => { if (!skip) spawnSync('umount', [target]); });

  test('export onnx: exit 10, one line, and the temporary file is removed', (t) => {
    if (skip) return t.skip(skip);
    const r = cli('export', 'onnx', ckPath, '-o', target);
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /mounted\.onnx: cannot write: device or resource busy/);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.mounted.onnx')), []);
  });
});

describe('outputs that cannot be files', () => {
  test('-o naming a folder: exit 10, one line, the folder untouched', () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    writeFileSync(join(folder, 'keep'), 'x');
    const r = cli('export', 'onnx', ckPath, '-o', folder);
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /option -o: .*a-folder: cannot write: it is a folder, not a file$/);
    assert.deepEqual(readdirSync(folder), ['keep']);
  });

  test('-o below a regular file: exit 10, one line naming the file in the way', () => {
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'x');
    const r = cli('import', 'nir', join(dir, 'whatever.nir'), '-o', join(file, 'sub', 'ck.safetensors'));
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /option -o: .*plain\.txt\/sub\/ck\.safetensors: cannot write: .*plain\.txt is a file, not a folder$/);
  });

  test('-o naming a pipe (or a device such as /dev/null): refused, not replaced by a file', (t) => {
    const fifo = join(dir, 'a-pipe');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) return t.skip('mkfifo is not available');
    const r = cli('export', 'onnx', ckPath, '-o', fifo);
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /option -o: .*a-pipe: cannot write: it is a device, pipe or socket, not a regular file$/);
    assert.ok(lstatSync(fifo).isFIFO());
  });

  test('data emulate -o naming a regular file, or a folder of other files: refused, nothing written', () => {
    const file = join(dir, 'plain2.txt');
    writeFileSync(file, 'x');
    const r = cli('data', 'emulate', '--from', 'mnist', '-o', file, '--limit', '1', '--quiet');
    assert.equal(r.status, EXIT_CODES.io, r.stderr);
    assertOneLine(r.stderr, /plain2\.txt: cannot write: it is a file, not a folder$/);
    const other = join(dir, 'other-files');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    const o = cli('data', 'emulate', '--from', 'mnist', '-o', other, '--limit', '1', '--quiet');
    assert.equal(o.status, EXIT_CODES.usage, o.stderr);
    assertOneLine(o.stderr, /other-files already holds files that are not an emulated data set \(first: notes\.txt\)/);
    assert.deepEqual(readdirSync(other), ['notes.txt']);
  });
});

describe('two writers of one output', () => {
  test('a second data emulate to the same -o is refused while the first runs', async () => {
    const out = join(dir, 'shared-dvs');
    const lock = join(dir, '.shared-dvs.lock');
    // Long enough (10 000 recordings) to be running still when the second has started, however busy
    // the machine; it is stopped once the second has been refused.
    const first = spawn(process.execPath, [bin, 'data', 'emulate', '--from', 'mnist', '-o', out, '--limit', '5000', '--quiet'], { stdio: 'ignore' });
    const firstDone = new Promise<NodeJS.Signals | null>((resolve) => first.on('exit', (_code, sig) => resolve(sig)));
    try {
      await waitFor(() => existsSync(lock), 'the first run to take the lock');
      const second = cli('data', 'emulate', '--from', 'mnist', '-o', out, '--limit', '1', '--quiet');
      assert.equal(second.status, EXIT_CODES.io, second.stderr);
      assertOneLine(second.stderr, new RegExp(`option -o: .*shared-dvs is being written by another snn-export \\(pid ${first.pid}\\)`));
      assert.ok(existsSync(join(out, '.emulate-partial')), 'the first run goes on');
    } finally {
      first.kill('SIGTERM');
      assert.equal(await firstDone, 'SIGTERM');
    }
  });

  test('SIGTERM releases the lock and leaves no partial data set; a lock left by kill -9 is taken over', async () => {
    const out = join(dir, 'killed-dvs');
    const lock = join(dir, '.killed-dvs.lock');
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const run = spawn(process.execPath, [bin, 'data', 'emulate', '--from', 'mnist', '-o', out, '--limit', '5000', '--quiet'], { stdio: 'ignore' });
      const done = new Promise<NodeJS.Signals | null>((resolve) => run.on('exit', (_code, sig) => resolve(sig)));
      await waitFor(() => existsSync(join(out, '.emulate-partial')), 'the run to start writing');
      run.kill(signal);
      assert.equal(await done, signal);
      if (signal === 'SIGTERM') {
        assert.ok(!existsSync(lock), 'SIGTERM releases the lock');
        assert.ok(!existsSync(out), 'SIGTERM removes the partial data set');
      } else {
        assert.equal(readFileSync(lock, 'utf8').split(' ')[0], String(run.pid), 'kill -9 leaves its lock');
      }
    }
    const r = cli('data', 'emulate', '--from', 'mnist', '-o', out, '--limit', '1', '--quiet');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['emulation.json', ...Array.from({ length: 10 }, (_, d) => `grabbed_data${d}`)].sort());
    assert.ok(!existsSync(lock));
  });

  test('export: a lock held by a live process refuses the export; a reused pid or a process that is gone does not, and its temporary file is removed', async () => {
    const out = join(dir, 'locked.onnx');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, '.locked.onnx.lock'), `${holder.pid}\n`);
      const r = cli('export', 'onnx', ckPath, '-o', out);
      assert.equal(r.status, EXIT_CODES.io, r.stderr);
      assertOneLine(r.stderr, new RegExp(`locked\\.onnx is being written by another snn-export \\(pid ${holder.pid}\\)`));
      assert.ok(!existsSync(out));
      // The same pid with another start time is a process that reused the pid of a killed writer.
      if (existsSync(`/proc/${holder.pid}/stat`)) {
        writeFileSync(join(dir, '.locked.onnx.lock'), `${holder.pid} 1\n`);
        const reused = cli('export', 'onnx', ckPath, '-o', out);
        assert.equal(reused.status, 0, reused.stderr);
        rmSync(out);
      }
      writeFileSync(join(dir, '.locked.onnx.lock'), `${holder.pid}\n`);
    } finally {
      const gone = new Promise((resolve) => holder.on('exit', resolve));
      holder.kill();
      await gone;
    }
    // What a writer killed half-way through writeFileAtomic leaves: the next claim removes it.
    writeFileSync(join(dir, `.locked.onnx.${holder.pid}.0badc0de.0.tmp`), 'half a model');
    const r = cli('export', 'onnx', ckPath, '-o', out);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(out));
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.locked.onnx')), [], 'no lock or temporary file left');
  });
});

test('safety net: a Node file-system error no caller named becomes the one-line error (missing: exit 4, otherwise 10)', () => {
  const folder = join(dir, 'net');
  mkdirSync(folder);
  const caught = (f: () => unknown) => { try { f(); } catch (err) { return fromSystemError(err); } throw new Error('no error'); };
  const isDir = caught(() => openSync(folder, 'w')) as SnnError;
  assert.ok(isDir instanceof SnnError);
  assert.equal(isDir.exitCode, EXIT_CODES.io);
  assert.equal(isDir.message, `${folder}: cannot open: is a folder, not a file`);
  const missing = caught(() => readFileSync(join(folder, 'nope'))) as SnnError;
  assert.equal(missing.exitCode, EXIT_CODES.missingInput);
  assert.match(missing.message, /nope: cannot open: no such file or folder$/);
  const other = new Error('not a file-system error');
  assert.equal(fromSystemError(other), other);
});

after(() => rmSync(dir, { recursive: true, force: true }));
