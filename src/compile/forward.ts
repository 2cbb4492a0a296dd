/**
 * Lowers a network spec to the ONNX nodes of its forward pass, following src/neuron/clif.ts
 * operation by operation. Synaptic products are batched over all steps of a layer
 * (`[T·B, …]`, one Gemm/Conv); the C-LIF recurrence is unrolled as element-wise steps. With a
 * `direct` encoder the first layer's product is computed once, not once per step.
 *
 * Used for the training graphs (with `record`, keeping what the backward pass needs) and for the
 * exported inference model, so the exported model is the trained one by construction.
 */
import type { Block, ResolvedSpec } from '../spec/validate.ts';
import { shapeSize } from '../spec/validate.ts';
import { clifParams } from '../neuron/clif.ts';
import type { GraphBuilder } from './graph-builder.ts';
import { TensorDataType } from './onnx-proto.ts';
import { applyDropoutMask } from './dropout.ts';

export interface ForwardConfig {
  resolved: ResolvedSpec;
  /** Steps simulated by this graph (T, or a chunk of T). */
  steps: number;
  /** 'zero': state starts at zero (a whole run). 'io': state comes in as inputs and leaves as outputs (a chunk). */
  state: 'zero' | 'io';
  /** Keep the tensors the backward pass needs. */
  record: boolean;
  /** With `record`, the first block that records; frozen blocks below it run forward only. */
  recordFrom?: number;
  /** With `record`, keep max-pooling indices (not needed when the backward pass takes them anew). */
  poolIndices?: boolean;
  /** Compute the input traces Q, P of the trace gradient (docs/training.md). */
  trace: boolean;
  /** Value name of parameter `<layer>.weight|bias` (a graph input or an initializer). */
  param(name: string): string;
  /** The first block's synaptic input computed outside (a static input inside an ONNX Loop body). */
  staticSynapticInput?: string;
  /** Dropout mask value (`[B, inputs]`, src/compile/dropout.ts) of each block that takes one, by block index (training graphs). */
  dropoutMasks?: Map<number, string>;
}

/** Post-synaptic layers (pooling, flatten) as recorded for the backward pass. */
export interface PostRecord { kind: 'maxpool' | 'avgpool' | 'flatten'; size: number; input: string; inShape: number[]; indices?: string }

/** What the forward pass of one block produced. */
export interface BlockRecord {
  block: Block;
  /** True if the block input is the same at every step (`[B, …]`, direct encoding). */
  isStatic: boolean;
  /** The block input after its pre-flatten: `[B, …]` if static, else `[T·B, …]`. */
  input: string;
  /** Shape of `input` per sample. */
  inputShape: number[];
  /** Output of the weighted layer before the post layers. */
  weightedOut: string;
  post: PostRecord[];
  /** Membrane before firing U[t] of all steps, `[T·B, N…]`. */
  membrane: string;
  /** Spikes of all steps `[T·B, N…]` (spiking layers). */
  spikes?: string;
  spikeSteps?: string[];
  /** Input traces P[t] of all steps `[T·B, in…]` (trace mode, temporal input). */
  traces?: string;
  /** The dropout mask applied to `input`, `[B, inputs]`; the backward pass masks the input error with it. */
  dropoutMask?: string;
  /** Final state values, named for the chunk outputs. */
  finalState: Record<string, string>;
}

export interface ForwardResult {
  blocks: BlockRecord[];
  /**
   * The class scores summed over this graph's steps, `[B, classes]`: Σ_t of the readout membrane
   * (output 'membrane'), or the output layer's spike count (output 'spikes', exact integers).
   */
  readoutSum: string;
  /** Σ_t of spikes per spiking layer, flattened to `[B, N]`, keyed by layer name. */
  spikeCounts: Map<string, string>;
}

/** The state tensors of a block, as `[suffix, shape per sample]`: current and membrane, plus traces. */
export function stateShapes(block: Block, trace: boolean, isStatic: boolean): [string, number[]][] {
  const shapes: [string, number[]][] = [['current', block.outShape], ['membrane', block.outShape]];
  if (trace && !isStatic) shapes.push(['q', blockInputShape(block)], ['p', blockInputShape(block)]);
  return shapes;
}

