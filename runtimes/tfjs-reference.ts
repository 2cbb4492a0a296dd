/**
 * An independent TensorFlow.js implementation of the C-LIF network, written from the spec
 * (docs/neuron.md, same op order as src/neuron/clif.ts), not from the ONNX lowering: the reference
 * runtime of the parity report. The weighted layers run on all time steps at once (one matrix
 * product or convolution on [T·B, …]); only the element-wise recurrence runs step by step.
 *
 * Internal layout: dense activations are [N, features] in PyTorch's C·H·W order, convolutional
 * ones [N, H, W, C] (the only layout the tfjs cpu and wasm kernels accept). `N` is T·B for
 * time-batched tensors (step-major: rows t·B … t·B+B−1 are step t) or B for a static input.
 */
import type { Tensor as TfTensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { clifParams } from '../src/neuron/clif.ts';
import { checkParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import type { Block, ResolvedSpec } from '../src/spec/validate.ts';
import { shapeSize, validateSpec } from '../src/spec/validate.ts';
import type { Tensor } from '../src/util/tensor.ts';
import type { Tf } from './tfjs-backend.ts';
import { loadTfjs } from './tfjs-backend.ts';
import type { ModelInput, PreparedRuntime, Runtime, RuntimeOutput } from './runtime.ts';

/** A block's parameters as tfjs tensors in tfjs layout: dense `[in, units]`, conv `[k, k, in, out]`. */
export interface TfjsBlockParams {
  weight: TfTensor;
  bias?: TfTensor;
}

/** [N, C·H·W] in C·H·W order → [N, H, W, C]; a tensor already of rank 4 is returned as is. */
export function channelsLast(tf: Tf, x: TfTensor, chw: number[]): Tensor4D {
  if (x.rank === 4) return x as Tensor4D;
  const [c, h, w] = chw;
  return tf.transpose(tf.reshape(x, [x.shape[0], c, h, w]), [0, 2, 3, 1]);
}

/** [N, H, W, C] → [N, C·H·W] in PyTorch's C·H·W order; a tensor already of rank 2 is returned as is. */
export function flattenChw(tf: Tf, x: TfTensor): Tensor2D {
  if (x.rank === 2) return x as Tensor2D;
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, c * h * w]);
}

/**
 * A PyTorch-layout weight (`[out, in]` or `[out, in, k, k]`) in the layout `blockSynapses`
 * takes. Differentiable, so that gradients come back in PyTorch layout.
 */
export function tfjsWeight(tf: Tf, block: Block, weight: TfTensor): TfTensor {
  // Transposed once here: the wasm backend's matMul with transposeB is about 10× slower.
  return tf.transpose(weight, block.weighted.layer.kind === 'conv2d' ? [2, 3, 1, 0] : [1, 0]);
}

/** The block's pre layers and `W ⊛ x` without the bias: [N, units] or [N, H, W, channels]. */
export function blockSynapses(tf: Tf, block: Block, weight: TfTensor, x: TfTensor): TfTensor {
  const { layer } = block.weighted;
  if (layer.kind === 'dense') return tf.matMul(flattenChw(tf, x), weight);
  const input = channelsLast(tf, x, block.weighted.inShape);
  return tf.conv2d(input, weight as Tensor4D, layer.stride ?? 1, layer.padding ?? 0);
}

/** The block's pooling and flatten layers on the synaptic input, in spec order. */
export function blockPost(tf: Tf, block: Block, z: TfTensor): TfTensor {
  let out = z;
  for (const r of block.post) {
    const { layer } = r;
    if (layer.kind === 'flatten') out = flattenChw(tf, out);
    else if (layer.kind === 'avgpool') out = tf.avgPool(out as Tensor4D, layer.size, layer.size, 'valid');
    else if (layer.kind === 'maxpool') out = tf.maxPool(out as Tensor4D, layer.size, layer.size, 'valid');
    else throw new TypeError(`tfjs reference: layer '${r.name}' (${layer.kind}) cannot follow a weighted layer`);
  }
  return out;
}

