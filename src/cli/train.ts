import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { SnnError } from '../errors.ts';
import { BUILTIN_ARCHITECTURES } from '../spec/builtin.ts';
import type { Encoder, NetworkSpec, ResetMode } from '../spec/types.ts';
import { validateSpec } from '../spec/validate.ts';
import { loadCheckpoint } from '../checkpoint/checkpoint.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { loadDataset, DATASETS } from '../data/registry.ts';
import type { DatasetOptions } from '../data/registry.ts';
import { subset } from '../data/dataset.ts';
import { SURROGATE_KINDS } from '../neuron/surrogate.ts';
import { GRADIENT_MODES } from '../compile/backward.ts';
import { LOSS_KINDS } from '../compile/loss.ts';
import { LR_SCHEDULES } from '../train/schedule.ts';
import { DEFAULT_NEURON, DEFAULT_SETTINGS } from '../train/defaults.ts';
import { train } from '../train/trainer.ts';
import { loadRecipe } from '../train/recipes.ts';
import { formatSkipPolicy, parseSkipPolicy } from '../train/skip.ts';
import { parseAugmentation } from '../data/augment.ts';
import { checkDropout } from '../train/dropout.ts';
import { checkAveraging } from '../train/averaging.ts';
import { checkLabelSmoothing } from '../data/encode.ts';
import { chunkLength } from '../train/engine.ts';
import { parseFreezeOut } from '../train/freezeout.ts';
import type { TrainSettings } from '../train/trainer.ts';
import { action, int, num } from './run.ts';

function oneOf<T extends string>(name: string, values: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!values.includes(v as T)) throw new SnnError('usage', `option --${name}: '${v}' is not one of ${values.join(', ')}`);
    return v as T;
  };
}

interface TrainFlags {
  arch: string; spec?: string; dataset: string; dataDir?: string; epochs: number; batchSize: number; lr: number; lrSchedule: string;
  seed: number; gradient: string; loss: string; surrogate: string; surrogateWidth: number; alpha: number; beta: number; theta: number;
  reset: string; timeSteps: number; encoder: string; maxChunk: number; initGain: number; limit?: number; testLimit?: number;
  out: string; resume?: boolean | string; json?: boolean; progress: boolean; checkpointMinutes: number;
  frames?: number; crop?: string; scale?: number; skip: string; freezeout: string; augment: string; dropout: number;
  labelSmoothing: number; averaging: number; workers: number; recipe?: string;
}

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
  if (f.spec) {
    if (!existsSync(f.spec)) throw new SnnError('missingInput', `${f.spec}: spec file not found`);
    let spec: NetworkSpec;
    try { spec = JSON.parse(readFileSync(f.spec, 'utf8')); } catch (e) { throw new SnnError('invalidSpec', `${f.spec}: not valid JSON (${(e as Error).message})`); }
    validateSpec(spec);
    return spec;
  }
  const build = BUILTIN_ARCHITECTURES[f.arch];
  if (!build) throw new SnnError('usage', `option --arch: '${f.arch}' is not one of ${Object.keys(BUILTIN_ARCHITECTURES).join(', ')} (or give --spec FILE)`);
  // Event data sets fix the encoder and T: their samples are [T, 2, H, W] frames.
  const encoder: Encoder = temporal ? { kind: 'events' } : f.encoder === 'rate' ? { kind: 'rate', seed: f.seed } : { kind: 'direct' };
  const timeSteps = temporal ? sampleShape[0] : f.timeSteps;
  const inputShape = temporal ? sampleShape.slice(1) : sampleShape;
  const spec = build({ alpha: f.alpha, beta: f.beta, theta: f.theta, reset: f.reset as ResetMode, timeSteps, encoder, inputShape, classes });
  validateSpec(spec);
  return spec;
}

export function addTrainOptions(cmd: Command, defaults = DEFAULT_SETTINGS): Command {
  return cmd
    .option('--recipe <name>', 'a training recipe (snn-export recipes); it fixes data set, network and settings')
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
    .option('--loss <kind>', `per-step | mean (cross-entropy of the time-averaged readout)`, oneOf('loss', LOSS_KINDS), defaults.loss)
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
    .option('--checkpoint-minutes <m>', 'also checkpoint within an epoch every M minutes', num('checkpoint-minutes'), 5)
    .option('--json', 'print one JSON line per epoch on stdout')
    .option('--no-progress', 'no progress bar');
}

