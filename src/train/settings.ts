/**
 * The training settings' rules, once: the `train` flags, a recipe's `training` object and a
 * resumed checkpoint's recorded settings are checked by the same functions, so a value refused
 * on the command line is refused in a recipe too, with the same words, naming where it came from.
 */
import { shown } from '../util/shown.ts';
import { SnnError } from '../errors.ts';
import type { ErrorKind } from '../errors.ts';
import { SURROGATE_KINDS } from '../neuron/surrogate.ts';
import { GRADIENT_MODES } from '../compile/backward.ts';
import { LOSS_KINDS } from '../compile/loss.ts';
import { parseAugmentation } from '../data/augment.ts';
import { checkLabelSmoothing } from '../data/encode.ts';
import { LR_SCHEDULES } from './schedule.ts';
import { parseSkipPolicy } from './skip.ts';
import { parseFreezeOut } from './freezeout.ts';
import { checkDropout } from './dropout.ts';
import { checkAveraging } from './averaging.ts';
import type { TrainSettings } from './trainer.ts';

/**
 * Upper limits of the counting settings (README, "Training limits"): far above any run this
 * project makes (the recipes use at most 100 epochs and batches of 64), low enough that a typo or
 * a hostile file (`"epochs": 1e400`) is refused instead of training for ever.
 */
export const SETTING_LIMITS = {
  epochs: 10_000,
  batchSize: 65_536,
  maxChunk: 100_000,
  workers: 64,
  samples: 100_000_000,
} as const;

/** Every setting a run records, with its flag; `trainLimit`/`testLimit` are `--limit`/`--test-limit`. */
export type SettingName = keyof TrainSettings | 'trainLimit' | 'testLimit';

type Check = (value: unknown, where: string) => void;

const show = (v: unknown): string => (typeof v === 'number' ? String(v) : shown(v));

function integerIn(lo: number, hi: number): Check {
  return (v, where) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new SnnError('usage', `${where}: must be an integer from ${lo} to ${hi}, got ${show(v)}`);
  };
}

function positive(hi: number): Check {
  return (v, where) => {
    if (typeof v !== 'number' || !(v > 0 && v <= hi)) throw new SnnError('usage', `${where}: must be a number above 0 and at most ${hi}, got ${show(v)}`);
  };
}

function oneOf(values: readonly string[]): Check {
  return (v, where) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new SnnError('usage', `${where}: ${show(v)} is not one of ${values.join(', ')}`);
  };
}

function aNumber(check: (n: number, where: string) => void): Check {
  return (v, where) => {
    if (typeof v !== 'number') throw new SnnError('usage', `${where}: must be a number, got ${show(v)}`);
    check(v, where);
  };
}

/** A text setting parsed by its flag's parser, whose `option --x: ` prefix becomes `where`. */
function text(parse: (t: string) => unknown): Check {
  return (v, where) => {
    if (typeof v !== 'string') throw new SnnError('usage', `${where}: must be a string, got ${show(v)}`);
    try { parse(v); } catch (err) {
      if (err instanceof SnnError) throw new SnnError(err.kind, `${where}: ${err.message.replace(/^option --[\w-]+: /, '')}`);
      throw err;
    }
  };
}

