import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_CODES } from '../src/errors.ts';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { parseRecipe } from '../src/train/recipes.ts';
import { SHORT_RUN, killAndResume, runTrain, sameTensors } from '../bench/kill-resume.ts';

const root = join(import.meta.dirname, '..');
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/snn-export.js'), ...args], { cwd: root, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'train-faults-'));
const lastLine = (s: string) => s.trim().split('\n').pop() ?? '';

/** The uninterrupted short run every interrupted one must end equal to. */
const reference = join(dir, 'reference.safetensors');
const referenceRun = runTrain(SHORT_RUN, reference);

test('Ctrl-C (SIGINT) during train writes a checkpoint, prints where and how to resume, exits 130; the resumed run ends with the uninterrupted weights', async () => {
  assert.equal((await referenceRun).code, 0, (await referenceRun).stderr);
  const out = join(dir, 'int.safetensors');
  // Two Ctrl-C, 2 ms apart: the second arrives while the first is being handled and must change nothing.
  let presses = 0;
  const run = await runTrain(SHORT_RUN, out, () => (presses++ < 2 ? 'SIGINT' : undefined));
  assert.equal(run.code, EXIT_CODES.interrupted, run.stderr);
  const line = lastLine(run.stderr);
  assert.equal(run.stderr.match(/^snn-export:/gm)?.length, 1, `one line, whatever the second Ctrl-C: ${run.stderr}`);
  const m = /^snn-export: SIGINT: checkpoint at epoch (\d)\/2, batch (\d+)\/40 \(sample \d+ of 640\) written to (\S+); resume with: snn-export train --resume -o (\S+)$/.exec(line);
  assert.ok(m, line);
  assert.equal(m[3], out);
  assert.equal(m[4], out);
  const ck = loadCheckpoint(out);
  assert.deepEqual([ck.progress?.epoch, ck.progress?.batch], [Number(m[1]) - 1, Number(m[2])], 'the checkpoint is where the line says');
  const resumed = await runTrain(['--resume', '--no-progress'], out);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`^resuming ${out} at epoch ${m[1]}/2, batch ${m[2]}/40 \\(sample ${Number(m[2]) * 16} of 640\\)$`, 'm'));
  assert.ok(sameTensors(out, reference), 'resumed weights equal the uninterrupted run bit for bit');

  let sent = false;
  const term = await runTrain(SHORT_RUN, join(dir, 'term.safetensors'), () => (sent ? undefined : (sent = true, 'SIGTERM')));
  assert.equal(term.code, EXIT_CODES.interrupted);
  assert.match(lastLine(term.stderr), /^snn-export: SIGTERM: checkpoint at epoch \d\/2, batch \d+\/40 .* written to /);
});

test('kill -9 during train: the checkpoint left loads, --resume runs to the end with the uninterrupted weights bit for bit', async () => {
  assert.equal((await referenceRun).code, 0);
  // 20 ms after the third checkpoint write (of 28), so that the kill lands mid-training.
  const r = await killAndResume(dir, 'kill', 3, 20, reference);
  assert.ok(r.killed, 'the run was still training when killed');
  assert.ok(r.checkpoint && r.checkpoint.epoch < 2, `the checkpoint left loads and is mid-run (${JSON.stringify(r.checkpoint)})`);
  assert.deepEqual([r.finishedBy, r.finishExit], ['resume', 0]);
  assert.ok(r.identical, 'resumed weights equal the uninterrupted run bit for bit');
});

