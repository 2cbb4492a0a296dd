/**
 * The hand-derived backward pass (docs/training.md), as ONNX nodes over whole `[T·B, …]` tensors.
 *
 * - 'instant' (current time step only): I[t−1], V[t−1] and s[t−1] are constants, so the error on
 *   the synaptic input is the error on the membrane: δz[t] = δU[t]; ∂z/∂W uses the input s_in[t].
 * - 'trace': the same δz[t], but the weight gradient uses the input trace P[t]
 *   (Q[t] = α·Q[t−1] + s_in[t], P[t] = β·P[t−1] + Q[t]), exact for the leaky integration.
 * - 'bptt': backpropagation through time through the I and V recurrences; the spike in the reset
 *   term is treated as a constant (as snnTorch does), everything else is differentiated.
 * In every mode the error passed to the layer below is Wᵀ·δz at the same step.
 */
import type { Surrogate } from '../neuron/surrogate.ts';
import { clifParams } from '../neuron/clif.ts';
import type { ForwardResult, BlockRecord } from './forward.ts';
import type { GraphBuilder } from './graph-builder.ts';
import { lowerSurrogateProduct } from './surrogate.ts';
import { applyDropoutMask } from './dropout.ts';
import { shapeSize } from '../spec/validate.ts';

export type GradientMode = 'instant' | 'trace' | 'bptt';
export const GRADIENT_MODES: readonly GradientMode[] = ['instant', 'trace', 'bptt'];

export interface BackwardConfig {
  mode: GradientMode;
  surrogate: Surrogate;
  steps: number;
  /** Index of the lowest block that trains; the backward pass stops there (FreezeOut). */
  firstTrainable: number;
  /**
   * Steps whose backward pass runs (backward phase skipping); all steps when undefined. The
   * other steps cost no backward work: their rows are dropped before any backward node.
   */
  kept?: number[];
  /** Value name of a layer's trace weights c[t], `[T]` (trace mode): ∂U[t]/∂b, and P[t] = c[t]·x for a static input. */
  traceWeights?: (neuronLayer: string) => string;
  param(name: string): string;
}

/**
 * Returns the gradient value name of each trained parameter. `outputError` is the loss's error on
 * the output layer's o[t], `[T·B, K]`: dL/dU[t] of a readout, or dL/ds[t] of a spiking output
 * layer, which reaches its U[t] through the surrogate like the error of any spiking layer.
 */
export function lowerBackward(g: GraphBuilder, cfg: BackwardConfig, fwd: ForwardResult, outputError: string): Map<string, string> {
  if (cfg.kept && cfg.mode === 'bptt') throw new RangeError('lowerBackward: backward phase skipping needs a current-time-step gradient (instant or trace), not bptt');
  const kept = cfg.kept && cfg.kept.length < cfg.steps ? cfg.kept : undefined;
  // Rows [t·B … t·B+B−1] of the steps that are kept, from a time-major [T·B, …] tensor.
  const select = (value: string, shape: number[]): string => kept
    ? g.op('Reshape', [g.op('Gather', [g.op('Reshape', [value, g.constInt64([cfg.steps, -1])]), g.constInt64(kept)], { axis: 0 }, 'kept_rows'), g.constInt64([-1, ...shape])])
    : value;
  const steps = kept ? kept.length : cfg.steps;
  const grads = new Map<string, string>();
  let gradOut = ''; // dL/d(block output) at the kept steps, [K·B, N…]
  for (let index = fwd.blocks.length - 1; index >= cfg.firstTrainable; index--) {
    const rec = fwd.blocks[index];
    const name = rec.block.neuron.name;
    const neuron = clifParams(rec.block.neuron.layer);
    // dL/d(output) at the kept steps: the loss's for the output layer, else from the layer above.
    const errorOut = index === fwd.blocks.length - 1 ? select(outputError, rec.block.outShape) : gradOut;
    // dL/dU[t] from this step's own effect.
    let delta = neuron.theta === undefined
      ? errorOut
      : lowerSurrogateProduct(g, cfg.surrogate, errorOut, select(rec.membrane, rec.block.outShape), neuron.theta, name);
    if (cfg.mode === 'bptt') delta = reverseRecurrence(g, cfg.steps, delta, rec, neuron.alpha, neuron.beta, neuron.theta !== undefined && neuron.reset === 'zero');
    // A static block's synaptic input is the same at every step, so its error is summed over time
    // first (weighted by c[t] in trace mode, where P[t] = c[t]·x): one product instead of T.
    if (rec.isStatic) delta = sumOverTime(g, cfg, steps, rec, delta, rec.block.outShape, cfg.mode === 'trace');
    // Back through pooling and flatten to the weighted layer's output.
    for (let i = rec.post.length - 1; i >= 0; i--) {
      const p = rec.post[i];
      // Max-pooling indices are positions in the whole tensor, so with skipping they are taken anew
      // from the kept rows of the pooling input (a small forward cost) instead of the forward's.
      const indices = p.kind === 'maxpool' && kept && !rec.isStatic
        ? g.opN('MaxPool', [select(p.input, p.inShape)], 2, { kernel_shape: [p.size, p.size], strides: [p.size, p.size] }, `${name}_kept_pool`)[1]
        : p.indices;
      delta = postBackward(g, { ...p, indices }, delta, name);
    }
    const x = cfg.mode === 'trace' && !rec.isStatic ? select(rec.traces!, rec.inputShape) : rec.isStatic ? rec.input : select(rec.input, rec.inputShape);
    addWeightGrads(g, cfg, steps, rec, x, delta, grads);
    if (index > cfg.firstTrainable) {
      gradOut = inputGrad(g, cfg, rec, delta);
      if (rec.dropoutMask) gradOut = applyDropoutMask(g, gradOut, rec.dropoutMask, steps, shapeSize(rec.inputShape), `${name}_dx_dropped`);
      if (rec.block.pre.length) gradOut = g.op('Reshape', [gradOut, g.constInt64([-1, ...rec.block.inShape])], {}, `${name}_unflat`);
    }
  }
  return grads;
}

