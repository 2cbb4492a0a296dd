/**
 * `verify`: runs the trained model (the training engine's own inference graph) and each chosen
 * runtime on the same encoded test batches and reports accuracy and agreement per runtime.
 */
import type { Checkpoint } from '../../src/checkpoint/checkpoint.ts';
import { validateSpec } from '../../src/spec/validate.ts';
import { checkParams } from '../../src/spec/params.ts';
import type { Dataset } from '../../src/data/dataset.ts';
import { encodeBatch } from '../../src/data/encode.ts';
import { TrainingEngine, countCorrect } from '../../src/train/engine.ts';
import { SnnError } from '../../src/errors.ts';
import { checkDataFits } from '../../src/train/data-fit.ts';
import { defaultLoss } from '../../src/compile/loss.ts';
import { describeOutput } from '../../src/spec/prediction.ts';
import type { ResetMode } from '../../src/spec/types.ts';
import { RUNTIMES } from '../index.ts';
import type { PreparedRuntime, RuntimeContext, RuntimeOutput } from '../runtime.ts';
import { ParityAccumulator } from './compare.ts';
import type { ParityFigures } from './compare.ts';

export interface VerifyOptions {
  checkpoint: Checkpoint;
  checkpointPath: string;
  test: Dataset;
  runtimes: string[];
  onnxPath?: string;
  target?: string;
  /** The reset the target runs spiking layers with when it lacks the trained one (hwsim; as `export events --reset-as`). */
  resetAs?: ResetMode;
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Called after every batch with the per-sample outputs, for callers that need more than the
   * summary figures (a confusion matrix, spike rates). The arrays are not reused after the call.
   */
  onBatch?: (batch: VerifiedBatch) => void;
}

/** One batch as `verify` ran it: which samples, the trained model's outputs and each runtime's. */
export interface VerifiedBatch {
  /** Indices of the samples in the test set. */
  indices: number[];
  labels: Uint8Array;
  /** The trained model (the training engine's inference graph). */
  reference: RuntimeOutput;
  /** Each runtime's outputs, by runtime name. */
  outputs: Map<string, RuntimeOutput>;
}

export interface VerifyReport {
  checkpoint: string;
  samples: number;
  /** What the class scores are (`describeOutput`), e.g. `spike counts of layer 'clif2' over 8 steps`. */
  output: string;
  /** Test accuracy of the trained model itself. */
  trainedAccuracy: number;
  runtimes: ParityFigures[];
}

export async function verify(o: VerifyOptions): Promise<VerifyReport> {
  const resolved = validateSpec(o.checkpoint.spec);
  checkParams(resolved, o.checkpoint.params, o.checkpointPath);
  checkDataFits(resolved, o.test, o.checkpointPath);
  for (const name of o.runtimes) if (!RUNTIMES[name]) throw new SnnError('usage', `option --runtimes: '${name}' is not one of ${Object.keys(RUNTIMES).join(', ')}`);
  const context: RuntimeContext = { checkpoint: o.checkpoint, onnxPath: o.onnxPath, target: o.target, resetAs: o.resetAs };
  const prepared: [string, PreparedRuntime][] = [];
  const errors: string[] = [];
  for (const name of o.runtimes) {
    try { prepared.push([name, await RUNTIMES[name].prepare(context)]); } catch (err) {
      if (err instanceof SnnError) throw err;
      errors.push(`[${name}] ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (errors.length) throw new SnnError('internal', `could not start runtimes: ${errors.join('; ')}`);
  const engine = new TrainingEngine(resolved, o.checkpoint.params, undefined, { mode: 'instant', loss: defaultLoss(resolved.output), surrogate: { kind: 'fast-sigmoid', width: 0.1 }, maxChunk: resolved.spec.timeSteps });
  const acc = new Map(prepared.map(([name]) => [name, new ParityAccumulator(name, resolved.classes)]));
  let trainedCorrect = 0;
  try {
    for (let start = 0; start < o.test.count; start += o.batchSize) {
      const idx = Array.from({ length: Math.min(o.batchSize, o.test.count - start) }, (_, i) => start + i);
      const batch = encodeBatch(resolved.spec, o.test, idx);
      const reference = await engine.forward(batch);
      trainedCorrect += countCorrect(reference.logits, batch.labels, resolved.classes);
      const outputs = new Map<string, RuntimeOutput>();
      for (const [name, runtime] of prepared) {
        const t0 = performance.now();
        const out = await runtime.run({ batchSize: batch.batchSize, shape: batch.shape, data: batch.data });
        const a = acc.get(name)!;
        a.seconds += (performance.now() - t0) / 1000;
        a.add(reference, out, batch.labels);
        outputs.set(name, out);
      }
      o.onBatch?.({ indices: idx, labels: batch.labels, reference, outputs });
      o.onProgress?.(start + idx.length, o.test.count);
    }
  } finally {
    await engine.dispose();
    for (const [, r] of prepared) await r.dispose();
  }
  return { checkpoint: o.checkpointPath, samples: o.test.count, output: describeOutput(resolved), trainedAccuracy: trainedCorrect / o.test.count, runtimes: [...acc.values()].map((a) => a.figures()) };
}
