/**
 * The training step as one ONNX graph: forward (src/compile/forward.ts), loss, the hand-derived
 * backward pass and, on the last chunk of a batch, the Adam update. Parameters, optimizer state
 * and neuron state go in and come out as tensors; onnxruntime-node runs it (docs/training.md).
 *
 * Time is processed in chunks of fixed length when T is long: the neuron state (and traces) are
 * carried from chunk to chunk, gradients are accumulated, so memory does not grow with T.
 */
import type { ResolvedSpec } from '../spec/validate.ts';
import { paramShapes } from '../spec/params.ts';
import type { Surrogate } from '../neuron/surrogate.ts';
import { GraphBuilder } from './graph-builder.ts';
import type { Dim } from './graph-builder.ts';
import { lowerForward, stateShapes, stateName, isStaticBlock } from './forward.ts';
import { lowerBackward } from './backward.ts';
import type { GradientMode } from './backward.ts';
import { LOSSES_OF, isWholeRunLoss, lowerLoss } from './loss.ts';
import type { LossKind } from './loss.ts';
import { lowerAdam } from './adam.ts';
import { dropoutBlocks, dropoutMaskName, dropoutMaskSize } from './dropout.ts';
import type { AdamConfig } from './adam.ts';

export interface TrainGraphOptions {
  resolved: ResolvedSpec;
  /** Steps in this graph: T, or the chunk length. */
  steps: number;
  /** State comes in and goes out (a chunk of a longer run) instead of starting at zero. */
  chunked: boolean;
  mode: GradientMode;
  surrogate: Surrogate;
  loss: LossKind;
  /** 'mean' or 'count' loss over several chunks: the run's class scores come in from a forward pre-pass. */
  logitsInput: boolean;
  /** Index of the lowest block that trains (FreezeOut); blocks below run forward only. */
  firstTrainable: number;
  /** Steps of this graph whose backward pass runs (backward phase skipping); all when undefined. */
  kept?: number[];
  /** Gradient accumulators come in (chunks after the first). */
  accumulate: boolean;
  /** Apply Adam and output the new parameters; otherwise output the accumulated gradients. */
  update: boolean;
  /** Dropout masks come in for the inputs of the dense layers (src/compile/dropout.ts). */
  dropout?: boolean;
  adam: AdamConfig;
}

export interface TrainGraph {
  model: Uint8Array;
  /** All parameter names, in the order of `paramShapes`. */
  params: string[];
  /** Parameters that get gradients (of blocks ≥ firstTrainable). */
  trainable: string[];
  /** Weighted layers that take a learning-rate input `lr.<layer>`. */
  lrLayers: string[];
  /** Neuron-state inputs/outputs (chunked graphs), with per-sample shapes. */
  states: { name: string; shape: number[] }[];
  nodeCount: number;
}

export const inputShapeOf = (resolved: ResolvedSpec, steps: number): Dim[] =>
  resolved.spec.encoder.kind === 'direct' ? ['batch', ...resolved.spec.inputShape] : [steps, 'batch', ...resolved.spec.inputShape];

/**
 * Σ over the batch of the cross-entropy of each step's output o[t] (the readout membrane, or a
 * spiking output layer's spikes), `[T]`: what loss-gated skipping reads.
 */
function stepLossSum(g: GraphBuilder, steps: number, outputAll: string, labels: string): string {
  const logp = g.op('LogSoftmax', [outputAll], { axis: 1 });
  const y = steps === 1 ? labels : g.op('Tile', [labels, g.constInt64([steps, 1])]);
  const perRow = g.op('Reshape', [g.op('Mul', [y, logp]), g.constInt64([steps, -1])]);
  return g.op('Neg', [g.op('ReduceSum', [perRow, g.constInt64([1])], { keepdims: 0 })], {}, 'step_loss');
}