/** The synaptic input z = post(W ⊛ x + b) of a block (bias added before pooling, as clif.ts states z). */
export function blockInput(tf: Tf, block: Block, p: TfjsBlockParams, x: TfTensor): TfTensor {
  const wx = blockSynapses(tf, block, p.weight, x);
  return blockPost(tf, block, p.bias ? tf.add(wx, p.bias) : wx);
}

/** One element-wise C-LIF step, in the op order of `clifStep`; the caller disposes. */
interface StepResult { current: TfTensor; membrane: TfTensor; u: TfTensor; spikes?: TfTensor }

function neuronStep(tf: Tf, block: Block, z: TfTensor, current: TfTensor | undefined, membrane: TfTensor | undefined): StepResult {
  const p = clifParams(block.neuron.layer);
  // With zero state the decayed terms are exactly 0, and 0 + z = z in float32: skip them.
  const I = current ? tf.add(tf.mul(current, p.alpha), z) : tf.clone(z);
  const U = membrane ? tf.add(tf.mul(membrane, p.beta), I) : tf.clone(I);
  if (p.theta === undefined) return { current: I, membrane: U, u: U };
  // step(U − θ) is exactly [U > θ] in IEEE float32 (with subnormals a difference of two floats is
  // 0 only if they are equal, and keeps the sign), and about twice as fast as greater + cast in wasm.
  const s = tf.step(tf.sub(U, p.theta));
  const V = p.reset === 'subtract' ? tf.sub(U, tf.mul(s, p.theta)) : tf.mul(U, tf.sub(1, s));
  return { current: I, membrane: V, u: U, spikes: s };
}

interface LayerRun {
  /** Spikes of all steps [T·B, …] (clif) or undefined (readout). */
  spikes?: TfTensor;
  /** Spike counts [B, N] in C·H·W order (clif), or the mean readout membrane [B, classes]. */
  summary: TfTensor;
}

/**
 * The T steps of a time-batched [T·B, …] tensor, each [B, …]. Not tf.slice/tf.split: the wasm
 * backend's Slice kernel copies its whole input to JavaScript for every slice (T² work, ≈30 % of a
 * csnn batch when measured); one read and T uploads copies each value twice.
 */
function splitSteps(tf: Tf, z: TfTensor, steps: number): TfTensor[] {
  const values = z.dataSync() as Float32Array;
  const [rows, ...rest] = z.shape;
  const per = values.length / steps;
  return Array.from({ length: steps }, (_, t) => tf.tensor(values.subarray(t * per, (t + 1) * per), [rows / steps, ...rest]));
}

/**
 * Runs a neuron layer over T steps. `z` is time-batched [T·B, …], or [B, …] when `isStatic`
 * (the direct-encoded first layer, whose input is the same at every step).
 */
function runNeuronLayer(tf: Tf, block: Block, z: TfTensor, isStatic: boolean, steps: number): LayerRun {
  const readout = block.neuron.layer.kind === 'readout';
  let current: TfTensor | undefined;
  let membrane: TfTensor | undefined;
  let summary: TfTensor | undefined;
  const spikes: TfTensor[] = [];
  const perStep = isStatic ? undefined : splitSteps(tf, z, steps);
  for (let t = 0; t < steps; t++) {
    const next = tf.tidy(() => {
      const zt = perStep ? perStep[t] : z;
      const r = neuronStep(tf, block, zt, current, membrane);
      const add = readout ? r.u : r.spikes!;
      const sum = summary ? tf.add(summary, add) : tf.clone(add);
      return { current: r.current, membrane: r.membrane, sum, spikes: r.spikes };
    });
    current?.dispose(); membrane?.dispose(); summary?.dispose();
    ({ current, membrane, sum: summary } = next);
    if (next.spikes) spikes.push(next.spikes);
    perStep?.[t].dispose();
  }
  current?.dispose(); membrane?.dispose();
  if (readout) {
    const mean = tf.div(summary!, steps);
    summary!.dispose();
    return { summary: mean };
  }
  const counts = flattenChw(tf, summary!);
  const all = tf.concat(spikes, 0);
  for (const s of spikes) s.dispose();
  if (counts !== summary) summary!.dispose();
  return { spikes: all, summary: counts };
}

