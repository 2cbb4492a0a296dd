/**
 * Runs the compiled training and inference graphs in onnxruntime-node, holding the parameters
 * and Adam's moments between steps. Graph variants are built on first use and cached.
 */
import type { ResolvedSpec } from '../spec/validate.ts';
import { paramShapes } from '../spec/params.ts';
import type { Surrogate } from '../neuron/surrogate.ts';
import { clifParams } from '../neuron/clif.ts';
import type { Tensor } from '../util/tensor.ts';
import { numel } from '../util/tensor.ts';
import type { OptimizerState } from '../checkpoint/checkpoint.ts';
import type { EncodedBatch } from '../data/encode.ts';
import { checkLabelSmoothing, oneHot } from '../data/encode.ts';
import { buildTrainGraph } from '../compile/train-graph.ts';
import { buildInferenceGraph } from '../compile/inference-graph.ts';
import { isStaticBlock, stateName, stateShapes } from '../compile/forward.ts';
import type { GradientMode } from '../compile/backward.ts';
import type { LossKind } from '../compile/loss.ts';
import { checkLossFits, isWholeRunLoss, lossGradScale, meanLoss } from '../compile/loss.ts';
import { predictedClass } from '../spec/prediction.ts';
import { DEFAULT_ADAM, adamStepSize, buildAdamGraph } from '../compile/adam.ts';
import type { AdamConfig } from '../compile/adam.ts';
import { OrtGraph, feed } from '../engine/ort-session.ts';
import { OrtWorkerPool } from '../engine/ort-worker-pool.ts';
import type { WorkerTensor } from '../engine/ort-worker-pool.ts';
import type * as ort from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import { checkDropout, dropoutMasks } from './dropout.ts';
import { averagingDecay, checkAveraging, copyParams, updateAverage } from './averaging.ts';

export interface EngineConfig {
  mode: GradientMode;
  loss: LossKind;
  surrogate: Surrogate;
  /** Longest run of steps in one graph; longer runs are split into chunks (not for BPTT). */
  maxChunk: number;
  /**
   * Worker threads for data-parallel training steps (each runs the step's graph on its share of
   * the batch; the gradients are summed in a fixed order). 1: everything on the calling thread;
   * 0: automatic (`autoWorkers`).
   */
  workers?: number;
  adam?: AdamConfig;
  /**
   * Dropout rate on the spikes entering the dense layers (src/compile/dropout.ts); 0 or absent:
   * none. Needs the whole run in one graph (T ≤ maxChunk), whose forward pass the masks enter.
   */
  dropout?: number;
  /** Label smoothing ε of the training targets (src/data/encode.ts `oneHot`); 0 or absent: none. */
  labelSmoothing?: number;
  /**
   * Decay of the moving average of the parameters (src/train/averaging.ts); 0 or absent: none.
   * With it, `model` (what is evaluated and saved) is the average, not the weights Adam moves.
   */
  averaging?: number;
}

/** The outcome of one training batch. */
export interface BatchResult {
  /** Mean loss over the batch. */
  loss: number;
  /** Samples whose class scores (mean readout membrane or output spike counts) picked the right class. */
  correct: number;
  /** Mean cross-entropy of each step's output (readout membrane or output spikes), `[T]`. */
  stepLoss: Float32Array;
}

/** What to train on a batch beyond the data: per-layer learning rates, frozen layers, skipped steps. */
export interface StepPlan {
  /** Learning rate of each weighted layer (FreezeOut anneals them per layer). */
  lr: (layer: string) => number;
  /** Index of the lowest block that trains; blocks below are frozen (forward only). */
  firstTrainable?: number;
  /** Steps (of 0 … T−1) whose backward pass runs; all when undefined. */
  kept?: number[];
  /** Seed of this step's dropout masks (with `EngineConfig.dropout`). */
  dropoutSeed?: number;
}

