import { SnnError, malformed } from '../errors.ts';
import { checkParams } from '../spec/params.ts';
import type { NetworkSpec } from '../spec/types.ts';
import type { ResolvedSpec } from '../spec/validate.ts';
import { validateSpec } from '../spec/validate.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { parseUntrustedJson, readInput } from '../util/read-input.ts';
import { shown } from '../util/shown.ts';
import type { Tensor } from '../util/tensor.ts';
import { checkpointFile } from './checkpoint-file.ts';
import { MAX_SAFETENSORS_BYTES, decodeSafetensors, encodeSafetensors } from './safetensors.ts';

/** Checkpoint format version. A reader refuses any other with an `incompatibleVersion` error. */
export const CHECKPOINT_FORMAT = 'snn-export-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** Adam moments per parameter, and the number of updates done. */
export interface OptimizerState {
  step: number;
  m: Map<string, Tensor>;
  v: Map<string, Tensor>;
  /**
   * The weights Adam moves, when the checkpoint's parameters are their moving average
   * (src/train/averaging.ts): a resumed run continues from these.
   */
  trained?: Map<string, Tensor>;
}

/** One line of training history (also what `train --json` prints per epoch). */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy?: number;
  validationAccuracy?: number;
  seconds: number;
  samplesPerSecond: number;
  [extra: string]: unknown;
}

/**
 * A trained (or training) network: spec, parameters by name (`<layer>.weight`, `<layer>.bias`),
 * and what is needed to resume and to document the run. Stored in the safetensors layout with
 * everything but tensors as JSON strings in `__metadata__` (docs/formats.md).
 */
export interface Checkpoint {
  spec: NetworkSpec;
  params: Map<string, Tensor>;
  optimizer?: OptimizerState;
  /** Training settings as given (JSON-serialisable). */
  training?: Record<string, unknown>;
  /** Where the data came from and how it was preprocessed. */
  dataset?: Record<string, unknown>;
  history: EpochRecord[];
  /** Position to resume from: epochs finished and batches done in the current epoch. */
  progress?: { epoch: number; batch: number; [state: string]: unknown };
}

export function encodeCheckpoint(ck: Checkpoint): Uint8Array[] {
  const tensors = new Map<string, Tensor>(ck.params);
  if (ck.optimizer) {
    for (const [k, t] of ck.optimizer.m) tensors.set(`optimizer.m.${k}`, t);
    for (const [k, t] of ck.optimizer.v) tensors.set(`optimizer.v.${k}`, t);
    for (const [k, t] of ck.optimizer.trained ?? []) tensors.set(`optimizer.trained.${k}`, t);
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    spec: JSON.stringify(ck.spec),
    history: JSON.stringify(ck.history),
  };
  if (ck.training) metadata.training = JSON.stringify(ck.training);
  if (ck.dataset) metadata.dataset = JSON.stringify(ck.dataset);
  if (ck.progress) metadata.progress = JSON.stringify(ck.progress);
  if (ck.optimizer) metadata.optimizer_step = String(ck.optimizer.step);
  return encodeSafetensors({ tensors, metadata });
}

/** Writes the checkpoint atomically (temporary file, then rename). */
export function saveCheckpoint(path: string, ck: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(ck));
}

