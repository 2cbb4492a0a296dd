import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { SnnError } from '../errors.ts';
import { BUILTIN_ARCHITECTURES } from '../spec/builtin.ts';
import type { Encoder, NetworkSpec, ResetMode } from '../spec/types.ts';
import { validateSpec } from '../spec/validate.ts';
import { loadCheckpoint } from '../checkpoint/checkpoint.ts';
import { loadSpecFile } from '../spec/file.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { loadDataset, DATASETS } from '../data/registry.ts';
import type { DatasetOptions } from '../data/registry.ts';
import { subset } from '../data/dataset.ts';
import { SURROGATE_KINDS } from '../neuron/surrogate.ts';
import { GRADIENT_MODES } from '../compile/backward.ts';
import { LOSS_KINDS, checkLossFits, defaultLoss } from '../compile/loss.ts';
import { OUTPUT_KINDS, withOutput } from '../train/output-layer.ts';
import { LR_SCHEDULES } from '../train/schedule.ts';
import { DEFAULT_NEURON, DEFAULT_SETTINGS } from '../train/defaults.ts';
import { train } from '../train/trainer.ts';
import { loadRecipe } from '../train/recipes.ts';
import { formatSkipPolicy, parseSkipPolicy } from '../train/skip.ts';
import { checkDropout } from '../train/dropout.ts';
import { chunkLength } from '../train/engine.ts';
import type { TrainPosition, TrainSettings } from '../train/trainer.ts';
import { bestCheckpointPath } from '../train/trainer.ts';
import { checkSettings, checkSplitSizes, fromFlags } from '../train/settings.ts';
import type { SettingName } from '../train/settings.ts';
import { checkDataFits } from '../train/data-fit.ts';
import { applyTarget, checkTarget, targetRules } from '../train/targets.ts';
import { claimOutput } from '../util/atomic-write.ts';
import type { OutputClaim } from '../util/atomic-write.ts';
import { action, int, num } from './run.ts';

function oneOf<T extends string>(name: string, values: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!values.includes(v as T)) throw new SnnError('usage', `option --${name}: '${v}' is not one of ${values.join(', ')}`);
    return v as T;
  };
}

interface TrainFlags {
  arch: string; spec?: string; dataset: string; dataDir?: string; epochs: number; batchSize: number; lr: number; lrSchedule: string;
  seed: number; gradient: string; loss?: string; output: string; surrogate: string; surrogateWidth: number; alpha: number; beta: number; theta: number;
  reset: string; timeSteps: number; encoder: string; maxChunk: number; initGain: number; limit?: number; testLimit?: number;
  out: string; resume?: boolean | string; json?: boolean; progress: boolean; checkpointMinutes: number;
  frames?: number; crop?: string; scale?: number; skip: string; freezeout: string; augment: string; dropout: number;
  labelSmoothing: number; averaging: number; workers: number; recipe?: string; force?: boolean; checkpointBatches?: number;
  target?: string;
}

