import { existsSync, readFileSync } from 'node:fs';
import { SnnError, malformed } from '../errors.ts';
import type { NetworkSpec } from '../spec/types.ts';
import { validateSpec } from '../spec/validate.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import type { Tensor } from '../util/tensor.ts';
import { decodeSafetensors, encodeSafetensors } from './safetensors.ts';

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
 * everything but tensors as JSON strings in `__metadata__` (DESIGN §6).
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

function parseJson<T>(where: string, field: string, text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw malformed(where, `metadata '${field}' is not valid JSON`);
  }
}

export function decodeCheckpoint(bytes: Uint8Array, where: string): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, where);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw malformed(where, `metadata 'format' is ${JSON.stringify(metadata.format)}, expected '${CHECKPOINT_FORMAT}' (a safetensors file, but not an snn-export checkpoint)`);
  }
  if (metadata.format_version !== String(CHECKPOINT_VERSION)) {
    throw new SnnError('incompatibleVersion', `${where}: checkpoint format version ${metadata.format_version} is not supported by this snn-export (reads version ${CHECKPOINT_VERSION})`);
  }
  const spec = parseJson<NetworkSpec>(where, 'spec', metadata.spec);
  if (!spec) throw malformed(where, "metadata 'spec' is missing");
  const resolved = validateSpec(spec);
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
  for (const block of resolved.blocks) {
    const name = `${block.weighted.name}.weight`;
    if (!params.has(name)) throw malformed(where, `tensor '${name}' is missing`);
  }
  const step = metadata.optimizer_step !== undefined ? Number(metadata.optimizer_step) : undefined;
  return {
    spec,
    params,
    optimizer: step !== undefined ? { step, m, v, ...(trained.size ? { trained } : {}) } : undefined,
    training: parseJson(where, 'training', metadata.training),
    dataset: parseJson(where, 'dataset', metadata.dataset),
    history: parseJson<EpochRecord[]>(where, 'history', metadata.history) ?? [],
    progress: parseJson(where, 'progress', metadata.progress),
  };
}

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new SnnError('missingInput', `${path}: checkpoint not found`);
  return decodeCheckpoint(readFileSync(path), path);
}