/** Each setting: its flag and its check. Library callers get the same checks through `checkSettings`. */
export const SETTING_RULES: Record<SettingName, { flag: string; check: Check }> = {
  epochs: { flag: '--epochs', check: integerIn(1, SETTING_LIMITS.epochs) },
  batchSize: { flag: '--batch-size', check: integerIn(1, SETTING_LIMITS.batchSize) },
  lr: { flag: '--lr', check: positive(10) },
  lrSchedule: { flag: '--lr-schedule', check: oneOf(LR_SCHEDULES) },
  seed: { flag: '--seed', check: integerIn(-(2 ** 31), 2 ** 32 - 1) },
  gradient: { flag: '--gradient', check: oneOf(GRADIENT_MODES) },
  loss: { flag: '--loss', check: oneOf(LOSS_KINDS) },
  surrogate: { flag: '--surrogate', check: oneOf(SURROGATE_KINDS) },
  surrogateWidth: { flag: '--surrogate-width', check: positive(100) },
  maxChunk: { flag: '--max-chunk', check: integerIn(1, SETTING_LIMITS.maxChunk) },
  initGain: { flag: '--init-gain', check: positive(100) },
  skip: { flag: '--skip', check: text(parseSkipPolicy) },
  freezeout: { flag: '--freezeout', check: text(parseFreezeOut) },
  augment: { flag: '--augment', check: text(parseAugmentation) },
  dropout: { flag: '--dropout', check: aNumber((n, where) => checkDropout(n, where)) },
  labelSmoothing: { flag: '--label-smoothing', check: aNumber(checkLabelSmoothing) },
  averaging: { flag: '--averaging', check: aNumber(checkAveraging) },
  workers: { flag: '--workers', check: integerIn(0, SETTING_LIMITS.workers) },
  validation: { flag: 'validation (recipes only)', check: integerIn(0, SETTING_LIMITS.samples) },
  trainLimit: { flag: '--limit', check: integerIn(1, SETTING_LIMITS.samples) },
  testLimit: { flag: '--test-limit', check: integerIn(1, SETTING_LIMITS.samples) },
};

/** Fields a run records beside the settings (not settings themselves). */
const RECORDED = new Set(['recipe']);

/**
 * Checks every setting present in `settings`; `where(name)` says where a value came from
 * (`option --lr`, `recipe mnist-paper: training.lr`). With `strict`, a field that is not a setting
 * is refused too (a recipe's typo would otherwise be ignored without a word).
 */
export function checkSettings(settings: Record<string, unknown>, where: (name: SettingName) => string, strict = false, kind: ErrorKind = 'usage'): void {
  try {
    checkEach(settings, where, strict);
  } catch (err) {
    // Settings recorded in a file (a checkpoint) that break the rules make that file malformed.
    if (err instanceof SnnError && kind !== err.kind) throw new SnnError(kind, err.message);
    throw err;
  }
}

function checkEach(settings: Record<string, unknown>, where: (name: SettingName) => string, strict: boolean): void {
  for (const [name, value] of Object.entries(settings)) {
    // Own keys only: a key named 'toString' or '__proto__' is not a setting.
    const rule = Object.hasOwn(SETTING_RULES, name) ? SETTING_RULES[name as SettingName] : undefined;
    if (rule) {
      if (value !== undefined) rule.check(value, where(name as SettingName));
    } else if (strict && !RECORDED.has(name)) {
      throw new SnnError('usage', `${where(name as SettingName)}: not a training setting (settings: ${Object.keys(SETTING_RULES).filter((n) => n !== 'trainLimit' && n !== 'testLimit').join(', ')})`);
    }
  }
}

/** `where` for settings given as flags: `option --lr`. */
export const fromFlags = (name: SettingName): string => `option ${Object.hasOwn(SETTING_RULES, name) ? SETTING_RULES[name].flag : name}`;

/**
 * Refuses a run that would train on nothing: a validation split that takes every training sample,
 * or fewer training samples than one batch, or an empty test set. `describe` names what set the
 * sizes (`--limit 300`, the recipe), so the line says what to change.
 */
export function checkSplitSizes(o: { dataset: string; train: number; test: number; validation: number; batchSize: number; where: (name: SettingName) => string; limitNote?: string }): void {
  const note = o.limitNote ? ` (${o.limitNote})` : '';
  if (o.test < 1) throw new SnnError('usage', `the test set of ${o.dataset} is empty${note}: there is nothing to judge the training on`);
  const left = o.train - o.validation;
  if (o.validation > 0 && left < o.batchSize) {
    throw new SnnError('usage', `${o.where('validation')}: holds out ${o.validation} of the ${o.train} training samples of ${o.dataset}${note} for validation, which leaves ${Math.max(left, 0)} to train on, fewer than one batch of ${o.batchSize}; ${o.limitNote ? `give --limit ${o.validation + o.batchSize} or more` : `the data set needs at least ${o.validation + o.batchSize} training samples`}`);
  }
  if (left < o.batchSize) {
    throw new SnnError('usage', `${o.where('batchSize')}: a batch of ${o.batchSize} is more than the ${o.train} training samples of ${o.dataset}${note}: there is nothing to train on`);
  }
}