/** The flag a `TrainFlags` field is given by, as the user types it. */
function flagName(field: string): string {
  if (field === 'timeSteps') return '-T/--time-steps';
  if (field === 'out') return '-o/--out';
  if (field === 'progress') return '--no-progress';
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Refuses the flags in `given` that `allowed` does not list, all in one line, saying why they cannot apply. */
function refuseFlags(given: ReadonlySet<string>, allowed: (field: string) => boolean, why: string): void {
  const refused = [...given].filter((f) => !allowed(f));
  if (refused.length) throw new SnnError('usage', `${refused.length > 1 ? 'options' : 'option'} ${refused.map(flagName).join(', ')} cannot apply ${why}`);
}

/** Flags that only say how this process runs, never what is trained: they apply to every run. */
const RUN_FLAGS = new Set(['out', 'force', 'json', 'progress', 'checkpointMinutes', 'checkpointBatches', 'dataDir']);
/** The flags that shape the built-in network (a spec file fixes all of them). */
const NETWORK_FLAGS = ['arch', 'alpha', 'beta', 'theta', 'reset', 'timeSteps', 'encoder', 'output'];
/** Data-set reading flags of event data sets only. */
const EVENT_FLAGS = ['frames', 'crop'];

/** A path as a shell word, quoted only when it needs to be. */
const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** How a run that stopped at `at` continues: the exact command. */
export const resumeCommand = (out: string): string => `snn-export train --resume -o ${shellWord(out)}`;

const describePosition = (at: TrainPosition): string => at.epoch >= at.epochs
  ? `after all ${at.epochs} epochs`
  : `at epoch ${at.epoch + 1}/${at.epochs}, batch ${at.batch}/${at.batchesPerEpoch} (sample ${at.batch * at.batchSize} of ${at.batchesPerEpoch * at.batchSize})`;

/** The data-set reading options from the flags (event frames, crop, MNIST-DVS scale). */
export function datasetOptions(f: { frames?: number; crop?: string; scale?: number }): DatasetOptions {
  let crop: [number, number, number] | undefined;
  if (f.crop) {
    const parts = f.crop.split(',').map(Number);
    if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p < 0)) throw new SnnError('usage', `option --crop: '${f.crop}' is not LEFT,TOP,SIZE`);
    crop = parts as [number, number, number];
  }
  return { frames: f.frames, crop, scale: f.scale };
}

/** The network spec from --spec FILE or a built-in architecture with the neuron flags. */
function specFromFlags(f: TrainFlags, sampleShape: number[], temporal: boolean, classes: number): NetworkSpec {
  if (f.spec) return loadSpecFile(f.spec);
  const build = BUILTIN_ARCHITECTURES[f.arch];
  if (!build) throw new SnnError('usage', `option --arch: '${f.arch}' is not one of ${Object.keys(BUILTIN_ARCHITECTURES).join(', ')} (or give --spec FILE)`);
  // Event data sets fix the encoder and T: their samples are [T, 2, H, W] frames.
  const encoder: Encoder = temporal ? { kind: 'events' } : f.encoder === 'rate' ? { kind: 'rate', seed: f.seed } : { kind: 'direct' };
  const timeSteps = temporal ? sampleShape[0] : f.timeSteps;
  const inputShape = temporal ? sampleShape.slice(1) : sampleShape;
  const spec = withOutput(build({ alpha: f.alpha, beta: f.beta, theta: f.theta, reset: f.reset as ResetMode, timeSteps, encoder, inputShape, classes }), f.output as 'membrane' | 'spikes', { theta: f.theta, reset: f.reset as ResetMode });
  validateSpec(spec);
  return spec;
}