/**
 * BPTT through one layer's state, backwards in time, for the error `ext` on U[t] from outside:
 * gU[t] = ext[t] + β·m[t]·gU[t+1], gI[t] = gU[t] + α·gI[t+1], δz[t] = gI[t]; m[t] = 1 − s[t] for
 * reset to zero (V = U·(1 − s) with s constant), else 1.
 */
function reverseRecurrence(g: GraphBuilder, T: number, ext: string, rec: BlockRecord, alpha: number, beta: number, zeroReset: boolean): string {
  if (T === 1) return ext;
  const name = rec.block.neuron.name;
  const parts = g.opN('Split', [ext], T, { axis: 0 }, `${name}_ext_t`);
  const out = new Array<string>(T);
  let gU = '';
  let gI = '';
  for (let t = T - 1; t >= 0; t--) {
    if (!gU) {
      gU = parts[t];
      gI = gU;
    } else {
      let carried = gU;
      if (zeroReset) carried = g.op('Mul', [carried, g.op('Sub', [g.constFloat([1]), rec.spikeSteps![t]])]);
      gU = g.op('Add', [parts[t], g.op('Mul', [carried, g.constFloat([beta])])], {}, `${name}_gU`);
      gI = g.op('Add', [gU, g.op('Mul', [gI, g.constFloat([alpha])])], {}, `${name}_gI`);
    }
    out[t] = gI;
  }
  return g.op('Concat', out, { axis: 0 }, `${name}_dz`);
}

function postBackward(g: GraphBuilder, p: BlockRecord['post'][number], delta: string, hint: string): string {
  switch (p.kind) {
    case 'flatten':
      return g.op('Reshape', [delta, g.constInt64([-1, ...p.inShape])], {}, `${hint}_unflat`);
    case 'maxpool':
    {
      // The unpooled shape: δ's batch and channel dims with the pre-pool height and width.
      const lead = g.op('Slice', [g.op('Shape', [delta]), g.constInt64([0]), g.constInt64([2])]);
      const shape = g.op('Concat', [lead, g.constInt64(p.inShape.slice(1))], { axis: 0 });
      return g.op('MaxUnpool', [delta, p.indices!, shape], { kernel_shape: [p.size, p.size], strides: [p.size, p.size] }, `${hint}_unpool`);
    }
    case 'avgpool': {
      // Each input cell of a window receives δ/k²: a grouped transposed convolution with a constant kernel.
      const [c, h, w] = p.inShape;
      const k = p.size;
      const kernel = g.constFloat(new Float32Array(c * k * k).fill(1 / (k * k)), [c, 1, k, k]);
      return g.op('ConvTranspose', [delta, kernel], {
        group: c, kernel_shape: [k, k], strides: [k, k], output_padding: [h % k, w % k],
      }, `${hint}_unavg`);
    }
  }
}