export async function runTraining(f: TrainFlags): Promise<{ out: string; testAccuracy?: number; best?: { path: string; epoch: number; validationAccuracy: number } }> {
  let resume: Checkpoint | undefined;
  const resumePath = typeof f.resume === 'string' ? f.resume : f.out;
  if (f.resume) {
    if (!existsSync(resumePath)) throw new SnnError('missingInput', `--resume: no checkpoint at ${resumePath} to resume from`);
    resume = loadCheckpoint(resumePath);
  }
  const recipe = f.recipe && !resume ? loadRecipe(f.recipe) : undefined;
  const settings: TrainSettings = resume?.training as unknown as TrainSettings ?? (recipe ? { ...recipe.training, recipe: `${recipe.name}@${recipe.version}` } as TrainSettings : undefined) ?? {
    epochs: f.epochs, batchSize: f.batchSize, lr: f.lr, lrSchedule: f.lrSchedule as TrainSettings['lrSchedule'], seed: f.seed,
    gradient: f.gradient as TrainSettings['gradient'], loss: f.loss as TrainSettings['loss'], surrogate: f.surrogate as TrainSettings['surrogate'],
    surrogateWidth: f.surrogateWidth, maxChunk: f.maxChunk, initGain: f.initGain,
    skip: formatSkipPolicy(parseSkipPolicy(f.skip)), freezeout: f.freezeout, augment: f.augment, dropout: f.dropout,
    labelSmoothing: f.labelSmoothing, averaging: f.averaging, workers: f.workers,
  };
  parseFreezeOut(settings.freezeout);
  parseAugmentation(settings.augment ?? 'none');
  if (resume && !(settings as { recipe?: string }).recipe) settings.epochs = Math.max(settings.epochs, f.epochs);
  const recorded = resume?.dataset as { name?: string; dir?: string; options?: DatasetOptions } | undefined;
  const dsName = recorded?.name ?? recipe?.dataset.name ?? f.dataset;
  const dsDir = f.dataDir ?? recorded?.dir;
  const dsOptions = recorded?.options ?? recipe?.dataset.options ?? datasetOptions(f);
  let data = loadDataset(dsName, dsDir, dsOptions);
  const limit = f.limit ?? (settings as { trainLimit?: number }).trainLimit;
  const testLimit = f.testLimit ?? (settings as { testLimit?: number }).testLimit;
  if (limit) data = { ...data, train: subset(data.train, limit) };
  if (testLimit) data = { ...data, test: subset(data.test, testLimit) };
  Object.assign(settings, limit ? { trainLimit: limit } : {}, testLimit ? { testLimit } : {});
  const spec = resume?.spec ?? recipe?.spec ?? specFromFlags(f, data.train.sampleShape, data.train.temporal, data.train.classes);
  // Checked before training starts, named after where the setting came from (the engine checks it again for library callers).
  const from = (flag: string) => resume ? `${resumePath}: training settings` : recipe ? `recipe ${recipe.name}` : flag;
  checkLabelSmoothing(settings.labelSmoothing ?? 0, from('--label-smoothing'));
  checkAveraging(settings.averaging ?? 0, from('--averaging'));
  const split = chunkLength(spec.timeSteps, settings.maxChunk, settings.gradient) < spec.timeSteps;
  checkDropout(settings.dropout ?? 0, from('--dropout'), split ? { timeSteps: spec.timeSteps, maxChunk: settings.maxChunk } : undefined);
  const result = await train({
    spec, settings, data, out: f.out, resume, dataset: { name: dsName, dir: dsDir, options: dsOptions }, checkpointMinutes: f.checkpointMinutes, progress: f.progress,
    onEpoch: (r) => {
      if (f.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stderr.write(`epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}, train acc ${(r.trainAccuracy * 100).toFixed(2)} %, ${r.validationAccuracy !== undefined ? `validation acc ${(r.validationAccuracy * 100).toFixed(2)} %` : `test acc ${((r.testAccuracy ?? 0) * 100).toFixed(2)} %`}, ${r.samplesPerSecond.toFixed(0)} samples/s, ${r.seconds.toFixed(1)} s\n`);
    },
  });
  return { out: f.out, testAccuracy: result.testAccuracy, best: result.best };
}

export function registerTrain(program: Command): void {
  addTrainOptions(program.command('train').description('train a C-LIF network (DESIGN §4)'))
    .option('-o, --out <file>', 'checkpoint file (written atomically after every epoch)', 'runs/model.safetensors')
    .option('--resume [checkpoint]', 'continue from the last checkpoint (default: the --out file)')
    .action(action(async (f: TrainFlags) => {
      const { out, testAccuracy, best } = await runTraining(f);
      if (f.json && best) process.stdout.write(`${JSON.stringify({ final: true, testAccuracy, best })}\n`);
      if (!f.json) process.stdout.write(`test accuracy ${((testAccuracy ?? 0) * 100).toFixed(2)} %${best ? ` (best epoch ${best.epoch} by validation, ${best.path})` : ''}; checkpoint: ${out}\n`);
    }));
}

export function registerDemo(program: Command): void {
  program.command('demo')
    .description('train the fc network for one epoch on the embedded MNIST and print the test accuracy')
    .option('-o, --out <file>', 'checkpoint file', 'runs/demo-fc.safetensors')
    .action(action(async (o: { out: string }) => {
      const flags = addTrainOptions(program.createCommand('x')).opts() as TrainFlags;
      const { out, testAccuracy } = await runTraining({ ...flags, progress: true, out: o.out });
      process.stdout.write(`MNIST test accuracy after 1 epoch of fc: ${((testAccuracy ?? 0) * 100).toFixed(2)} %\ncheckpoint: ${out}\nnext: snn-export export onnx ${out} -o model.onnx\n`);
    }));
}