export function addTrainOptions(cmd: Command, defaults = DEFAULT_SETTINGS): Command {
  return cmd
    .option('--recipe <name>', 'a training recipe (snn-export recipes); it fixes data set, network and settings')
    .option('--target <name>', 'train for a deployment target, a hardware profile (snn-export profiles) or a NIR reader (snntorch, norse, lava-dl): the built-in network takes its reset, bias, pooling and neuron model; a --spec or recipe network that breaks them is refused')
    .option('--arch <name>', `built-in architecture (${Object.keys(BUILTIN_ARCHITECTURES).join(', ')})`, 'fc')
    .option('--spec <file>', 'network spec JSON file (instead of --arch)')
    .option('--dataset <name>', `data set (${Object.keys(DATASETS).join(', ')})`, 'mnist')
    .option('--data-dir <dir>', 'folder with the data set files (default for mnist: the embedded copy)')
    .option('--frames <T>', 'event data sets: time bins per sample (the network runs T steps)', int('frames'))
    .option('--crop <left,top,size>', 'event data sets: crop a square of the sensor instead of pooling it')
    .option('--scale <n>', 'MNIST-DVS: display scale 4, 8 or 16', int('scale'))
    .option('--epochs <n>', 'epochs', int('epochs'), defaults.epochs)
    .option('--batch-size <n>', 'batch size', int('batch-size'), defaults.batchSize)
    .option('--lr <x>', 'learning rate (Adam)', num('lr'), defaults.lr)
    .option('--lr-schedule <name>', `learning-rate schedule (${LR_SCHEDULES.join(', ')})`, oneOf('lr-schedule', LR_SCHEDULES), defaults.lrSchedule)
    .option('--seed <n>', 'seed of initialisation, data order and rate encoding', int('seed'), defaults.seed)
    .option('--gradient <mode>', `instant | trace (current time step only) | bptt (baseline)`, oneOf('gradient', GRADIENT_MODES), defaults.gradient)
    .option('--loss <kind>', `readout: mean (default; cross-entropy of the time-averaged membrane) | per-step; spiking output: count (default; cross-entropy of the spike counts) | rate (per-step cross-entropy of the spikes)`, oneOf('loss', LOSS_KINDS))
    .option('--output <kind>', 'class scores of the built-in architectures: membrane (a non-spiking readout, its mean membrane) | spikes (a spiking output layer, its spike counts; ties go to the lowest class)', oneOf('output', OUTPUT_KINDS), 'membrane')
    .option('--surrogate <kind>', `surrogate gradient (${SURROGATE_KINDS.join(', ')})`, oneOf('surrogate', SURROGATE_KINDS), defaults.surrogate)
    .option('--surrogate-width <w>', 'surrogate width w (fast-sigmoid slope is 1/w)', num('surrogate-width'), defaults.surrogateWidth)
    .option('--alpha <x>', 'synaptic-current decay of the built-in architectures', num('alpha'), DEFAULT_NEURON.alpha)
    .option('--beta <x>', 'membrane decay of the built-in architectures', num('beta'), DEFAULT_NEURON.beta)
    .option('--theta <x>', 'firing threshold', num('theta'), DEFAULT_NEURON.theta)
    .option('--reset <mode>', 'reset after a spike: subtract | zero', oneOf('reset', ['subtract', 'zero'] as const), 'subtract')
    .option('-T, --time-steps <n>', 'time steps', int('time-steps'), DEFAULT_NEURON.timeSteps)
    .option('--encoder <kind>', 'direct | rate (static images; event data sets always use their frames)', oneOf('encoder', ['direct', 'rate'] as const), 'direct')
    .option('--skip <policy>', 'backward phase skipping: none | burn-in:K | every:k | loss-gated:ε', defaults.skip)
    .option('--freezeout <schedule>', 'layerwise FreezeOut: none | cubic[:t0][:noscale] | linear[:t0][:noscale]', defaults.freezeout)
    .option('--augment <kind>', 'training-set augmentation: none, or a comma-separated list of shift:K (random translation by up to ±K pixels), rotate:D (up to ±D degrees), scale:S (size × 1 ± S)', defaults.augment)
    .option('--dropout <p>', 'dropout rate on the spikes entering each dense layer after the first, in training only (0: none; needs T ≤ max-chunk)', num('dropout'), defaults.dropout)
    .option('--label-smoothing <e>', 'label smoothing: train towards 1 − e + e/K for the label and e/K elsewhere (0: none)', num('label-smoothing'), defaults.labelSmoothing)
    .option('--averaging <d>', 'keep a moving average of the weights with decay d (e.g. 0.999) and evaluate, keep and export it (0: none)', num('averaging'), defaults.averaging)
    .option('--workers <n>', 'worker threads for data-parallel training steps (0: two for conv networks on 2+ cores, else one)', int('workers'), defaults.workers)
    .option('--max-chunk <n>', 'longest run of steps per graph; longer T runs in chunks', int('max-chunk'), defaults.maxChunk)
    .option('--init-gain <x>', 'scale of the uniform ±1/√fan-in initialisation', num('init-gain'), defaults.initGain)
    .option('--limit <n>', 'use only the first N training samples', int('limit'))
    .option('--test-limit <n>', 'use only the first N test samples', int('test-limit'))
    .option('--checkpoint-minutes <m>', 'also checkpoint within an epoch every M minutes (fractions allowed; 0: only after each epoch)', num('checkpoint-minutes'), 5)
    .option('--checkpoint-batches <n>', 'also checkpoint within an epoch every N batches', int('checkpoint-batches'))
    .option('--json', 'print one JSON line per epoch on stdout')
    .option('--no-progress', 'no progress bar');
}

