/**
 * The autodiff oracle: gradients of the C-LIF network's loss computed by TensorFlow.js
 * (`tf.valueAndGrads` on the cpu backend), for tests to compare the hand-derived gradients of
 * the ONNX training graphs with. It reuses only the layer helpers of the tfjs reference
 * (runtimes/tfjs-reference.ts: W ⊛ x, pooling, layouts); the recurrence, the surrogate spike,
 * the detached paths of each gradient mode and the loss are written here from DESIGN §3–§4.
 *
 * Modes (L is the batch-mean loss, U_t the membrane before firing, z_t the synaptic input):
 * - `bptt`: the exact gradient through all steps, except that the spike in the reset term is
 *   detached (V = U − θ·stop(s), or U·(1 − stop(s))).
 * - `instant`: I[t−1], V[t−1] (so s[t−1]) are constants: U_t = stop(U_t) + (z_t − stop(z_t)),
 *   z_t computed from the (not stopped) input spikes of step t, so gradients reach lower layers
 *   only through the same step.
 * - `trace`: as `instant` for the error passed down, but the weight gradient is Σ_t δz_tᵀ·P_t
 *   with input traces Q_t = α·Q_{t−1} + s_in_t, P_t = β·P_{t−1} + Q_t, and the bias gradient
 *   Σ_t c_t·δz_t with q_t = α·q_{t−1} + 1, c_t = β·c_{t−1} + q_t (c_0 = q_0 = 1):
 *   U_t = stop(U_t) + (post(W ⊛ stop(P_t) + c_t·b) − stop(same)) + (post(stop(W) ⊛ s_in_t) − stop(same)).
 *   Pooling is inside post, so this form is the compiled one only when post is linear: networks
 *   with max pooling are refused (the compiled trace gradient routes through the forward's argmax,
 *   which the form above does not reproduce).
 *
 * Gradient registrations: tfjs-core's node bundle has none; the `@tensorflow/tfjs` union bundle
 * registers them all (it is installed with the optional `@tensorflow/tfjs-node`).
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import { loadTfjs } from '../../runtimes/tfjs-backend.ts';
import type { Tf } from '../../runtimes/tfjs-backend.ts';
import { blockInput, tfjsWeight } from '../../runtimes/tfjs-reference.ts';
import type { ModelInput } from '../../runtimes/runtime.ts';
import { clifParams } from '../../src/neuron/clif.ts';
import type { SurrogateKind } from '../../src/neuron/surrogate.ts';
import { checkParams, paramShapes } from '../../src/spec/params.ts';
import type { NetworkSpec } from '../../src/spec/types.ts';
import type { Block } from '../../src/spec/validate.ts';
import { shapeSize, validateSpec } from '../../src/spec/validate.ts';
import type { Tensor } from '../../src/util/tensor.ts';

/** Which gradient the oracle computes (see the file header). */
export type OracleMode = 'bptt' | 'instant' | 'trace';

/**
 * On the readout membrane U_t (a network ending in a readout):
 * `per-step`: L = (1/T) Σ_t (1/B) Σ_b CE(softmax(U_t[b]), y_b);
 * `mean`: L = (1/B) Σ_b CE(softmax((1/T) Σ_t U_t[b]), y_b).
 * On the spikes s_t of a spiking output layer, as snnTorch's `ce_rate_loss` and `ce_count_loss`:
 * `rate`: L = (1/T) Σ_t (1/B) Σ_b CE(softmax(s_t[b]), y_b);
 * `count`: L = (1/B) Σ_b CE(softmax(Σ_t s_t[b]), y_b).
 */
export type OracleLoss = 'per-step' | 'mean' | 'rate' | 'count';

/** What `oracleGradients` differentiates. */
export interface OracleRequest {
  spec: NetworkSpec;
  /** PyTorch layout, keyed `<layer>.weight` / `<layer>.bias`; gradients come back keyed alike. */
  params: Map<string, Tensor>;
  /** A batch in the layout of runtimes/runtime.ts (`direct` [B, …], `rate`/`events` [T, B, …]). */
  input: ModelInput;
  /** Class index per sample, B of them. */
  labels: ArrayLike<number>;
  mode: OracleMode;
  loss: OracleLoss;
  /** Backward shape of the spike, h(u) at u = U − theta (src/neuron/surrogate.ts formulas). */
  surrogate: SurrogateKind;
  /** Surrogate width w. */
  width: number;
}

/** The loss value and dL/dθ for every parameter, in PyTorch layout. */
export interface OracleResult {
  loss: number;
  grads: Map<string, Float32Array>;
}