export const stateName = (block: Block, suffix: string): string => `state_${block.neuron.name}_${suffix}`;

/** Per-sample shape of the block input after its pre-flatten layers. */
export function blockInputShape(block: Block): number[] {
  return block.pre.length ? block.pre[block.pre.length - 1].outShape : block.inShape;
}

/** True when block `index` sees the same input at every step (the first block of a `direct` network). */
export const isStaticBlock = (resolved: ResolvedSpec, index: number): boolean => index === 0 && resolved.spec.encoder.kind === 'direct';

/**
 * Emits the forward pass. `input` is the graph's input value: `[B, C, H, W]` for direct encoding,
 * `[T, B, …]` otherwise.
 */
export function lowerForward(g: GraphBuilder, cfg: ForwardConfig, input: string): ForwardResult {
  const { resolved, steps: T } = cfg;
  const records: BlockRecord[] = [];
  const spikeCounts = new Map<string, string>();
  let readoutSum = '';
  // Temporal inputs arrive [T, B, …] and are processed as [T·B, …] (time-major rows).
  let current = resolved.spec.encoder.kind === 'direct' ? input : g.op('Reshape', [input, g.constInt64([-1, ...resolved.spec.inputShape])], {}, 'input_tb');
  let currentSteps: string[] | undefined;
  /** The previous layer's spikes of all steps as one `[T·B, …]` tensor (joined on first use). */
  const materialize = (): string => {
    if (!current) current = currentSteps!.length === 1 ? currentSteps![0] : g.op('Concat', currentSteps!, { axis: 0 }, 'spikes_all');
    return current;
  };

  resolved.blocks.forEach((block, index) => {
    const isStatic = isStaticBlock(resolved, index);
    const record = cfg.record && index >= (cfg.recordFrom ?? 0);
    const blockCfg = { ...cfg, record, poolIndices: cfg.poolIndices !== false || isStatic };
    const name = block.neuron.name;
    const inputShape = blockInputShape(block);
    // In inference, a dense layer fed by the previous layer's spikes takes them step by step: a small
    // product per step costs less than joining all steps into one tensor and splitting the result.
    const dropoutMask = cfg.dropoutMasks?.get(index);
    const perStep = !record && !isStatic && !dropoutMask && currentSteps !== undefined && block.weighted.layer.kind === 'dense';
    let zSteps: string[];
    let weightedOut: string, post: PostRecord[], z: string;
    if (perStep) {
      zSteps = currentSteps!.map((s) => {
        let x = s;
        for (const _ of block.pre) x = g.op('Flatten', [x], { axis: 1 }, `${name}_flat`);
        return lowerSynapticInput(g, block, x, blockCfg).z;
      });
      weightedOut = z = zSteps[0];
      post = [];
    } else {
      current = materialize();
      for (const _ of block.pre) {
        current = g.op('Flatten', [current], { axis: 1 }, `${name}_flat`);
        currentSteps = undefined;
      }
      if (dropoutMask) {
        current = applyDropoutMask(g, current, dropoutMask, T, shapeSize(inputShape), `${name}_dropped`);
        currentSteps = undefined;
      }
      // Synaptic input z for all steps at once.
      ({ weightedOut, post, z } = isStatic && cfg.staticSynapticInput
        ? { weightedOut: cfg.staticSynapticInput, post: [] as PostRecord[], z: cfg.staticSynapticInput }
        : lowerSynapticInput(g, block, current, blockCfg));
      zSteps = isStatic ? new Array<string>(T).fill(z) : T === 1 ? [z] : g.opN('Split', [z], T, { axis: 0 }, `${name}_zt`);
    }

    // Input traces Q[t] = alpha·Q[t−1] + s_in[t], P[t] = beta·P[t−1] + Q[t] (trace gradient only).
    const neuron = clifParams(block.neuron.layer);
    const finalState: Record<string, string> = {};
    let traces: string | undefined;
    if (record && cfg.trace && !isStatic) {
      const inSteps = currentSteps ?? (T === 1 ? [current] : g.opN('Split', [current], T, { axis: 0 }, `${name}_in_t`));
      let q = cfg.state === 'io' ? stateName(block, 'q') : '';
      let p = cfg.state === 'io' ? stateName(block, 'p') : '';
      const ps: string[] = [];
      inSteps.forEach((s) => {
        q = q ? g.op('Add', [decay(g, q, neuron.alpha), s], {}, `${name}_q`) : s;
        p = p ? g.op('Add', [decay(g, p, neuron.beta), q], {}, `${name}_p`) : q;
        ps.push(p);
      });
      traces = ps.length === 1 ? ps[0] : g.op('Concat', ps, { axis: 0 }, `${name}_traces`);
      finalState.q = q;
      finalState.p = p;
    } else if (cfg.trace && cfg.state === 'io' && !isStatic) {
      // A frozen block (FreezeOut) needs no traces: a chunk passes its trace state on unchanged.
      finalState.q = stateName(block, 'q');
      finalState.p = stateName(block, 'p');
    }

    // The C-LIF recurrence, step by step (src/neuron/clif.ts).
    const I0 = cfg.state === 'io' ? stateName(block, 'current') : '';
    const V0 = cfg.state === 'io' ? stateName(block, 'membrane') : '';
    const run = lowerRecurrence(g, name, neuron, zSteps, I0, V0);
    const spiking = neuron.theta !== undefined;
    const { membranes, spikes } = run;
    finalState.current = run.current;
    finalState.membrane = run.membrane;

    const membrane = record ? (T === 1 ? membranes[0] : g.op('Concat', membranes, { axis: 0 }, `${name}_U_all`)) : '';
    const blockRecord: BlockRecord = { block, isStatic, input: current, inputShape, weightedOut, post, membrane, traces, finalState, dropoutMask };
    if (spiking) {
      blockRecord.spikeSteps = spikes;
      spikeCounts.set(name, record || T === 1 ? sumSpikes(g, name, spikes, block.outShape.length > 1) : countSpikes(g, name, run.fires, shapeSize(block.outShape)));
      currentSteps = spikes;
      current = '';
      if (record) blockRecord.spikes = current = materialize();
      // A spiking output layer (the last block): its spike counts are the class scores.
      if (index === resolved.blocks.length - 1) readoutSum = spikeCounts.get(name)!;
    } else {
      readoutSum = T === 1 ? membranes[0] : g.op('Sum', membranes, {}, `${name}_sum`);
    }
    records.push(blockRecord);
  });
  return { blocks: records, readoutSum, spikeCounts };
}

