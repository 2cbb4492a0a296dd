/**
 * The training loop: seeded data order, the compiled training step (src/train/engine.ts), an
 * evaluation on the test set after each epoch, atomic checkpoints (each epoch and every few
 * minutes) and exact resumption: a resumed run gives the same weights as an uninterrupted one.
 */
import type { NetworkSpec } from '../spec/types.ts';
import { validateSpec } from '../spec/validate.ts';
import { initParams, checkParams } from '../spec/params.ts';
import type { Checkpoint, EpochRecord } from '../checkpoint/checkpoint.ts';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint.ts';
import type { Dataset, DatasetSplits } from '../data/dataset.ts';
import { encodeBatch } from '../data/encode.ts';
import { augmentedEpoch, parseAugmentation } from '../data/augment.ts';
import { indexSubset } from '../data/dataset.ts';
import type { SurrogateKind } from '../neuron/surrogate.ts';
import type { GradientMode } from '../compile/backward.ts';
import type { LossKind } from '../compile/loss.ts';
import { Random, deriveSeed } from '../util/random.ts';
import { TrainingEngine, countCorrect } from './engine.ts';
import { Progress } from './progress.ts';
import type { LrSchedule } from './schedule.ts';
import { scheduledLr } from './schedule.ts';
import { StepSkipper, parseSkipPolicy } from './skip.ts';
import { freezeOutLr, freezePoints, frozenLayers, parseFreezeOut } from './freezeout.ts';
import { checkDataFits } from './data-fit.ts';
import { checkSettings } from './settings.ts';
import { SnnError } from '../errors.ts';

/** Training settings, stored in the checkpoint as given. */
export interface TrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  lrSchedule: LrSchedule;
  seed: number;
  gradient: GradientMode;
  loss: LossKind;
  surrogate: SurrogateKind;
  surrogateWidth: number;
  /** Longest run of steps per graph; longer T is processed in chunks (memory independent of T). */
  maxChunk: number;
  /** Scale of the uniform ±1/√fan-in initialisation. */
  initGain: number;
  /** Backward phase skipping policy (src/train/skip.ts), e.g. 'none', 'burn-in:4'. */
  skip: string;
  /** Layerwise FreezeOut (src/train/freezeout.ts), e.g. 'none', 'cubic:0.8'. */
  freezeout: string;
  /** Training-set augmentation (src/data/augment.ts): 'none' or 'shift:K'. Absent in older checkpoints: none. */
  augment?: string;
  /**
   * Dropout rate on the spikes entering each dense layer after the first block, the same mask at
   * every step of a sample, in training only (src/compile/dropout.ts). Absent in older checkpoints: none.
   */
  dropout?: number;
  /** Label smoothing ε of the training targets (src/data/encode.ts). Absent in older checkpoints: none. */
  labelSmoothing?: number;
  /**
   * Decay of the moving average of the parameters (src/train/averaging.ts), e.g. 0.999: the
   * average is what is evaluated, kept and exported. 0 or absent (older checkpoints): none.
   */
  averaging?: number;
  /** Worker threads for data-parallel steps (1: none, 0: automatic). Changes the order of float sums, not the method. */
  workers: number;
  /**
   * Training samples held out (seeded) for validation. With a validation split each epoch is
   * judged on it, the best epoch is kept as `<out>.best.safetensors`, and the test set is used
   * once, at the end, on the best parameters.
   */
  validation?: number;
}

export interface TrainRun {
  spec: NetworkSpec;
  settings: TrainSettings;
  data: DatasetSplits;
  /** Checkpoint path, written atomically after every epoch. */
  out: string;
  /** A checkpoint to continue from (its settings and spec win). */
  resume?: Checkpoint;
  /** Minutes between mid-epoch checkpoints (0: only at the end of each epoch). */
  checkpointMinutes?: number;
  /** Also checkpoint within an epoch after every this many batches (0 or absent: by time only). */
  checkpointBatches?: number;
  /**
   * Asked before every batch and between evaluation batches: when it returns true (the CLI's
   * SIGINT/SIGTERM handler), the run writes a checkpoint at the last completed batch and returns
   * with `interrupted` set.
   */
  stopRequested?: () => boolean;
  /** Called once before the first batch with the position the run starts (or resumes) at. */
  onStart?: (at: TrainPosition) => void;
  /** Called after each epoch (the CLI prints JSON lines from it). */
  onEpoch?: (record: EpochRecord) => void;
  progress?: boolean;
  /** Registry name and folder of the data set, recorded so that `verify` can load its test split. */
  dataset?: { name: string; dir?: string; options?: object };
  /** Stop after this many batches in total (tests use it to simulate an interruption). */
  stopAfterBatches?: number;
}