/**
 * Worker threads when none are asked for: two on a machine with two or more cores for networks
 * with convolutions, whose steps are compute-bound (csnn 250 → 347 samples/s measured on 2
 * cores); one for dense networks, whose steps are memory-bound and lose more to moving
 * parameters between threads than they gain (fc 4 858 → 3 878 samples/s).
 */
export function autoWorkers(resolved: ResolvedSpec): number {
  const hasConv = resolved.blocks.some((b) => b.weighted.layer.kind === 'conv2d');
  return hasConv && availableParallelism() >= 2 ? 2 : 1;
}

/** Chunk length: the largest divisor of T not above `maxChunk` (the whole run for BPTT). */
export function chunkLength(T: number, maxChunk: number, mode: GradientMode): number {
  if (mode === 'bptt' || T <= maxChunk) return T;
  for (let c = Math.min(maxChunk, T); c >= 1; c--) if (T % c === 0) return c;
  return 1;
}

/** c[t] = β·c[t−1] + q[t], q[t] = α·q[t−1] + 1: the trace of a constant unit input, so ∂U[t]/∂b (docs/training.md). */
export function traceWeights(alpha: number, beta: number, T: number): Float32Array {
  const c = new Float32Array(T);
  let q = 0, p = 0;
  for (let t = 0; t < T; t++) { q = alpha * q + 1; p = beta * p + q; c[t] = p; }
  return c;
}

export class TrainingEngine {
  readonly params: Map<string, Tensor>;
  readonly optimizer: OptimizerState;
  private readonly graphs = new Map<string, Promise<OrtGraph>>();
  private readonly models = new Map<string, Uint8Array>();
  private pool?: OrtWorkerPool;
  private readonly shapes: Map<string, number[]>;
  private readonly chunk: number;
  private readonly adam: AdamConfig;
  /** The moving average of the parameters, with `EngineConfig.averaging`. */
  readonly average?: Map<string, Tensor>;

  /**
   * `params` are the weights Adam moves; `average` the moving average to continue (a resumed
   * run's), else it starts from a copy of `params`.
   */
  constructor(readonly resolved: ResolvedSpec, params: Map<string, Tensor>, optimizer: OptimizerState | undefined, readonly cfg: EngineConfig, average?: Map<string, Tensor>) {
    this.params = params;
    checkLossFits(cfg.loss, resolved.output, resolved.blocks[resolved.blocks.length - 1].neuron.name, 'training settings: loss');
    if (cfg.averaging) {
      checkAveraging(cfg.averaging, 'training settings');
      this.average = copyParams(average ?? params);
    }
    if (cfg.labelSmoothing) checkLabelSmoothing(cfg.labelSmoothing, 'training settings');
    this.shapes = paramShapes(resolved);
    this.adam = cfg.adam ?? DEFAULT_ADAM;
    this.optimizer = optimizer ?? {
      step: 0,
      m: new Map([...params].map(([k, t]) => [k, { shape: t.shape, data: new Float32Array(t.data.length) }])),
      v: new Map([...params].map(([k, t]) => [k, { shape: t.shape, data: new Float32Array(t.data.length) }])),
    };
    this.chunk = chunkLength(resolved.spec.timeSteps, cfg.maxChunk, cfg.mode);
    const T = resolved.spec.timeSteps;
    if (cfg.dropout) checkDropout(cfg.dropout, 'training settings', this.chunk < T ? { timeSteps: T, maxChunk: cfg.maxChunk } : undefined);
  }

  /** This step's dropout masks, or none. */
  private dropoutFeeds(B: number, plan: StepPlan): Map<string, WorkerTensor> {
    if (!this.cfg.dropout) return new Map();
    if (plan.dropoutSeed === undefined) throw new RangeError('a training step with dropout needs a dropoutSeed');
    return dropoutMasks(this.resolved, B, this.cfg.dropout, plan.dropoutSeed);
  }