interface RecurrenceResult { membranes: string[]; spikes: string[]; fires: string[]; current: string; membrane: string }

/** The C-LIF equations of src/neuron/clif.ts for steps with synaptic inputs `zSteps`, from state (I0, V0) or zero (''). */
function lowerRecurrence(g: GraphBuilder, name: string, neuron: ReturnType<typeof clifParams>, zSteps: string[], I0: string, V0: string): RecurrenceResult {
  let I = I0, V = V0;
  const membranes: string[] = [];
  const spikes: string[] = [];
  const fires: string[] = [];
  const spiking = neuron.theta !== undefined;
  const theta = spiking ? g.constFloat([neuron.theta!]) : '';
  for (const z of zSteps) {
    // With zero state, alpha·0 + z = z and beta·0 + I = I exactly, so the first step skips them.
    I = I ? g.op('Add', [decay(g, I, neuron.alpha), z], {}, `${name}_I`) : z;
    const U = V ? g.op('Add', [decay(g, V, neuron.beta), I], {}, `${name}_U`) : I;
    membranes.push(U);
    if (!spiking) { V = U; continue; }
    const fire = g.op('Greater', [U, theta], {}, `${name}_fire`);
    const s = g.op('Cast', [fire], { to: 1 }, `${name}_s`);
    fires.push(fire);
    spikes.push(s);
    V = neuron.reset === 'subtract'
      ? g.op('Sub', [U, neuron.theta === 1 ? s : g.op('Mul', [s, theta])], {}, `${name}_V`)
      : g.op('Mul', [U, g.op('Sub', [g.constFloat([1]), s])], {}, `${name}_V`);
  }
  return { membranes, spikes, fires, current: I, membrane: V };
}