/** A network ready to run on the active tfjs backend; its weights live in that backend. */
export interface TfjsReference {
  /** Runs one batch (layout of `ModelInput`) and reads back only logits and spike counts. */
  run(input: ModelInput): Promise<RuntimeOutput>;
  /** Frees the weight tensors. */
  dispose(): void;
}

function checkInput(resolved: ResolvedSpec, input: ModelInput): void {
  const { spec } = resolved;
  const expected = spec.encoder.kind === 'direct'
    ? [input.batchSize, ...spec.inputShape]
    : [spec.timeSteps, input.batchSize, ...spec.inputShape];
  if (input.shape.join(',') !== expected.join(',')) {
    throw new RangeError(`tfjs reference: input shape [${input.shape}] does not match [${expected}] (${spec.encoder.kind} encoding, T=${spec.timeSteps})`);
  }
  if (input.data.length !== shapeSize(expected)) throw new RangeError(`tfjs reference: input holds ${input.data.length} values, shape [${expected}] needs ${shapeSize(expected)}`);
}

/**
 * Uploads a network's parameters (PyTorch layout, keyed `<layer>.weight` / `<layer>.bias`) to the
 * active backend of `tf`. Throws if they do not match the spec.
 */
export function createTfjsReference(tf: Tf, spec: NetworkSpec, params: Map<string, Tensor>): TfjsReference {
  const resolved = validateSpec(spec);
  checkParams(resolved, params, 'tfjs reference');
  const blockParams: TfjsBlockParams[] = resolved.blocks.map((block) => {
    const w = params.get(`${block.weighted.name}.weight`)!;
    const b = params.get(`${block.weighted.name}.bias`);
    return tf.tidy(() => ({
      weight: tfjsWeight(tf, block, tf.tensor(w.data, w.shape)),
      bias: b ? tf.tensor(b.data, b.shape) : undefined,
    }));
  });
  const steps = spec.timeSteps;

  async function run(input: ModelInput): Promise<RuntimeOutput> {
    checkInput(resolved, input);
    const batch = input.batchSize;
    const outputs = tf.tidy(() => {
      const perSample = shapeSize(spec.inputShape);
      const isStatic = spec.encoder.kind === 'direct';
      let x: TfTensor = tf.tensor2d(input.data, [isStatic ? batch : steps * batch, perSample]);
      const summaries: TfTensor[] = [];
      resolved.blocks.forEach((block, i) => {
        const z = blockInput(tf, block, blockParams[i], x);
        const layerRun = runNeuronLayer(tf, block, z, isStatic && i === 0, steps);
        summaries.push(layerRun.summary);
        if (layerRun.spikes) x = layerRun.spikes;
      });
      return summaries;
    });
    try {
      const data = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
      const spikeCounts = new Map<string, Float32Array>();
      resolved.blocks.forEach((block, i) => {
        if (block.neuron.layer.kind === 'clif') spikeCounts.set(block.neuron.name, data[i]);
      });
      return { logits: data[data.length - 1], spikeCounts };
    } finally {
      for (const t of outputs) t.dispose();
    }
  }

  return {
    run,
    dispose() {
      for (const p of blockParams) { p.weight.dispose(); p.bias?.dispose(); }
    },
  };
}

/** The parity-report runtime: tfjs-node if installed, else wasm, else cpu (runtimes/tfjs-backend.ts). */
export const tfjsReferenceRuntime: Runtime = {
  name: 'tfjs',
  description: 'independent TensorFlow.js implementation of the spec (tfjs-node, wasm or cpu backend)',
  async prepare(context): Promise<PreparedRuntime> {
    const { tf, backend } = await loadTfjs();
    const network = createTfjsReference(tf, context.checkpoint.spec, context.checkpoint.params);
    return {
      async run(input) {
        // tfjs has one global engine: another user may have switched it since prepare().
        if (tf.getBackend() !== backend) await tf.setBackend(backend);
        return network.run(input);
      },
      async dispose() { network.dispose(); },
    };
  },
};