  /** The network as trained so far: the moving average with `averaging`, else the weights themselves. */
  get model(): Map<string, Tensor> { return this.average ?? this.params; }

  /** Counts an update done and moves the average towards the new weights. */
  private finishStep(step: number): void {
    this.optimizer.step = step;
    if (this.average) updateAverage(this.average, this.params, averagingDecay(this.cfg.averaging!, step));
  }

  get chunkSteps(): number { return this.chunk; }
  get chunks(): number { return this.resolved.spec.timeSteps / this.chunk; }

  private graph(key: string, build: () => Uint8Array, arena = true): Promise<OrtGraph> {
    let g = this.graphs.get(key);
    if (!g) { g = OrtGraph.create(build(), { arena }); this.graphs.set(key, g); }
    return g;
  }

  /**
   * 'single': the whole run in one graph, Adam included (T ≤ maxChunk). 'chunk': one chunk with
   * state and gradient accumulators in and out; every chunk of a long run uses this same graph,
   * so memory does not grow with T, and 'adam' applies the update after the last chunk.
   */
  private trainGraph(part: 'single' | 'chunk', firstTrainable: number, kept: number[] | undefined): Promise<OrtGraph> {
    const chunked = part === 'chunk';
    return this.graph(`train:${part}:${firstTrainable}:${kept?.join(',') ?? 'all'}`, () => buildTrainGraph({
      resolved: this.resolved, steps: this.chunk, chunked, mode: this.cfg.mode, surrogate: this.cfg.surrogate, loss: this.cfg.loss,
      logitsInput: chunked && isWholeRunLoss(this.cfg.loss), firstTrainable, kept, accumulate: chunked, update: !chunked, adam: this.adam, dropout: !!this.cfg.dropout,
    }).model);
  }

  private adamGraph(trainable: string[]): Promise<OrtGraph> {
    return this.graph(`adam:${trainable.join(',')}`, () => buildAdamGraph(this.shapes, trainable, this.adam), false);
  }

  private inferenceGraph(): Promise<OrtGraph> {
    const chunked = this.chunk < this.resolved.spec.timeSteps;
    // In a chunked run the forward pre-pass runs beside the training chunk graph: no arena of its own.
    return this.graph(`infer:${chunked}`, () => buildInferenceGraph({ resolved: this.resolved, steps: this.chunk, chunked }).model, !chunked);
  }