let gradientsRegistered: Promise<void> | undefined;

function registerGradients(): Promise<void> {
  gradientsRegistered ??= import('@tensorflow/tfjs').then(
    () => undefined,
    (error: unknown) => {
      throw new Error(`oracleGradients: '@tensorflow/tfjs' (which registers tfjs's gradient functions) cannot be loaded: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  return gradientsRegistered;
}

/** h(u), the surrogate derivative of the spike at u = U − theta. */
function surrogateWindow(tf: Tf, kind: SurrogateKind, width: number, u: TfTensor): TfTensor {
  switch (kind) {
    case 'fast-sigmoid': return tf.div(1, tf.square(tf.add(1, tf.div(tf.abs(u), width))));
    case 'sigmoid': {
      const sig = tf.sigmoid(tf.div(u, width));
      return tf.div(tf.mul(sig, tf.sub(1, sig)), width);
    }
    case 'rectangular': return tf.div(tf.cast(tf.less(tf.abs(u), width / 2), 'float32'), width);
  }
}

/** Everything the per-step recurrence of one block needs, built once per call. */
interface Ops {
  tf: Tf;
  /** Identity forward, zero gradient. */
  stop: (x: TfTensor) => TfTensor;
  /** s = H(U − theta) forward, dL/dU = dL/ds · h(U − theta) backward. */
  spike: (membrane: TfTensor, theta: number) => TfTensor;
}

function makeOps(tf: Tf, kind: SurrogateKind, width: number): Ops {
  const stop: (x: TfTensor) => TfTensor = tf.customGrad((...args) => ({ value: tf.clone(args[0] as TfTensor), gradFunc: (dy) => tf.zerosLike(dy) }));
  const spikeFns = new Map<number, (u: TfTensor) => TfTensor>();
  const spike = (membrane: TfTensor, theta: number): TfTensor => {
    let fn = spikeFns.get(theta);
    if (!fn) {
      fn = tf.customGrad((...args) => {
        const [u, save] = args as [TfTensor, (tensors: TfTensor[]) => void];
        save([u]);
        return {
          value: tf.cast(tf.greater(u, theta), 'float32'),
          gradFunc: (dy, saved) => tf.mul(dy, surrogateWindow(tf, kind, width, tf.sub(saved[0], theta))),
        };
      });
      spikeFns.set(theta, fn);
    }
    return fn(membrane);
  };
  return { tf, stop, spike };
}

/** Input traces of one block: Q_t, P_t on the block input and the bias factors q_t, c_t. */
interface Traces { q: TfTensor; p: TfTensor; qBias: number; cBias: number }

function advanceTraces(tf: Tf, prev: Traces | undefined, input: TfTensor, alpha: number, beta: number): Traces {
  if (!prev) return { q: input, p: input, qBias: 1, cBias: 1 };
  const q = tf.add(tf.mul(prev.q, alpha), input);
  const p = tf.add(tf.mul(prev.p, beta), q);
  const qBias = Math.fround(Math.fround(alpha * prev.qBias) + 1);
  return { q, p, qBias, cBias: Math.fround(Math.fround(beta * prev.cBias) + qBias) };
}

/**
 * Runs one block over all steps in the given gradient mode. Returns the neuron output per step:
 * spikes (clif) or the membrane U_t (readout).
 */
function runBlock(ops: Ops, block: Block, mode: OracleMode, weightPt: TfTensor, bias: TfTensor | undefined, inputs: TfTensor[]): TfTensor[] {
  const { tf, stop } = ops;
  const p = clifParams(block.neuron.layer);
  const weight = tfjsWeight(tf, block, weightPt);
  const out: TfTensor[] = [];
  let current: TfTensor | undefined;
  let membrane: TfTensor | undefined;
  let traces: Traces | undefined;
  inputs.forEach((input) => {
    const z = blockInput(tf, block, { weight, bias }, input);
    let U: TfTensor;
    if (mode === 'bptt') {
      current = current ? tf.add(tf.mul(current, p.alpha), z) : z;
      U = membrane ? tf.add(tf.mul(membrane, p.beta), current) : current;
    } else {
      // The state is a constant: only this step's z carries a gradient.
      const zConst = stop(z);
      current = current ? tf.add(tf.mul(current, p.alpha), zConst) : zConst;
      const uConst = membrane ? tf.add(tf.mul(membrane, p.beta), current) : current;
      if (mode === 'instant') {
        U = tf.add(uConst, tf.sub(z, zConst));
      } else {
        traces = advanceTraces(tf, traces, stop(input), p.alpha, p.beta);
        const weightPath = blockInput(tf, block, { weight, bias: bias ? tf.mul(bias, traces.cBias) : undefined }, traces.p);
        const inputPath = blockInput(tf, block, { weight: stop(weight) }, input);
        U = tf.add(tf.add(uConst, tf.sub(weightPath, stop(weightPath))), tf.sub(inputPath, stop(inputPath)));
      }
    }
    if (p.theta === undefined) {
      membrane = mode === 'bptt' ? U : stop(U);
      out.push(U);
      return;
    }
    const s = ops.spike(U, p.theta);
    const sReset = stop(s);
    const V = p.reset === 'subtract' ? tf.sub(U, tf.mul(sReset, p.theta)) : tf.mul(U, tf.sub(1, sReset));
    membrane = mode === 'bptt' ? V : stop(V);
    out.push(s);
  });
  return out;
}

/** Batch-mean cross-entropy of softmax(logits) against one-hot labels. */
function crossEntropy(tf: Tf, logits: TfTensor, oneHot: TfTensor): TfTensor {
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)));
}

/**
 * The loss and its gradient w.r.t. every parameter, by TensorFlow.js autodiff on the cpu
 * backend in float32. Switches the global tfjs backend to 'cpu'. Throws a RangeError for a
 * `trace` request on a network with max pooling, or for an input that does not fit the spec.
 */
export async function oracleGradients(request: OracleRequest): Promise<OracleResult> {
  const { spec, params, input, labels, mode, loss, surrogate, width } = request;
  const resolved = validateSpec(spec);
  checkParams(resolved, params, 'oracleGradients');
  if (mode === 'trace' && resolved.layers.some((r) => r.layer.kind === 'maxpool')) {
    throw new RangeError('oracleGradients: the trace mode is defined here for networks without maxpool (its oracle form needs linear pooling)');
  }
  const T = spec.timeSteps;
  const B = input.batchSize;
  const perSample = shapeSize(spec.inputShape);
  const isStatic = spec.encoder.kind === 'direct';
  const expected = isStatic ? [B, ...spec.inputShape] : [T, B, ...spec.inputShape];
  if (input.shape.join(',') !== expected.join(',') || input.data.length !== shapeSize(expected)) {
    throw new RangeError(`oracleGradients: input shape [${input.shape}] (${input.data.length} values) does not match [${expected}]`);
  }
  if (labels.length !== B) throw new RangeError(`oracleGradients: ${labels.length} labels for a batch of ${B}`);

  await registerGradients();
  const { tf } = await loadTfjs('cpu');
  const ops = makeOps(tf, surrogate, width);
  const names = [...paramShapes(resolved).keys()];
  const variables = names.map((name) => {
    const t = params.get(name)!;
    return tf.tensor(t.data, t.shape);
  });
  const slot = new Map(names.map((name, i) => [name, i]));

  try {
    const { value, grads } = tf.tidy(() => {
      const oneHot = tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), resolved.classes), 'float32');
      const steps: TfTensor[] = [];
      for (let t = 0; t < T; t++) {
        steps.push(isStatic ? tf.tensor2d(input.data, [B, perSample]) : tf.tensor2d(input.data.subarray(t * B * perSample, (t + 1) * B * perSample), [B, perSample]));
      }
      const lossOf = (...vars: TfTensor[]): TfTensor => {
        let activity = steps;
        for (const block of resolved.blocks) {
          const w = vars[slot.get(`${block.weighted.name}.weight`)!];
          const biasSlot = slot.get(`${block.weighted.name}.bias`);
          activity = runBlock(ops, block, mode, w, biasSlot === undefined ? undefined : vars[biasSlot], activity);
        }
        // `activity` is the output layer's U_t (readout) or s_t (spiking output), per step.
        if ((loss === 'mean' || loss === 'per-step') !== (resolved.output === 'membrane')) throw new RangeError(`oracleGradients: loss '${loss}' does not apply to output '${resolved.output}'`);
        if (loss === 'mean') return crossEntropy(tf, tf.div(tf.addN(activity), T), oneHot);
        if (loss === 'count') return crossEntropy(tf, tf.addN(activity), oneHot);
        return tf.div(tf.addN(activity.map((o) => crossEntropy(tf, o, oneHot))), T);
      };
      return tf.valueAndGrads(lossOf)(variables);
    });
    const result: OracleResult = { loss: (value.dataSync() as Float32Array)[0], grads: new Map() };
    names.forEach((name, i) => result.grads.set(name, grads[i].dataSync() as Float32Array));
    value.dispose();
    for (const g of grads) g.dispose();
    return result;
  } finally {
    for (const v of variables) v.dispose();
  }
}