/**
 * Where each setting of a run came from, for the error lines: the checkpoint's record, the
 * recipe's field, or the flag (given, or its default).
 */
function settingSource(given: ReadonlySet<string>, resumePath: string | undefined, recipe: string | undefined): (name: SettingName) => string {
  return (name) => {
    const flagField = name === 'trainLimit' ? 'limit' : name;
    if (resumePath) return `${resumePath}: training.${name}`;
    if (recipe && !given.has(flagField)) return `recipe ${recipe}: training.${name}`;
    return fromFlags(name);
  };
}

/** What a run needs beyond the flags: which flags the user typed, and the CLI's stop request. */
export interface RunContext {
  /** `TrainFlags` fields given on the command line (not defaults): they must apply, or are refused. */
  given?: ReadonlySet<string>;
  /** The signal that asked the run to stop (SIGINT, SIGTERM), checked between batches. */
  stopSignal?: () => NodeJS.Signals | undefined;
  /** Tells where a resumed run continues (the CLI prints it). */
  onResume?: (line: string) => void;
}

export async function runTraining(f: TrainFlags, ctx: RunContext = {}): Promise<{ out: string; testAccuracy?: number; best?: { path: string; epoch: number; validationAccuracy: number } }> {
  const given = ctx.given ?? new Set<string>();
  if (f.checkpointBatches !== undefined && f.checkpointBatches < 1) throw new SnnError('usage', `option --checkpoint-batches: must be at least 1, got ${f.checkpointBatches}`);
  if (!(f.checkpointMinutes >= 0)) throw new SnnError('usage', `option --checkpoint-minutes: must be at least 0, got ${f.checkpointMinutes}`);
  let resume: Checkpoint | undefined;
  const resumePath = typeof f.resume === 'string' ? f.resume : f.out;
  if (f.resume) {
    refuseFlags(given, (x) => RUN_FLAGS.has(x) || x === 'resume' || x === 'epochs', `with --resume: a resumed run keeps the data set, network and settings recorded in ${resumePath} (leave the flag out)`);
    if (!existsSync(resumePath)) throw new SnnError('missingInput', `--resume: no checkpoint at ${resumePath} to resume from`);
    resume = loadCheckpoint(resumePath);
    if (!resume.training || !resume.progress) throw new SnnError('usage', `--resume: ${resumePath} holds no training run to continue (no recorded settings or position: it was not written by train)`);
  } else if (f.recipe) {
    refuseFlags(given, (x) => RUN_FLAGS.has(x) || ['recipe', 'limit', 'testLimit', 'workers', 'target'].includes(x), `with --recipe ${f.recipe}: the recipe fixes the data set, network and training settings (see snn-export recipes ${f.recipe})`);
  } else if (f.spec) {
    refuseFlags(given, (x) => !NETWORK_FLAGS.includes(x), `with --spec ${f.spec}: the spec fixes the network (edit its layers, timeSteps or encoder instead)`);
  }
  if (f.target && !resume) checkTargetFlags(f, given);
  const recipe = f.recipe && !resume ? loadRecipe(f.recipe) : undefined;
  const recorded = resume?.training;
  if (recorded) checkSettings(recorded, (name) => `${resumePath}: training.${name}`, false, 'malformedInput');
  const settings: TrainSettings = recorded as unknown as TrainSettings ?? (recipe ? { ...recipe.training, recipe: `${recipe.name}@${recipe.version}` } as TrainSettings : undefined) ?? {
    epochs: f.epochs, batchSize: f.batchSize, lr: f.lr, lrSchedule: f.lrSchedule as TrainSettings['lrSchedule'], seed: f.seed,
    gradient: f.gradient as TrainSettings['gradient'], loss: f.loss as TrainSettings['loss'], surrogate: f.surrogate as TrainSettings['surrogate'],
    surrogateWidth: f.surrogateWidth, maxChunk: f.maxChunk, initGain: f.initGain,
    skip: f.skip, freezeout: f.freezeout, augment: f.augment, dropout: f.dropout,
    labelSmoothing: f.labelSmoothing, averaging: f.averaging, workers: f.workers,
  };
  const from = settingSource(given, resume ? resumePath : undefined, recipe?.name);
  if (recipe && given.has('workers')) settings.workers = f.workers;
  if (!resume && !recipe) settings.skip = formatSkipPolicy(parseSkipPolicy(f.skip));
  if (resume && given.has('epochs')) {
    if ((settings as { recipe?: string }).recipe) throw new SnnError('usage', `option --epochs cannot apply with --resume: ${resumePath} is a run of recipe ${(settings as { recipe?: string }).recipe}, which fixes its epochs`);
    if (f.epochs < settings.epochs) throw new SnnError('usage', `option --epochs: ${f.epochs} is below the ${settings.epochs} epochs of ${resumePath}; a resumed run can be extended, not shortened`);
    settings.epochs = f.epochs;
  }
  const limit = f.limit ?? (settings as { trainLimit?: number }).trainLimit;
  const testLimit = f.testLimit ?? (settings as { testLimit?: number }).testLimit;
  Object.assign(settings, limit !== undefined ? { trainLimit: limit } : {}, testLimit !== undefined ? { testLimit } : {});
  checkSettings(settings as unknown as Record<string, unknown>, from);

  // The outputs, before any long work: writable, not being written by another run, and not a finished run's checkpoint overwritten by accident.
  const claims: OutputClaim[] = [];
  try {
    const outputs = [f.out, ...(settings.validation ? [bestCheckpointPath(f.out)] : [])];
    for (const path of outputs) claims.push(claimOutput(path, path === f.out ? '-o' : '-o (its best-epoch checkpoint)'));
    const continuing = resume && resolvePath(resumePath) === resolvePath(f.out);
    if (!continuing && !f.force) {
      for (const path of outputs) {
        if (!existsSync(path)) continue;
        throw new SnnError('usage', resume
          ? `${path} already exists and is not the checkpoint being resumed (${resumePath}); choose another -o, or replace it with --force`
          : `${path} already exists; continue that run with --resume, or replace it with --force`);
      }
    }
    return await trainWithClaims(f, ctx, { given, resume, resumePath, recipe, settings, limit, testLimit });
  } finally {
    for (const c of claims) c.release();
  }
}