export function buildTrainGraph(o: TrainGraphOptions): TrainGraph {
  const { resolved, steps } = o;
  const g = new GraphBuilder('snn_train_step');
  const input = g.input('input', inputShapeOf(resolved, steps));
  const labels = g.input('labels', ['batch', resolved.classes]);
  const gradScale = g.input('grad_scale', []);
  const keptSteps = o.kept ? o.kept.length : steps;
  // Trace weights c[t] of the steps whose backward pass runs.
  const traceInputs = new Map(o.mode === 'trace' ? resolved.blocks.map((b) => [b.neuron.name, g.input(`trace_weights.${b.neuron.name}`, [keptSteps])] as const) : []);
  const traceWeights = o.mode === 'trace' ? (layer: string) => traceInputs.get(layer)! : undefined;
  const logitsIn = o.logitsInput ? g.input('logits_in', ['batch', resolved.classes]) : undefined;

  const states: { name: string; shape: number[] }[] = [];
  if (o.chunked) {
    resolved.blocks.forEach((block, i) => {
      for (const [suffix, shape] of stateShapes(block, o.mode === 'trace', isStaticBlock(resolved, i))) {
        const name = g.input(stateName(block, suffix), ['batch', ...shape]);
        states.push({ name, shape });
      }
    });
  }

  const shapes = paramShapes(resolved);
  const params = [...shapes.keys()];
  for (const p of params) g.input(p, shapes.get(p)!);
  const param = (name: string) => name;

  const dropoutMasks = new Map(o.dropout ? dropoutBlocks(resolved).map((i) => [i, g.input(dropoutMaskName(resolved, i), ['batch', dropoutMaskSize(resolved, i)])] as const) : []);
  const fwd = lowerForward(g, { resolved, steps, state: o.chunked ? 'io' : 'zero', record: true, recordFrom: o.firstTrainable, poolIndices: !o.kept, trace: o.mode === 'trace', param, dropoutMasks }, input);
  const last = fwd.blocks[fwd.blocks.length - 1];
  if (!LOSSES_OF[resolved.output].includes(o.loss)) throw new RangeError(`buildTrainGraph: loss '${o.loss}' does not apply to output '${resolved.output}'`);
  // o[t] of all steps: the readout membrane, or the spiking output layer's spikes.
  const outputAll = resolved.output === 'spikes' ? last.spikes! : last.membrane;
  // The class scores of the whole run: mean membrane or spike counts (from a pre-pass when chunked).
  const scores = isWholeRunLoss(o.loss) ? (logitsIn ?? (resolved.output === 'spikes' ? fwd.readoutSum : g.op('Div', [fwd.readoutSum, g.constFloat([steps])], {}, 'mean_logits'))) : '';
  const { outputError, lossSum } = lowerLoss(g, o.loss, steps, outputAll, scores, labels, gradScale);
  const grads = lowerBackward(g, { mode: o.mode, surrogate: o.surrogate, steps, firstTrainable: o.firstTrainable, kept: o.kept, traceWeights, param }, fwd, outputError);

  const trainable = params.filter((p) => grads.has(p));
  const lrLayers = resolved.blocks.slice(o.firstTrainable).map((b) => b.weighted.name);
  const lrInputs = new Map(lrLayers.map((l) => [l, o.update ? g.input(`lr.${l}`, []) : '']));
  for (const p of trainable) {
    let grad = grads.get(p)!;
    if (o.accumulate) grad = g.op('Add', [g.input(`grad_in.${p}`, shapes.get(p)!), grad], {}, 'grad_acc');
    if (o.update) {
      const m = g.input(`m.${p}`, shapes.get(p)!);
      const v = g.input(`v.${p}`, shapes.get(p)!);
      const [p2, m2, v2] = lowerAdam(g, o.adam, p, grad, m, v, lrInputs.get(p.slice(0, p.lastIndexOf('.')))!, p.replace('.', '_'));
      g.output(p2, `next.${p}`, shapes.get(p)!);
      g.output(m2, `next_m.${p}`, shapes.get(p)!);
      g.output(v2, `next_v.${p}`, shapes.get(p)!);
    } else {
      g.output(grad, `grad.${p}`, shapes.get(p)!);
    }
  }
  if (o.chunked) {
    resolved.blocks.forEach((block, i) => {
      const rec = fwd.blocks[i];
      for (const [suffix, shape] of stateShapes(block, o.mode === 'trace', isStaticBlock(resolved, i))) {
        g.output(rec.finalState[suffix], `next_${stateName(block, suffix)}`, ['batch', ...shape]);
      }
    });
  }
  g.output(fwd.readoutSum, 'readout_sum', ['batch', resolved.classes]);
  g.output(lossSum, 'loss_sum', []);
  g.output(stepLossSum(g, steps, outputAll, labels), 'step_loss_sum', [steps]);
  return { model: g.toModel(), params, trainable, lrLayers, states, nodeCount: g.nodeCount };
}