/** A position in a run: `epoch` epochs finished and `batch` batches of the next one done. */
export interface TrainPosition {
  epoch: number;
  batch: number;
  epochs: number;
  batchesPerEpoch: number;
  batchSize: number;
}

/** What a run ends with: the final checkpoint (also written to `run.out`) and its test accuracy. */
export interface TrainResult {
  checkpoint: Checkpoint;
  /** Set when `stopRequested` stopped the run: where its checkpoint (at `run.out`) resumes. */
  interrupted?: TrainPosition;
  testAccuracy?: number;
  /** With a validation split: the best epoch's checkpoint path and validation accuracy. */
  best?: { path: string; epoch: number; validationAccuracy: number };
}

/** Running sums of an epoch in progress: samples, correct ones, summed loss, seconds spent. */
interface EpochSums { seen: number; correct: number; lossSum: number; seconds: number }

/**
 * An error thrown by onnxruntime (a native library) during a step, as one line: the inputs were
 * checked before the first step, so this is a bug, but it must not take the process down.
 */
function nativeError(err: unknown): never {
  if (err instanceof SnnError || !(err instanceof Error)) throw err;
  throw new SnnError('internal', `onnxruntime: ${err.message.split('\n')[0]}`);
}

/** Seed stream of the dropout masks (beside the data order's, which derives from the epoch alone). */
const DROPOUT_STREAM = 0xd20b;

/** `<out>.best.safetensors` beside the checkpoint `out`. */
export const bestCheckpointPath = (out: string): string => out.replace(/(\.safetensors)?$/, '.best.safetensors');

/**
 * Accuracy of the network as trained so far (`engine.model`) on a data set (time-averaged readout,
 * argmax); undefined if `stop()` said so between batches.
 */
export async function evaluate(engine: TrainingEngine, spec: NetworkSpec, ds: Dataset, batchSize = 500, stop?: () => boolean): Promise<number | undefined> {
  let correct = 0;
  for (let start = 0; start < ds.count; start += batchSize) {
    if (stop?.()) return undefined;
    const idx = Array.from({ length: Math.min(batchSize, ds.count - start) }, (_, i) => start + i);
    const batch = encodeBatch(spec, ds, idx);
    const { logits } = await engine.forward(batch, engine.model);
    correct += countCorrect(logits, batch.labels, ds.classes);
  }
  return correct / ds.count;
}