test('train refuses, before any work and in one line, an existing checkpoint, flags that cannot apply and runs with nothing to train on', async () => {
  assert.equal((await referenceRun).code, 0);
  const refused = (code: number, pattern: RegExp, ...args: string[]) => {
    const r = cli('train', ...args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trimEnd(), pattern);
  };
  const spec = (inputShape: number[]) => {
    const path = join(dir, `spec-${inputShape.join('x')}.json`);
    writeFileSync(path, JSON.stringify({ version: 1, name: 's', inputShape, encoder: { kind: 'direct' }, timeSteps: 4, layers: [{ kind: 'flatten' }, { kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.3, beta: 0.5 }] }));
    return path;
  };
  const out = join(dir, 'never.safetensors');
  refused(EXIT_CODES.usage, /^snn-export: .*reference\.safetensors already exists; continue that run with --resume, or replace it with --force$/, ...SHORT_RUN, '-o', reference);
  refused(EXIT_CODES.usage, /^snn-export: options --alpha, -T\/--time-steps, --encoder cannot apply with --spec .*: the spec fixes the network/, '--spec', spec([1, 28, 28]), '--alpha', '0.5', '-T', '4', '--encoder', 'rate', '-o', out);
  refused(EXIT_CODES.mismatch, /^snn-export: --spec .*: the network takes samples of shape \[1, 28, 29\] \(inputShape\), but mnist-train samples are \[1, 28, 28\]$/, '--spec', spec([1, 28, 29]), '-o', out);
  refused(EXIT_CODES.usage, /^snn-export: recipe mnist-paper: training\.validation: holds out 5000 of the 300 training samples of mnist \(--limit 300\) for validation, which leaves 0 to train on, fewer than one batch of 64; give --limit 5064 or more$/, '--recipe', 'mnist-paper', '--limit', '300', '-o', out);
  refused(EXIT_CODES.usage, /^snn-export: option --lr cannot apply with --recipe mnist-paper: the recipe fixes/, '--recipe', 'mnist-paper', '--lr', '0.1', '-o', out);
  refused(EXIT_CODES.usage, /^snn-export: recipe '\.\.\/\.\.\/x' does not exist \(recipes: .*mnist-paper/, '--recipe', '../../x', '-o', out);
  refused(EXIT_CODES.usage, /^snn-export: option --lr cannot apply with --resume: a resumed run keeps .* recorded in /, '--resume', '--lr', '0.1', '-o', reference);
  refused(EXIT_CODES.usage, /^snn-export: option --epochs: 1 is below the 2 epochs of .*; a resumed run can be extended, not shortened$/, '--resume', '--epochs', '1', '-o', reference);
  refused(EXIT_CODES.usage, /^snn-export: option --epochs: must be an integer from 1 to 10000, got 100000$/, '--epochs', '100000', '-o', out);
  refused(EXIT_CODES.usage, /^snn-export: option --batch-size: a batch of 64 is more than the 30 training samples of mnist \(--limit 30\): there is nothing to train on$/, '--limit', '30', '-o', out);
  refused(EXIT_CODES.usage, /^snn-export: option --frames cannot apply to mnist: it is not an event data set$/, '--frames', '4', '-o', out);
  // An -o that cannot be written is found before the data set is even read.
  refused(EXIT_CODES.io, /^snn-export: option -o: .*: cannot write: .* is a file, not a folder$/, '-o', join(reference, 'x.safetensors'));
});

test('a recipe\'s training settings are checked by the rules of the flags, naming the recipe and the field', () => {
  const recipe = JSON.parse(readFileSync(join(root, 'src/train/recipes/mnist-paper.json'), 'utf8'));
  const refused = (training: Record<string, unknown>, pattern: RegExp) => assert.throws(() => parseRecipe({ ...recipe, training: { ...recipe.training, ...training } }, 'mnist-paper'), pattern);
  refused({ freezeout: [] }, /^SnnError: recipe mnist-paper: training\.freezeout: must be a string, got \[\]$/);
  refused({ surrogate: 1 }, /^SnnError: recipe mnist-paper: training\.surrogate: 1 is not one of fast-sigmoid, sigmoid, rectangular$/);
  refused({ loss: 'direct' }, /^SnnError: recipe mnist-paper: training\.loss: "direct" is not one of per-step, mean, count, rate$/);
  refused({ epochs: JSON.parse('1e400') }, /^SnnError: recipe mnist-paper: training\.epochs: must be an integer from 1 to 10000, got Infinity$/);
  refused({ skip: 'every:0' }, /^SnnError: recipe mnist-paper: training\.skip: 'every:0' is not one of none/);
  refused({ epoch: 3 }, /^SnnError: recipe mnist-paper: training\.epoch: not a training setting/);
  assert.equal(parseRecipe(recipe, 'mnist-paper').training.epochs, recipe.training.epochs);
});

test('verify and report accept the --reset-as their reset refusal advises; report exits non-zero when a requested target did not run; serve on a busy port is one line', async () => {
  // Two spiking layers: the second runs on the chip, whose only reset (loihi2) is 'zero'.
  const spec = join(dir, 'deep.json');
  writeFileSync(spec, JSON.stringify({ version: 1, name: 'deep', inputShape: [1, 28, 28], encoder: { kind: 'direct' }, timeSteps: 4, layers: [
    { kind: 'flatten' }, { kind: 'dense', units: 16 }, { kind: 'clif', alpha: 0.3, beta: 0.5 }, { kind: 'dense', units: 16, bias: false }, { kind: 'clif', alpha: 0.3, beta: 0.5 },
    { kind: 'dense', units: 10, bias: false }, { kind: 'readout', alpha: 0.3, beta: 0.5 }] }));
  const ck = join(dir, 'deep.safetensors');
  const trained = cli('train', '--spec', spec, '--limit', '128', '--test-limit', '20', '--no-progress', '-o', ck);
  assert.equal(trained.status, 0, trained.stderr);

  const verify = cli('verify', ck, '--runtimes', 'hwsim', '--target', 'loihi2', '--limit', '10');
  assert.equal(verify.status, EXIT_CODES.doesNotFit, verify.stderr);
  assert.match(verify.stderr, /^snn-export: the network does not fit loihi2: .* accept the change of dynamics with --reset-as zero\n$/);
  const accepted = cli('verify', ck, '--runtimes', 'hwsim', '--target', 'loihi2', '--limit', '10', '--reset-as', 'zero', '--min-agreement', '0', '--min-spike-agreement', '0');
  assert.equal(accepted.status, 0, accepted.stderr);
  assert.match(accepted.stdout, /^hwsim /m);

  const html = join(dir, 'r.html');
  const report = cli('report', ck, '--targets', 'loihi2', '--runtimes', 'ort-node', '--limit', '10', '-o', html);
  assert.equal(report.status, EXIT_CODES.doesNotFit, report.stderr);
  assert.match(report.stderr, /^snn-export: .*r\.html is written, but not every requested run ran: hwsim \(loihi2\): the network does not fit loihi2: .*--reset-as zero\n$/);
  const withReset = cli('report', ck, '--targets', 'loihi2', '--runtimes', 'ort-node', '--limit', '10', '--reset-as', 'zero', '-o', html);
  assert.equal(withReset.status, 0, withReset.stderr);
  assert.match(withReset.stdout, /hwsim \(loihi2\) agreement/);

  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as { port: number }).port;
  try {
    const serve = cli('serve', ck, '--port', String(port), '--samples', '5');
    assert.equal(serve.status, EXIT_CODES.usage, serve.stderr);
    assert.equal(serve.stderr, `snn-export: port ${port} on 127.0.0.1 is in use; choose another with --port (0: any free port)\n`);
  } finally {
    busy.close();
  }
});