/**
 * Refuses a neuron flag the target overrides (`--reset subtract --target loihi2`), before any work;
 * flags left at their defaults take the target's values.
 */
function checkTargetFlags(f: TrainFlags, given: ReadonlySet<string>): void {
  const rules = targetRules(f.target!);
  const clash = (flag: string, value: unknown, wanted: unknown, why: string | undefined): never => {
    throw new SnnError('usage', `option --${flag} ${String(value)} cannot apply with --target ${rules.name}: it needs ${String(wanted)} (${why}); leave --${flag} out`);
  };
  if (given.has('reset') && rules.reset && f.reset !== rules.reset) clash('reset', f.reset, rules.reset, rules.why.reset);
  if (given.has('alpha') && rules.neuron !== 'cuba' && f.alpha !== 0) clash('alpha', f.alpha, 'alpha 0', rules.why.neuron);
  if (given.has('beta') && rules.neuron === 'iaf' && f.beta !== 1) clash('beta', f.beta, 'beta 1', rules.why.neuron);
  if (rules.leak && f.beta === 1) clash('beta', f.beta, 'beta below 1', rules.why.neuron);
}

/** The run once its outputs are claimed: data, network, the checks that need them, then training. */
async function trainWithClaims(f: TrainFlags, ctx: RunContext, r: { given: ReadonlySet<string>; resume?: Checkpoint; resumePath: string; recipe?: ReturnType<typeof loadRecipe>; settings: TrainSettings; limit?: number; testLimit?: number }) {
  const { given, resume, resumePath, recipe, settings, limit, testLimit } = r;
  const from = settingSource(given, resume ? resumePath : undefined, recipe?.name);
  const recordedData = resume?.dataset as { name?: string; dir?: string; options?: DatasetOptions } | undefined;
  const dsName = recordedData?.name ?? recipe?.dataset.name ?? f.dataset;
  const dsDir = f.dataDir ?? recordedData?.dir;
  const dsOptions = recordedData?.options ?? recipe?.dataset.options ?? datasetOptions(f);
  let data = loadDataset(dsName, dsDir, dsOptions);
  const stopped = () => { const signal = ctx.stopSignal?.(); if (signal) throw new SnnError('interrupted', `${signal} before training started; nothing was written`); };
  stopped();
  if (!resume && !recipe) {
    if (!data.train.temporal) refuseFlags(given, (x) => !EVENT_FLAGS.includes(x), `to ${dsName}: it is not an event data set`);
    else refuseFlags(given, (x) => x !== 'timeSteps' && x !== 'encoder', `to event data set ${dsName}: its frames fix the encoder and T (choose T with --frames)`);
    if (dsName !== 'mnist-dvs') refuseFlags(given, (x) => x !== 'scale', `to ${dsName}: the display scale is MNIST-DVS's`);
  }
  const fullTrain = data.train.count, fullTest = data.test.count;
  if (limit) data = { ...data, train: subset(data.train, limit) };
  if (testLimit) data = { ...data, test: subset(data.test, testLimit) };
  let spec = resume?.spec ?? recipe?.spec ?? specFromFlags(f, data.train.sampleShape, data.train.temporal, data.train.classes);
  const network = resume ? resumePath : recipe ? `recipe ${recipe.name}` : f.spec ? `--spec ${f.spec}` : `--arch ${f.arch}`;
  if (f.target && !resume) {
    const rules = targetRules(f.target);
    if (recipe || f.spec) checkTarget(spec, rules, network);
    else spec = applyTarget(spec, rules);
  }
  const resolved = validateSpec(spec);
  // The loss follows the network's output unless one is asked for; one of the other output kind is refused.
  settings.loss ??= defaultLoss(resolved.output);
  checkLossFits(settings.loss, resolved.output, resolved.blocks[resolved.blocks.length - 1].neuron.name, from('loss'));
  checkDataFits(resolved, data.train, network);
  const limits = [limit !== undefined && limit < fullTrain ? `--limit ${limit}` : '', testLimit !== undefined && testLimit < fullTest ? `--test-limit ${testLimit}` : ''].filter(Boolean).join(', ');
  checkSplitSizes({ dataset: dsName, train: data.train.count, test: data.test.count, validation: settings.validation ?? 0, batchSize: settings.batchSize, where: from, limitNote: limits || undefined });
  // Checked before training starts, named after where the setting came from (the engine checks it again for library callers).
  const split = chunkLength(spec.timeSteps, settings.maxChunk, settings.gradient) < spec.timeSteps;
  checkDropout(settings.dropout ?? 0, from('dropout'), split ? { timeSteps: spec.timeSteps, maxChunk: settings.maxChunk } : undefined);
  stopped();
  const result = await train({
    spec, settings, data, out: f.out, resume, dataset: { name: dsName, dir: dsDir, options: dsOptions }, checkpointMinutes: f.checkpointMinutes, checkpointBatches: f.checkpointBatches, progress: f.progress,
    stopRequested: () => ctx.stopSignal?.() !== undefined,
    onStart: (at) => { if (resume) ctx.onResume?.(`resuming ${resumePath} ${describePosition(at)}`); },
    onEpoch: (r) => {
      if (f.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stderr.write(`epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}, train acc ${(r.trainAccuracy * 100).toFixed(2)} %, ${r.validationAccuracy !== undefined ? `validation acc ${(r.validationAccuracy * 100).toFixed(2)} %` : `test acc ${((r.testAccuracy ?? 0) * 100).toFixed(2)} %`}, ${r.samplesPerSecond.toFixed(0)} samples/s, ${r.seconds.toFixed(1)} s\n`);
    },
  });
  if (result.interrupted) {
    if (process.stderr.isTTY) process.stderr.write('\n');
    throw new SnnError('interrupted', `${ctx.stopSignal?.() ?? 'stopped'}: checkpoint ${describePosition(result.interrupted)} written to ${f.out}; resume with: ${resumeCommand(f.out)}`);
  }
  return { out: f.out, testAccuracy: result.testAccuracy, best: result.best };
}

/** The fields of `TrainFlags` the user typed (commander's value source 'cli'), as opposed to defaults. */
function givenFlags(cmd: Command): Set<string> {
  return new Set(cmd.options.map((o) => o.attributeName()).filter((name) => cmd.getOptionValueSource(name) === 'cli'));
}

/**
 * SIGINT and SIGTERM during training: the first asks the run to stop after the batch in progress
 * (it writes a checkpoint there and exits 130 with the command that resumes it); later ones change
 * nothing, so a second Ctrl-C cannot cut the checkpoint write short.
 */
function catchStopSignals(): { signal: () => NodeJS.Signals | undefined; dispose(): void } {
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => { received ??= signal; };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: () => received,
    dispose: () => { process.removeListener('SIGINT', handler); process.removeListener('SIGTERM', handler); },
  };
}