/** δz summed over time (`[T·B, …]` → `[B, …]`), weighted by c[t] in trace mode. */
function sumOverTime(g: GraphBuilder, cfg: BackwardConfig, steps: number, rec: BlockRecord, delta: string, shape: number[], weighted: boolean): string {
  const rows = g.op('Reshape', [delta, g.constInt64([steps, -1])]);
  const summed = weighted
    ? g.op('MatMul', [g.op('Unsqueeze', [cfg.traceWeights!(rec.block.neuron.name), g.constInt64([0])]), rows])
    : g.op('ReduceSum', [rows, g.constInt64([0])], { keepdims: 0 });
  return g.op('Reshape', [summed, g.constInt64([-1, ...shape])], {}, 'dz_sum');
}

/** dW and db of a block from δz (summed over time for a static block) and the input x it pairs with (s_in, P, or x). */
function addWeightGrads(g: GraphBuilder, cfg: BackwardConfig, steps: number, rec: BlockRecord, x: string, delta: string, grads: Map<string, string>): void {
  const w = rec.block.weighted;
  const weightGrad = w.layer.kind === 'dense'
    ? g.op('Gemm', [delta, x], { transA: 1 }, `${w.name}_dW`)
    : convWeightGrad(g, x, delta, rec);
  grads.set(`${w.name}.weight`, weightGrad);
  if (w.layer.bias !== false) {
    // ∂U[t]/∂b is 1 (instant, bptt) or c[t] (trace).
    const db = cfg.mode === 'trace' && !rec.isStatic ? sumOverTime(g, cfg, steps, rec, delta, w.outShape, true) : delta;
    const axes = w.layer.kind === 'dense' ? [0] : [0, 2, 3];
    grads.set(`${w.name}.bias`, g.op('ReduceSum', [db, g.constInt64(axes)], { keepdims: 0 }, `${w.name}_db`));
  }
}

/**
 * dW[o,i,p,q] = Σ_n,h,w δ[n,o,h,w]·x[n,i,h·s+p−pad,w·s+q−pad]: a convolution of the input (batch and
 * channel axes swapped) with δ as the kernel, dilated by the stride.
 */
function convWeightGrad(g: GraphBuilder, x: string, delta: string, rec: BlockRecord): string {
  const layer = rec.block.weighted.layer as { kernel: number; stride?: number; padding?: number };
  const k = layer.kernel, s = layer.stride ?? 1, pad = layer.padding ?? 0;
  const [, h] = rec.inputShape;
  const [, ho] = rec.block.weighted.outShape;
  const xt = g.op('Transpose', [x], { perm: [1, 0, 2, 3] });
  const dt = g.op('Transpose', [delta], { perm: [1, 0, 2, 3] });
  let r = g.op('Conv', [xt, dt], { pads: [pad, pad, pad, pad], dilations: [s, s] });
  if (h + 2 * pad - (ho - 1) * s > k) {
    r = g.op('Slice', [r, g.constInt64([0, 0]), g.constInt64([k, k]), g.constInt64([2, 3])]);
  }
  return g.op('Transpose', [r], { perm: [1, 0, 2, 3] }, `${rec.block.weighted.name}_dW`);
}

/** dL/d(block input) = Wᵀ·δz at the same step. */
function inputGrad(g: GraphBuilder, cfg: BackwardConfig, rec: BlockRecord, delta: string): string {
  const w = rec.block.weighted;
  const weight = cfg.param(`${w.name}.weight`);
  if (w.layer.kind === 'dense') return g.op('MatMul', [delta, weight], {}, `${w.name}_dx`);
  const k = w.layer.kernel, s = w.layer.stride ?? 1, pad = w.layer.padding ?? 0;
  const [, h, wd] = rec.inputShape;
  const [, ho, wo] = w.outShape;
  return g.op('ConvTranspose', [delta, weight], {
    kernel_shape: [k, k], strides: [s, s], pads: [pad, pad, pad, pad],
    output_padding: [h - (s * (ho - 1) + k - 2 * pad), wd - (s * (wo - 1) + k - 2 * pad)],
  }, `${w.name}_dx`);
}