  private paramFeedsOf(): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    this.paramFeeds(feeds);
    return feeds;
  }

  private paramFeeds(feeds: Record<string, ort.Tensor>, params = this.params): void {
    for (const [k, t] of params) feeds[k] = feed(t.data, t.shape);
  }

  /** The slice of a batch's input for chunk `c` (temporal inputs are time-major, so it is contiguous). */
  private chunkInput(batch: EncodedBatch, c: number): ort.Tensor {
    if (this.resolved.spec.encoder.kind === 'direct') return feed(batch.data, batch.shape);
    const perStep = batch.data.length / this.resolved.spec.timeSteps;
    const data = batch.data.subarray(c * this.chunk * perStep, (c + 1) * this.chunk * perStep);
    return feed(data, [this.chunk, ...batch.shape.slice(1)]);
  }

  private zeroStates(B: number, trace: boolean): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    this.resolved.blocks.forEach((block, i) => {
      for (const [suffix, shape] of stateShapes(block, trace, isStaticBlock(this.resolved, i))) {
        feeds[stateName(block, suffix)] = feed(new Float32Array(B * numel(shape)), [B, ...shape]);
      }
    });
    return feeds;
  }

  /**
   * Forward pass only, with the weights Adam moves unless `params` says otherwise (`model` for
   * evaluation): the class scores `[B, classes]` (time-averaged readout membrane, or the output
   * layer's spike counts) and spike counts per layer.
   */
  async forward(batch: EncodedBatch, params = this.params): Promise<{ logits: Float32Array; spikeCounts: Map<string, Float32Array> }> {
    const graph = await this.inferenceGraph();
    const T = this.resolved.spec.timeSteps;
    const feeds: Record<string, ort.Tensor> = {};
    this.paramFeeds(feeds, params);
    if (this.chunk === T) {
      feeds.input = this.chunkInput(batch, 0);
      const out = await graph.run(feeds);
      return { logits: out.logits, spikeCounts: spikeCountsOf(out) };
    }
    Object.assign(feeds, this.zeroStates(batch.batchSize, false));
    const sum = new Float32Array(batch.batchSize * this.resolved.classes);
    const counts = new Map<string, Float32Array>();
    for (let c = 0; c < this.chunks; c++) {
      feeds.input = this.chunkInput(batch, c);
      const out = await graph.run(feeds);
      for (const [k, v] of Object.entries(out)) {
        if (k.startsWith('next_')) feeds[k.slice(5)] = feed(v, feeds[k.slice(5)].dims as number[]);
      }
      addInto(sum, out.readout_sum);
      for (const [k, v] of spikeCountsOf(out)) { if (counts.has(k)) addInto(counts.get(k)!, v); else counts.set(k, Float32Array.from(v)); }
    }
    if (this.resolved.output === 'membrane') for (let i = 0; i < sum.length; i++) sum[i] /= T;
    return { logits: sum, spikeCounts: counts };
  }

  /**
   * The class scores of the whole run (time-averaged readout, or output spike counts) that the
   * 'mean' and 'count' losses of a chunked run need before its first backward pass, computed a quarter of the batch at a time so that this forward pre-pass stays
   * small next to the training chunk graph (memory independent of T).
   */
  private async meanLogitsInParts(batch: EncodedBatch): Promise<Float32Array> {
    const B = batch.batchSize, K = this.resolved.classes;
    const parts = Math.min(4, B);
    const logits = new Float32Array(B * K);
    const direct = this.resolved.spec.encoder.kind === 'direct';
    for (let i = 0; i < parts; i++) {
      const [from, to] = [Math.round((i * B) / parts), Math.round(((i + 1) * B) / parts)];
      const part = sliceSamples(batch, from, to, direct);
      const out = await this.forward({ batchSize: to - from, shape: part.dims, data: part.data, labels: batch.labels.subarray(from, to) });
      logits.set(out.logits, from * K);
    }
    return logits;
  }

  /**
   * One training step on a batch: forward, backward and Adam. `lr` maps each weighted layer to
   * its learning rate (FreezeOut anneals them per layer); blocks below `firstTrainable` are frozen.
   */
  async trainBatch(batch: EncodedBatch, plan: StepPlan): Promise<BatchResult> {
    const { lr } = plan;
    const firstTrainable = plan.firstTrainable ?? 0;
    const workers = this.cfg.workers === 0 ? autoWorkers(this.resolved) : this.cfg.workers ?? 1;
    if (workers > 1 && this.chunks === 1 && batch.batchSize >= 2 * workers) return this.trainBatchParallel(batch, plan, workers);
    const { resolved } = this;
    const T = resolved.spec.timeSteps;
    const B = batch.batchSize;
    const K = resolved.classes;
    const labels = feed(oneHot(batch.labels, K, this.cfg.labelSmoothing), [B, K]);
    const step = this.optimizer.step + 1;
    const common: Record<string, ort.Tensor> = { labels, grad_scale: feed(new Float32Array([lossGradScale(this.cfg.loss, T, B)]), []) };
    this.paramFeeds(common);
    for (const [name, mask] of this.dropoutFeeds(B, plan)) common[name] = feed(mask.data, mask.dims);
    const chunks = this.chunks;
    let logitsIn: Float32Array | undefined;
    if (chunks > 1 && isWholeRunLoss(this.cfg.loss)) {
      logitsIn = await this.meanLogitsInParts(batch);
      common.logits_in = feed(logitsIn, [B, K]);
    }
    const trace = this.cfg.mode === 'trace';
    const traceAll = new Map(trace ? resolved.blocks.map((b) => {
      const n = clifParams(b.neuron.layer);
      return [b.neuron.name, traceWeights(n.alpha, n.beta, T)] as const;
    }) : []);
    let states = chunks > 1 ? this.zeroStates(B, trace) : {};
    const trainable = [...this.params.keys()].filter((p) => resolved.blocks.findIndex((b) => p.startsWith(`${b.weighted.name}.`)) >= firstTrainable);
    const grads: Record<string, Float32Array> = Object.fromEntries(chunks > 1 ? trainable.map((p) => [p, new Float32Array(this.params.get(p)!.data.length)]) : []);
    const readoutSum = new Float32Array(B * K);
    let lossSum = 0;
    const adamFeeds = (feeds: Record<string, ort.Tensor>, names: readonly string[]) => this.adamFeeds(feeds, names, lr, step);
    let updated: Record<string, Float32Array> = {};
    const stepLoss = new Float32Array(T);
    for (let c = 0; c < chunks; c++) {
      const from = c * this.chunk;
      // The kept steps of this chunk, relative to its first step.
      const kept = plan.kept?.filter((t) => t >= from && t < from + this.chunk).map((t) => t - from);
      let keptHere = kept && kept.length < this.chunk ? kept : undefined;
      // The forward graph does not carry the input traces, so in trace mode a chunk keeps at least its last step.
      if (keptHere?.length === 0 && trace) keptHere = [this.chunk - 1];
      if (keptHere && keptHere.length === 0) {
        // No step of this chunk runs backward: the forward graph carries the state on.
        const out = await (await this.inferenceGraph()).run({ ...this.paramFeedsOf(), ...states, input: this.chunkInput(batch, c) });
        addInto(readoutSum, out.readout_sum);
        states = Object.fromEntries(Object.entries(out).filter(([k]) => k.startsWith('next_state_')).map(([k, v]) => [k.slice(5), feed(v, states[k.slice(5)].dims as number[])]));
        continue;
      }
      const graph = await this.trainGraph(chunks === 1 ? 'single' : 'chunk', firstTrainable, keptHere);
      const feeds: Record<string, ort.Tensor> = { ...common, ...states, input: this.chunkInput(batch, c) };
      for (const [layer, w] of traceAll) {
        const chunkWeights = w.subarray(from, from + this.chunk);
        const weights = keptHere ? Float32Array.from(keptHere, (t) => chunkWeights[t]) : chunkWeights;
        feeds[`trace_weights.${layer}`] = feed(weights, [weights.length]);
      }
      for (const [k, v] of Object.entries(grads)) feeds[`grad_in.${k}`] = feed(v, this.shapes.get(k)!);
      if (chunks === 1) adamFeeds(feeds, graph.inputNames);
      const out = await graph.run(feeds);
      addInto(readoutSum, out.readout_sum);
      // A whole-run loss is the same in every chunk (the pre-pass's scores): counted once.
      lossSum = isWholeRunLoss(this.cfg.loss) ? out.loss_sum[0] : lossSum + out.loss_sum[0];
      out.step_loss_sum.forEach((v, t) => { stepLoss[from + t] = v / B; });
      const nextStates: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(out)) {
        if (k.startsWith('next_state_')) nextStates[k.slice(5)] = feed(v, states[k.slice(5)].dims as number[]);
        else if (k.startsWith('grad.')) grads[k.slice(5)] = v;
      }
      states = nextStates;
      updated = out;
    }
    if (chunks > 1) {
      const adam = await this.adamGraph(trainable);
      const feeds: Record<string, ort.Tensor> = {};
      for (const p of trainable) {
        feeds[p] = feed(this.params.get(p)!.data, this.shapes.get(p)!);
        feeds[`grad.${p}`] = feed(grads[p], this.shapes.get(p)!);
      }
      adamFeeds(feeds, adam.inputNames);
      updated = await adam.run(feeds);
    }
    this.applyUpdate(updated);
    this.finishStep(step);
    return { loss: meanLoss(this.cfg.loss, lossSum, T, B), correct: countCorrect(readoutSum, batch.labels, K), stepLoss };
  }

  /** The Adam inputs of a graph: moments of each parameter, learning rate of each layer for update `step`. */
  private adamFeeds(feeds: Record<string, ort.Tensor>, names: readonly string[], lr: (layer: string) => number, step: number): void {
    for (const name of names) {
      if (name.startsWith('m.')) feeds[name] = feed(this.optimizer.m.get(name.slice(2))!.data, this.shapes.get(name.slice(2))!);
      else if (name.startsWith('v.')) feeds[name] = feed(this.optimizer.v.get(name.slice(2))!.data, this.shapes.get(name.slice(2))!);
      else if (name.startsWith('lr.')) feeds[name] = feed(new Float32Array([adamStepSize(lr(name.slice(3)), step, this.adam)]), []);
    }
  }

  private applyUpdate(out: Record<string, Float32Array>): void {
    for (const [k, v] of Object.entries(out)) {
      if (k.startsWith('next_m.')) this.optimizer.m.get(k.slice(7))!.data = v;
      else if (k.startsWith('next_v.')) this.optimizer.v.get(k.slice(7))!.data = v;
      else if (k.startsWith('next.')) this.params.get(k.slice(5))!.data = v;
    }
  }

  /**
   * A training step split over worker threads by samples: each worker computes the gradients of
   * its share (the loss is a sum over samples, so the shares' gradients add up to the batch's),
   * then Adam runs once on their sum.
   */
  private async trainBatchParallel(batch: EncodedBatch, plan: StepPlan, workers: number): Promise<BatchResult> {
    const { resolved } = this;
    const T = resolved.spec.timeSteps, B = batch.batchSize, K = resolved.classes;
    const firstTrainable = plan.firstTrainable ?? 0;
    const kept = plan.kept && plan.kept.length < T ? plan.kept : undefined;
    const key = `grads:${firstTrainable}:${kept?.join(',') ?? 'all'}`;
    const model = () => {
      let m = this.models.get(key);
      if (!m) {
        m = buildTrainGraph({
          resolved, steps: T, chunked: false, mode: this.cfg.mode, surrogate: this.cfg.surrogate, loss: this.cfg.loss,
          logitsInput: false, firstTrainable, kept, accumulate: false, update: false, adam: this.adam, dropout: !!this.cfg.dropout,
        }).model;
        this.models.set(key, m);
      }
      return m;
    };
    this.pool ??= new OrtWorkerPool(workers);
    const common: Record<string, WorkerTensor> = { grad_scale: { data: new Float32Array([lossGradScale(this.cfg.loss, T, B)]), dims: [] } };
    for (const [k, t] of this.params) common[k] = { data: t.data, dims: t.shape };
    if (this.cfg.mode === 'trace') {
      for (const b of resolved.blocks) {
        const n = clifParams(b.neuron.layer);
        const c = traceWeights(n.alpha, n.beta, T);
        const w = kept ? Float32Array.from(kept, (t) => c[t]) : c;
        common[`trace_weights.${b.neuron.name}`] = { data: w, dims: [w.length] };
      }
    }
    const bounds = Array.from({ length: workers + 1 }, (_, i) => Math.round((i * B) / workers));
    const masks = this.dropoutFeeds(B, plan);
    // Every share settles before an error is thrown: a worker torn down (dispose) while its native
    // session still runs would take the whole process down instead of giving one error line.
    const settled = await Promise.allSettled(Array.from({ length: workers }, (_, i) => {
      const [from, to] = [bounds[i], bounds[i + 1]];
      const labels = oneHot(batch.labels.subarray(from, to), K, this.cfg.labelSmoothing);
      const share: Record<string, WorkerTensor> = { ...common, input: sliceSamples(batch, from, to, resolved.spec.encoder.kind === 'direct'), labels: { data: labels, dims: [to - from, K] } };
      for (const [name, { data, dims }] of masks) share[name] = { data: data.slice(from * dims[1], to * dims[1]), dims: [to - from, dims[1]] };
      return this.pool!.run(i, key, model, share);
    }));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const parts = settled.map((r) => (r as PromiseFulfilledResult<Record<string, Float32Array>>).value);
    const grads: Record<string, ort.Tensor> = {};
    const trainable = Object.keys(parts[0]).filter((k) => k.startsWith('grad.')).map((k) => k.slice(5));
    for (const p of trainable) {
      const sum = Float32Array.from(parts[0][`grad.${p}`]);
      for (let w = 1; w < workers; w++) { const g = parts[w][`grad.${p}`]; for (let i = 0; i < sum.length; i++) sum[i] += g[i]; }
      grads[`grad.${p}`] = feed(sum, this.shapes.get(p)!);
    }
    const step = this.optimizer.step + 1;
    const adam = await this.adamGraph(trainable);
    const feeds: Record<string, ort.Tensor> = { ...grads };
    for (const p of trainable) feeds[p] = feed(this.params.get(p)!.data, this.shapes.get(p)!);
    this.adamFeeds(feeds, adam.inputNames, plan.lr, step);
    this.applyUpdate(await adam.run(feeds));
    this.finishStep(step);
    let lossSum = 0, correct = 0;
    const stepLoss = new Float32Array(T);
    parts.forEach((out, w) => {
      lossSum += out.loss_sum[0];
      correct += countCorrect(out.readout_sum, batch.labels.subarray(bounds[w], bounds[w + 1]), K);
      out.step_loss_sum.forEach((v, t) => { stepLoss[t] += v / B; });
    });
    return { loss: meanLoss(this.cfg.loss, lossSum, T, B), correct, stepLoss };
  }

  async dispose(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
    for (const g of this.graphs.values()) await (await g).release();
    this.graphs.clear();
  }
}