export function registerTrain(program: Command): void {
  addTrainOptions(program.command('train').description('train a C-LIF network (docs/training.md explains gradients, losses and accelerations)'))
    .option('-o, --out <file>', 'checkpoint file (written atomically after every epoch)', 'runs/model.safetensors')
    .option('--resume [checkpoint]', 'continue from the last checkpoint (default: the --out file)')
    .option('--force', 'replace an existing --out checkpoint instead of refusing (without it, continue the run with --resume)')
    .action(action(async (f: TrainFlags, cmd: Command) => {
      const stop = catchStopSignals();
      try {
        const { out, testAccuracy, best } = await runTraining(f, { given: givenFlags(cmd), stopSignal: stop.signal, onResume: (line) => process.stderr.write(`${line}\n`) });
        if (f.json && best) process.stdout.write(`${JSON.stringify({ final: true, testAccuracy, best })}\n`);
        if (!f.json) process.stdout.write(`test accuracy ${((testAccuracy ?? 0) * 100).toFixed(2)} %${best ? ` (best epoch ${best.epoch} by validation, ${best.path})` : ''}; checkpoint: ${out}\n`);
      } finally {
        stop.dispose();
      }
    }));
}

export function registerDemo(program: Command): void {
  program.command('demo')
    .description('train the fc network for one epoch on the embedded MNIST and print the test accuracy')
    .option('-o, --out <file>', 'checkpoint file', 'runs/demo-fc.safetensors')
    .action(action(async (o: { out: string }) => {
      const flags = addTrainOptions(program.createCommand('x')).opts<TrainFlags>();
      // The demo's checkpoint is its own: a second demo replaces it.
      const { out, testAccuracy } = await runTraining({ ...flags, progress: true, out: o.out, force: true });
      process.stdout.write(`MNIST test accuracy after 1 epoch of fc: ${((testAccuracy ?? 0) * 100).toFixed(2)} %\ncheckpoint: ${out}\nnext: snn-export export onnx ${out} -o model.onnx\n`);
    }));
}