function parseJson(where: string, field: string, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  return parseUntrustedJson(text, `${where}: metadata '${field}'`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A metadata field that must be a JSON object when present. */
function objectField(where: string, field: string, text: string | undefined): Record<string, unknown> | undefined {
  const v = parseJson(where, field, text);
  if (v !== undefined && !isRecord(v)) throw malformed(where, `metadata '${field}' must be a JSON object, got ${shown(v)}`);
  return v;
}

/** The spec embedded in a checkpoint, validated; its errors name the file. */
function embeddedSpec(where: string, text: string | undefined): { spec: NetworkSpec; resolved: ResolvedSpec } {
  const spec = parseJson(where, 'spec', text);
  if (spec === undefined) throw malformed(where, "metadata 'spec' is missing");
  try {
    return { spec: spec as NetworkSpec, resolved: validateSpec(spec as NetworkSpec) };
  } catch (err) {
    if (err instanceof SnnError) throw new SnnError(err.kind, `${where}: embedded spec: ${err.message}`);
    throw err;
  }
}

/** Optimizer tensors must belong to a parameter and have its shape. */
function checkMoments(where: string, role: string, moments: Map<string, Tensor>, params: Map<string, Tensor>): void {
  for (const [name, t] of moments) {
    const p = params.get(name);
    if (!p) throw malformed(where, `tensor 'optimizer.${role}.${name}' belongs to no parameter`);
    if (p.shape.join(',') !== t.shape.join(',')) throw malformed(where, `tensor 'optimizer.${role}.${name}' has shape [${t.shape}], its parameter [${p.shape}]`);
  }
}

/**
 * Decodes a checkpoint and checks everything it holds before anyone uses it: the embedded spec
 * (with the limits of src/spec/limits.ts), the parameters against it, the optimizer state, and
 * the shape of the run's records (objects, arrays and counts where they belong).
 */
export function decodeCheckpoint(bytes: Uint8Array, where: string): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, where);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw malformed(where, `metadata 'format' is ${shown(metadata.format)}, expected '${CHECKPOINT_FORMAT}' (a safetensors file, but not an snn-export checkpoint)`);
  }
  if (metadata.format_version !== String(CHECKPOINT_VERSION)) {
    throw new SnnError('incompatibleVersion', `${where}: checkpoint format version ${metadata.format_version} is not supported by this snn-export (reads version ${CHECKPOINT_VERSION})`);
  }
  const { spec, resolved } = embeddedSpec(where, metadata.spec);
  const params = new Map<string, Tensor>();
  const m = new Map<string, Tensor>();
  const v = new Map<string, Tensor>();
  const trained = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    if (name.startsWith('optimizer.m.')) m.set(name.slice(12), t);
    else if (name.startsWith('optimizer.v.')) v.set(name.slice(12), t);
    else if (name.startsWith('optimizer.trained.')) trained.set(name.slice(18), t);
    else params.set(name, t);
  }
  checkParams(resolved, params, where);
  checkMoments(where, 'm', m, params);
  checkMoments(where, 'v', v, params);
  checkMoments(where, 'trained', trained, params);
  let step: number | undefined;
  if (metadata.optimizer_step !== undefined) {
    step = Number(metadata.optimizer_step);
    if (!isCount(step)) throw malformed(where, `metadata 'optimizer_step' must be a non-negative integer, got ${shown(metadata.optimizer_step)}`);
  }
  const history = parseJson(where, 'history', metadata.history) ?? [];
  if (!Array.isArray(history) || !history.every((h) => isRecord(h) && isCount(h.epoch))) {
    throw malformed(where, "metadata 'history' must be a JSON array of epoch records (objects with an integer 'epoch')");
  }
  const progress = objectField(where, 'progress', metadata.progress);
  if (progress && (!isCount(progress.epoch) || !isCount(progress.batch))) {
    throw malformed(where, `metadata 'progress' must hold non-negative integers 'epoch' and 'batch', got ${shown(progress.epoch)} and ${shown(progress.batch)}`);
  }
  return {
    spec,
    params,
    optimizer: step !== undefined ? { step, m, v, ...(trained.size ? { trained } : {}) } : undefined,
    training: objectField(where, 'training', metadata.training),
    dataset: objectField(where, 'dataset', metadata.dataset),
    history: history as EpochRecord[],
    progress: progress as Checkpoint['progress'],
  };
}

/**
 * Reads a checkpoint file (a regular file of at most 1 GiB), or a pretrained model by name
 * (`checkpointFile`), and checks it (`decodeCheckpoint`).
 */
export function loadCheckpoint(pathOrModel: string): Checkpoint {
  const path = checkpointFile(pathOrModel);
  return decodeCheckpoint(readInput(path, { what: 'checkpoint', maxBytes: MAX_SAFETENSORS_BYTES }), path);
}