export async function train(run: TrainRun): Promise<TrainResult> {
  const spec = run.resume?.spec ?? run.spec;
  const settings = run.settings;
  checkSettings(settings as unknown as Record<string, unknown>, (name) => `training settings: ${name}`);
  const resolved = validateSpec(spec);
  checkDataFits(resolved, run.data.train, 'the network');
  checkDataFits(resolved, run.data.test, 'the network');
  const { test: testSet } = run.data;
  // A seeded held-out split of the training set, the same on every resume.
  const heldOut = settings.validation ?? 0;
  let trainSet = run.data.train;
  let validationSet: Dataset | undefined;
  if (heldOut > 0) {
    const order = new Random(deriveSeed(settings.seed, 0x7a11d)).permutation(run.data.train.count);
    validationSet = indexSubset(run.data.train, order.subarray(0, heldOut), 'validation');
    trainSet = indexSubset(run.data.train, order.subarray(heldOut), 'train');
  }
  // With averaging, a checkpoint's parameters are the average and the optimizer holds the weights Adam moves.
  const trained = run.resume?.optimizer?.trained;
  const params = run.resume ? trained ?? run.resume.params : initParams(resolved, settings.seed, settings.initGain);
  checkParams(resolved, params, run.resume ? run.out : 'initialisation');
  const engine = new TrainingEngine(resolved, params, run.resume?.optimizer, {
    mode: settings.gradient, loss: settings.loss, surrogate: { kind: settings.surrogate, width: settings.surrogateWidth }, maxChunk: settings.maxChunk,
    workers: settings.workers ?? 1, dropout: settings.dropout, labelSmoothing: settings.labelSmoothing, averaging: settings.averaging,
  }, trained ? run.resume!.params : undefined);
  const history: EpochRecord[] = [...(run.resume?.history ?? [])];
  const B = settings.batchSize;
  const batchesPerEpoch = Math.floor(trainSet.count / B);
  if (batchesPerEpoch < 1 || testSet.count < 1) {
    throw new SnnError('usage', `${trainSet.count} training samples make no batch of ${B}, or the test set (${testSet.count} samples) is empty: nothing to train or judge`);
  }
  const totalSteps = settings.epochs * batchesPerEpoch;
  let epoch = run.resume?.progress?.epoch ?? 0;
  let startBatch = run.resume?.progress?.batch ?? 0;
  const skipper = new StepSkipper(parseSkipPolicy(settings.skip ?? 'none'), spec.timeSteps);
  skipper.restore((run.resume?.progress as { skip?: Parameters<StepSkipper['restore']>[0] } | undefined)?.skip);
  const freezeout = parseFreezeOut(settings.freezeout ?? 'none');
  const augmentation = parseAugmentation(settings.augment ?? 'none');
  const layerNames = resolved.blocks.map((b) => b.weighted.name);
  const points = freezeout ? freezePoints(layerNames.length, freezeout) : undefined;
  const checkpointOf = (progress: { epoch: number; batch: number; sums?: EpochSums }): Checkpoint => ({
    spec, params: engine.model, optimizer: engine.average ? { ...engine.optimizer, trained: params } : engine.optimizer, training: { ...settings }, dataset: { ...run.dataset, train: trainSet.describe(), test: testSet.describe() }, history,
    progress: { ...progress, skip: skipper.save(), best },
  });
  let best = (run.resume?.progress as { best?: { epoch: number; validationAccuracy: number } } | undefined)?.best;
  let lastSave = Date.now();
  let batchesRun = 0;
  let testAccuracy: number | undefined;
  const stop = run.stopRequested ?? (() => false);
  const position = (e: number, b: number): TrainPosition => ({ epoch: e, batch: b, epochs: settings.epochs, batchesPerEpoch, batchSize: B });
  // The running sums of the epoch in progress, kept in mid-epoch checkpoints so that a resumed epoch reports all of its batches.
  let resumedSums = (run.resume?.progress as { sums?: EpochSums } | undefined)?.sums;
  /** Writes the checkpoint at the last completed batch and reports where it resumes. */
  const interrupt = (e: number, b: number, sums?: EpochSums): TrainResult => {
    const checkpoint = checkpointOf({ epoch: e, batch: b, sums });
    saveCheckpoint(run.out, checkpoint);
    return { checkpoint, interrupted: position(e, b) };
  };
  run.onStart?.(position(epoch, startBatch));
  try {
    for (; epoch < settings.epochs; epoch++, startBatch = 0) {
      const order = new Random(deriveSeed(settings.seed, epoch)).permutation(trainSet.count);
      const epochSet = augmentation ? augmentedEpoch(trainSet, augmentation, settings.seed, epoch) : trainSet;
      const progress = new Progress(`epoch ${epoch + 1}/${settings.epochs}`, batchesPerEpoch, run.progress ?? true);
      let { seen, correct, lossSum, seconds: before } = startBatch > 0 && resumedSums ? resumedSums : { seen: 0, correct: 0, lossSum: 0, seconds: 0 };
      resumedSums = undefined;
      let note: string | undefined;
      const t0 = performance.now();
      const sums = (): EpochSums => ({ seen, correct, lossSum, seconds: before + (performance.now() - t0) / 1000 });
      for (let b = startBatch; b < batchesPerEpoch; b++) {
        if (stop()) return interrupt(epoch, b, sums());
        if (run.stopAfterBatches !== undefined && batchesRun >= run.stopAfterBatches) {
          saveCheckpoint(run.out, checkpointOf({ epoch, batch: b, sums: sums() }));
          return { checkpoint: checkpointOf({ epoch, batch: b, sums: sums() }) };
        }
        const batch = encodeBatch(spec, epochSet, order.subarray(b * B, (b + 1) * B), 1 + epoch);
        const step = engine.optimizer.step;
        const lr = scheduledLr(settings.lrSchedule, settings.lr, step, totalSteps);
        const progressFraction = step / totalSteps;
        const frozen = points ? frozenLayers(points, progressFraction) : 0;
        const layerLr = points
          ? (layer: string) => freezeOutLr(settings.lr, progressFraction, points[layerNames.indexOf(layer)], freezeout!.scaleLr)
          : () => lr;
        const dropoutSeed = settings.dropout ? deriveSeed(settings.seed, DROPOUT_STREAM, epoch, b) : undefined;
        const result = await engine.trainBatch(batch, { lr: layerLr, firstTrainable: frozen, kept: skipper.kept(), dropoutSeed }).catch(nativeError);
        skipper.observe(result.stepLoss);
        note = frozen ? `frozen: ${layerNames.slice(0, frozen).join(', ')}` : undefined;
        batchesRun++;
        seen += B; correct += result.correct; lossSum += result.loss * B;
        const { seconds } = sums();
        progress.update(b + 1, { samplesPerSecond: seen / seconds, loss: lossSum / seen, accuracy: correct / seen, note });
        const due = (run.checkpointMinutes && Date.now() - lastSave > run.checkpointMinutes * 60_000) || (run.checkpointBatches && (b + 1) % run.checkpointBatches === 0);
        if (due && b + 1 < batchesPerEpoch) {
          saveCheckpoint(run.out, checkpointOf({ epoch, batch: b + 1, sums: sums() }));
          lastSave = Date.now();
        }
      }
      progress.end();
      const { seconds } = sums();
      const record: EpochRecord = {
        epoch: epoch + 1, trainLoss: lossSum / Math.max(seen, 1), trainAccuracy: correct / Math.max(seen, 1),
        seconds, samplesPerSecond: seen / seconds,
      };
      if (startBatch > 0) record.resumedAtBatch = startBatch;
      // Stopped while judging the epoch: its training is kept, and a resumed run judges it again.
      const judged = await evaluate(engine, spec, validationSet ?? testSet, 500, stop).catch(nativeError);
      if (judged === undefined) return interrupt(epoch, batchesPerEpoch, sums());
      if (validationSet) {
        record.validationAccuracy = judged;
        if (!best || record.validationAccuracy > best.validationAccuracy) {
          best = { epoch: epoch + 1, validationAccuracy: record.validationAccuracy };
          history.push(record);
          saveCheckpoint(bestCheckpointPath(run.out), checkpointOf({ epoch: epoch + 1, batch: 0 }));
          history.pop();
        }
      } else {
        record.testAccuracy = testAccuracy = judged;
      }
      history.push(record);
      saveCheckpoint(run.out, checkpointOf({ epoch: epoch + 1, batch: 0 }));
      lastSave = Date.now();
      run.onEpoch?.(record);
    }
    if (validationSet && best) {
      // The test set, once, on the best epoch's parameters.
      const bestPath = bestCheckpointPath(run.out);
      const bestCk = loadCheckpoint(bestPath);
      const judge = new TrainingEngine(resolved, bestCk.params, undefined, { mode: settings.gradient, loss: settings.loss, surrogate: { kind: settings.surrogate, width: settings.surrogateWidth }, maxChunk: settings.maxChunk });
      try { testAccuracy = await evaluate(judge, spec, testSet, 500, stop).catch(nativeError); } finally { await judge.dispose(); }
      // Stopped here, the checkpoint on disk already holds every epoch; a resumed run only judges the best one.
      if (testAccuracy === undefined) return { checkpoint: checkpointOf({ epoch, batch: 0 }), interrupted: position(epoch, 0) };
      saveCheckpoint(bestPath, { ...bestCk, history: [...bestCk.history.slice(0, -1), { ...bestCk.history[bestCk.history.length - 1], testAccuracy }] });
    }
  } finally {
    await engine.dispose();
  }
  // A run resumed after its last epoch (without a validation split) reports the last epoch's test accuracy.
  testAccuracy ??= history[history.length - 1]?.testAccuracy;
  return {
    checkpoint: checkpointOf({ epoch, batch: 0 }), testAccuracy,
    best: validationSet && best ? { path: bestCheckpointPath(run.out), ...best } : undefined,
  };
}