/** Spike count `[B, N]` as the float sum of the spike tensors (the training graphs keep them anyway). */
function sumSpikes(g: GraphBuilder, name: string, spikes: string[], flatten: boolean): string {
  const count = spikes.length === 1 ? spikes[0] : g.op('Sum', spikes, {}, `${name}_count`);
  return flatten ? g.op('Flatten', [count], { axis: 1 }, `${name}_count_flat`) : count;
}

/**
 * Spike count `[B, N]` from the steps' firing masks: one integer product of a row of ones with the
 * masks as bytes `[T, B·N]`. Exact like the float sum, and in onnxruntime's profile about half its cost, since
 * the masks are a quarter of the spikes' size and no float spike tensor has to stay alive to the end.
 */
function countSpikes(g: GraphBuilder, name: string, fires: string[], neurons: number): string {
  const T = fires.length;
  const masks = g.op('Cast', [g.op('Reshape', [g.op('Concat', fires, { axis: 0 }, `${name}_fires`), g.constInt64([T, -1])])], { to: TensorDataType.UINT8 }, `${name}_fires_u8`);
  const total = g.op('MatMulInteger', [g.constUint8(new Array<number>(T).fill(1), [1, T]), masks], {}, `${name}_count_i32`);
  return g.op('Cast', [g.op('Reshape', [total, g.constInt64([-1, neurons])], {}, `${name}_count_bn`)], { to: TensorDataType.FLOAT }, `${name}_count`);
}

/** The weighted layer and its post layers (pooling, flatten) on a block input: the synaptic input z. */
export function lowerSynapticInput(g: GraphBuilder, block: Block, current: string, cfg: Pick<ForwardConfig, 'record' | 'param' | 'poolIndices'>): { weightedOut: string; post: PostRecord[]; z: string } {
  const w = block.weighted;
  const bias = w.layer.bias !== false ? [cfg.param(`${w.name}.bias`)] : [];
  const weightedOut = w.layer.kind === 'dense'
    ? g.op('Gemm', [current, cfg.param(`${w.name}.weight`), ...bias], { transB: 1 }, `${w.name}_z`)
    : g.op('Conv', [current, cfg.param(`${w.name}.weight`), ...bias], {
        kernel_shape: [w.layer.kernel, w.layer.kernel], strides: [w.layer.stride ?? 1, w.layer.stride ?? 1],
        pads: Array(4).fill(w.layer.padding ?? 0),
      }, `${w.name}_z`);
  let z = weightedOut;
  const post: PostRecord[] = [];
  for (const p of block.post) {
    if (p.layer.kind === 'flatten') {
      post.push({ kind: 'flatten', size: 0, input: z, inShape: p.inShape });
      z = g.op('Flatten', [z], { axis: 1 }, `${p.name}`);
    } else if (p.layer.kind === 'maxpool' || p.layer.kind === 'avgpool') {
      const k = p.layer.size;
      const attrs = { kernel_shape: [k, k], strides: [k, k] };
      if (p.layer.kind === 'maxpool' && cfg.record && cfg.poolIndices !== false) {
        const [out, indices] = g.opN('MaxPool', [z], 2, attrs, p.name);
        post.push({ kind: 'maxpool', size: k, input: z, inShape: p.inShape, indices });
        z = out;
      } else {
        post.push({ kind: p.layer.kind, size: k, input: z, inShape: p.inShape });
        z = g.op(p.layer.kind === 'maxpool' ? 'MaxPool' : 'AveragePool', [z], attrs, p.name);
      }
    }
  }
  return { weightedOut, post, z };
}

/** decay·x, skipping the product when decay is 1 (and returning a zero when it is 0 is left to Mul). */
function decay(g: GraphBuilder, x: string, factor: number): string {
  return factor === 1 ? x : g.op('Mul', [x, g.constFloat([factor])]);
}

export { shapeSize };