/** Samples [from, to) of a batch in the model's input layout (`[B, …]`, or `[T, B, …]` gathered per step). */
function sliceSamples(batch: EncodedBatch, from: number, to: number, direct: boolean): WorkerTensor {
  const B = batch.batchSize;
  if (direct) {
    const per = batch.data.length / B;
    return { data: batch.data.slice(from * per, to * per), dims: [to - from, ...batch.shape.slice(1)] };
  }
  const T = batch.shape[0];
  const per = batch.data.length / (T * B);
  const data = new Float32Array(T * (to - from) * per);
  for (let t = 0; t < T; t++) data.set(batch.data.subarray((t * B + from) * per, (t * B + to) * per), t * (to - from) * per);
  return { data, dims: [T, to - from, ...batch.shape.slice(2)] };
}

function addInto(acc: Float32Array, v: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += v[i];
}

function spikeCountsOf(out: Record<string, Float32Array>): Map<string, Float32Array> {
  return new Map(Object.entries(out).filter(([k]) => k.startsWith('spike_count_')).map(([k, v]) => [k.slice(12), v]));
}

/**
 * Samples whose predicted class (the largest score, the lowest class index on ties) is their label.
 * The scores may be summed over time rather than averaged: the prediction is the same.
 */
export function countCorrect(scores: Float32Array, labels: Uint8Array, classes: number): number {
  let correct = 0;
  for (let b = 0; b < labels.length; b++) if (predictedClass(scores, b * classes, classes) === labels[b]) correct++;
  return correct;
}

/** The predicted class of sample scores at `offset` (src/spec/prediction.ts: ties to the lowest index). */
export const argmax = predictedClass;
