/**
 * The integer hardware simulator: runs a `QuantizedNetwork` on spike events, time-stepped and
 * event-driven, with the arithmetic of its profile reproduced exactly.
 *
 * Per logical step t, layer by layer. A profile's synaptic delay (Loihi: one chip step per
 * layer) only relabels steps: layer l computes logical step t at chip step t + delaySteps(l)
 * (`LayerPlacement.delaySteps`, src/quantize/chip-time.ts). The relabelling is exact when every
 * state starts at zero and only the weighted input drives a layer before its first input arrives:
 * no bias (loihi2, whose bias acts on the membrane from chip step 0, refuses biases:
 * bias.supported), or a chip that starts a layer's bias with its first input (an assumption for
 * any other profile with a delay; the bundled ones have none):
 *
 *   acc   = Σ over input events (i, p) of w[j, i]·p      only the targets of each event are touched
 *   z     = ((acc shifted by e) << inputShift) + bias     e ≥ 0: left shift; e < 0: flooring right shift
 *   z     = max or sum of z over the pooling window       (if the layer pools its synaptic input)
 *   I     = overflow_I(decay_I(I) + z)
 *   U     = overflow_V(decay_V(V) + I)
 *   spike = U > threshold << thresholdShift               (the readout: only with threshold.readout)
 *   V     = 0 | U − (threshold << thresholdShift) | U     reset zero | subtract | readout that did not fire
 *
 * With `intermediate: int32` (Lava) acc, the shifted sum, z, and both sums before the overflow
 * rule wrap as 32-bit integers. The work per step is one pass over the neurons (decay cannot be
 * skipped) plus the synaptic events: never neurons × inputs. The synaptic events, by far the
 * most work, run as WebAssembly SIMD additions (scatter-wasm.ts), in int16 lanes where the
 * weights provably keep the partial sums within int16 (exact, then widened into int32), as does
 * the 2×2 max pool of conv layers.
 */
import { SnnError } from '../../src/errors.ts';
import type { StepEvents } from '../../src/quantize/input-events.ts';
import type { Register } from '../../src/quantize/integer.ts';
import { overflow, register } from '../../src/quantize/integer.ts';
import { val } from '../../src/quantize/profile.ts';
import type { QuantizedLayer, QuantizedNetwork } from '../../src/quantize/quantize.ts';
import { accumulatorBound } from '../../src/quantize/quantize.ts';
import { shapeSize } from '../../src/spec/validate.ts';
import { Arena, arenaBytes } from './scatter-wasm.ts';

/** What one simulated sample produces. */
export interface SimulationResult {
  /**
   * Σ over t of the readout membrane V[t] (after a readout reset, as a chip reads it), integer
   * state units, per readout neuron; empty for a network with spiking outputs.
   */
  readoutSum: Float64Array;
  /** Spike counts per neuron, per spiking chip layer (in order). */
  spikeCounts: Uint32Array[];
  /** Synaptic events: (spike, target neuron) pairs processed, over all layers and steps. */
  synapticEvents: number;
  /** Input events consumed. */
  inputEvents: number;
}

/**
 * Sees one layer after one logical step t, which the chip computes at `chipStep` (t plus the
 * layer's delay); for tests and traces. The arrays are the simulator's own, valid only during the call.
 */
export type StepObserver = (t: number, layer: number, spikes: Uint32Array, current: ArrayLike<number>, membrane: ArrayLike<number>, chipStep: number) => void;

/**
 * Everything about a layer the inner loops need, precomputed once. The weighted sum is a
 * scatter driven by a table of runs (scatter-wasm.ts): input address a owns the runs q in
 * [offsets[a], offsets[a+1]), run q being (accumulator byte offset, weight byte offset, length in
 * 16-byte vectors, 0) at `runs[4q …]`. Weights are stored one row per input (dense) or per kernel
 * tap (conv), `paddedChannels` lanes wide, channels contiguous; conv taps are stored with kx
 * reversed, so that the taps of one kernel row that land in the output map form one contiguous
 * stretch of weights facing one contiguous stretch of the (channel-last, [oy][ox][c])
 * accumulator: with stride 1, one run per kernel row.
 *
 * Lanes are int32, or int16 (twice as many per SIMD vector) when the layer's inputs can be split
 * into groups whose sums provably stay within int16 (`groupOf`): the int16 sums of a group are
 * exact, and their widening into the int32 accumulator (`flush`) then equals adding every weight
 * in int32, wrap included.
 */
interface LayerKernel {
  q: QuantizedLayer;
  /** Lanes per accumulator position and per weight row (channels rounded up to fill 16-byte vectors). */
  paddedChannels: number;
  /** Lanes are int16 (SIMD only); else int32. */
  lanes16: boolean;
  /** Byte offsets in the arena. */
  weightsPtr: number;
  accPtr: number;
  acc16Ptr: number;
  /** The 2×2 max pool of the accumulator (channel-last), for a conv layer with such a pool (SIMD only). */
  pooledPtr: number;
  pooled: Int32Array;
  offsetsPtr: number;
  runsPtr: number;
  spikesPtr: number;
  weights: Int32Array | Int16Array;
  /** The int32 accumulator (what the neuron passes read). */
  acc: Int32Array;
  /** The accumulator still holds the previous step: the step's first scatter clears (or overwrites) it. */
  accStale: boolean;
  /** 16-byte vectors of the int16 accumulator (lanes16). */
  acc16Vectors: number;
  offsets: Uint32Array;
  runs: Uint32Array;
  /** Input group of each input address (lanes16): the sums of one group's spikes fit int16. */
  groupOf: Uint32Array;
  /** Synaptic events one spike of each input address causes. */
  fanOut: Uint32Array;
  /** Largest |weighted sum| per unit of input payload: max over outputs of Σ|w|. */
  accumulatorBound: number;
  /**
   * True when no 32-bit wrap can happen between the accumulator and the pooled z (|sums| < 2^31 by
   * `accumulatorBound`): the int32 arithmetic then equals exact arithmetic and takes the faster path.
   */
  wrapFree: boolean;
  /** The bias per channel, zeros when the layer has none, and its largest magnitude. */
  biasOrZero: Float64Array;
  maxBias: number;
  /** 2^(e + inputShift) for e ≥ 0; for e < 0 the sum is floored by `exponentDivisor` = 2^−e, then scaled by `inputScale`. */
  exponentScale: number;
  exponentDivisor: number;
  inputScale: number;
  mapW: number; outH: number; outW: number;
  size: number;
  /** The accumulator shifted and biased (accumulator layout), and z per neuron (neuron order). */
  scaled: Float64Array;
  z: Float64Array;
  current: Float64Array;
  membrane: Float64Array;
  /** threshold << thresholdShift per channel. */
  fire: Float64Array;
  /** Spikes of the last step (neuron indices, ascending), in the arena: the next layer's input addresses. */
  spikes: Uint32Array;
  spikeCount: number;
}

/** The run table of a layer (see `LayerKernel`), `laneBytes` = 4 or 2, and the synaptic events per input. */
function synapseTable(q: QuantizedLayer, padded: number, laneBytes: number): { offsets: Uint32Array; runs: number[]; fanOut: Uint32Array } {
  const inSize = shapeSize(q.inShape);
  const offsets = new Uint32Array(inSize + 1);
  const fanOut = new Uint32Array(inSize);
  const runs: number[] = [];
  const row = padded * laneBytes, vectors = row / 16;
  if (q.kind === 'dense') {
    for (let a = 0; a < inSize; a++) { offsets[a] = a; runs.push(0, a * row, vectors, 0); fanOut[a] = q.channels; }
    offsets[inSize] = inSize;
    return { offsets, runs, fanOut };
  }
  const [, h, w] = q.inShape;
  const [, oh, ow] = q.mapShape;
  const k = q.kernel, s = q.stride, pad = q.padding;
  for (let a = 0; a < inSize; a++) {
    offsets[a] = runs.length / 4;
    const c = Math.floor(a / (h * w)), y = Math.floor(a / w) % h, x = a % w;
    let taps = 0;
    for (let ky = 0; ky < k; ky++) {
      const ny = y + pad - ky;
      if (ny < 0 || ny % s !== 0 || ny / s >= oh) continue;
      // Descending kx: ascending output x and (kx reversed in the weight rows) ascending weight rows.
      let open = -1, length = 0;
      for (let kx = k - 1; kx >= 0; kx--) {
        const nx = x + pad - kx;
        if (nx < 0 || nx % s !== 0 || nx / s >= ow) continue;
        taps++;
        const accAt = ((ny / s) * ow + nx / s) * row, wAt = ((c * k + ky) * k + (k - 1 - kx)) * row;
        if (open >= 0 && s === 1) { length += vectors; runs[open + 2] = length; continue; }
        open = runs.length; length = vectors;
        runs.push(accAt, wAt, vectors, 0);
      }
    }
    fanOut[a] = taps * q.channels;
  }
  offsets[inSize] = runs.length / 4;
  return { offsets, runs, fanOut };
}

/**
 * Groups of input addresses whose binary spikes sum within int16 in every accumulator lane (each
 * address at most once): per output channel, Σ over the group of |w| reaching one output neuron.
 * Conv layers group whole input channels (one tap per input position and output neuron); dense
 * layers group consecutive inputs. Null when one input alone can leave int16.
 */
function int16Groups(q: QuantizedLayer): Uint32Array | null {
  const inSize = shapeSize(q.inShape);
  const out = q.channels, fan = q.weights.length / out;
  const units = q.kind === 'dense' ? inSize : q.inShape[0];
  const perUnit = fan / units, addressesPerUnit = inSize / units;
  const limit = 0x7fff;
  const sums = new Float64Array(out), unit = new Float64Array(out);
  const groupOf = new Uint32Array(inSize);
  let group = 0;
  for (let u = 0; u < units; u++) {
    let fits = true;
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = o * fan + u * perUnit; i < o * fan + (u + 1) * perUnit; i++) s += Math.abs(q.weights[i]);
      if (s > limit) return null;
      unit[o] = s;
      if (sums[o] + s > limit) fits = false;
    }
    if (!fits) { group++; sums.fill(0); }
    for (let o = 0; o < out; o++) sums[o] += unit[o];
    groupOf.fill(group, u * addressesPerUnit, (u + 1) * addressesPerUnit);
  }
  return groupOf;
}

export interface SimulatorOptions {
  /** Use the WebAssembly SIMD scatter when available (default); false runs the same layout in JavaScript. */
  simd?: boolean;
}

/** Simulates one quantized network; reuse the instance for many samples (state is reset per sample). */
export class HwSimulator {
  private readonly kernels: LayerKernel[];
  private readonly int32: boolean;
  private readonly inputShift: number;
  private readonly currentReg: Register;
  private readonly membraneReg: Register;
  private readonly decayKind: 'fraction' | 'shift' | 'none';
  private readonly decayOne: number;
  private readonly arena: Arena;
  /** True when the scatter runs in WebAssembly SIMD. */
  get simd(): boolean { return this.arena.kernels !== undefined; }
  /** The current step's input addresses, copied into the arena for the SIMD scatter. */
  private readonly inputPtr: number;
  private readonly inputAddresses: Uint32Array;

  constructor(readonly net: QuantizedNetwork, options: SimulatorOptions = {}) {
    const p = net.profile;
    this.int32 = p.synapse.intermediate === 'int32';
    this.inputShift = val(p.synapse.inputShift);
    this.currentReg = register(val(p.state.current.bits), p.state.current.overflow);
    this.membraneReg = register(val(p.state.membrane.bits), p.state.membrane.overflow);
    this.decayKind = p.decay.kind;
    this.decayOne = p.decay.kind === 'fraction' ? 2 ** val(p.decay.bits) : 0;
    const shift = 2 ** val(p.threshold.shift);
    const plans = net.layers.map((q) => {
      const rows = q.kind === 'dense' ? shapeSize(q.inShape) : q.inShape[0] * q.kernel * q.kernel;
      const positions = q.kind === 'dense' ? 1 : q.mapShape[1] * q.mapShape[2];
      // Room for either layout: int32 lanes padded to 4, or int16 lanes padded to 8 (plus the int16 accumulator).
      const wide = Math.ceil(q.channels / 8) * 8;
      const table = synapseTable(q, wide, 4);
      return { q, rows, positions, wide, runCount: table.runs.length, groupOf: int16Groups(q) };
    });
    const inputSize = shapeSize(net.inputShape);
    this.arena = new Arena(arenaBytes([inputSize, ...plans.flatMap((p) => [p.rows * p.wide, p.positions * p.wide, p.positions * p.wide / 2, shapeSize(p.q.inShape) + 1, p.runCount, shapeSize(p.q.outShape) / p.q.channels * p.wide, shapeSize(p.q.outShape)])]), options.simd ?? true);
    this.inputPtr = this.arena.alloc(inputSize);
    this.inputAddresses = this.arena.uint32(this.inputPtr, inputSize);
    const simd = this.arena.kernels !== undefined;
    this.kernels = plans.map(({ q, rows, positions, groupOf }) => {
      const lanes16 = simd && groupOf !== null;
      const padded = lanes16 ? Math.ceil(q.channels / 8) * 8 : Math.ceil(q.channels / 4) * 4;
      const table = synapseTable(q, padded, lanes16 ? 2 : 4);
      const size = shapeSize(q.outShape);
      const out = q.channels;
      const fan = q.weights.length / out;
      const arena = this.arena;
      const weightsPtr = arena.alloc(lanes16 ? rows * padded / 2 : rows * padded);
      const weights = lanes16 ? arena.int16(weightsPtr, rows * padded) : arena.int32(weightsPtr, rows * padded);
      // [out][in] or [cout][cin][ky][kx] → one row per input (dense) or kernel tap (conv, kx reversed), channels contiguous.
      const k = q.kernel;
      for (let o = 0; o < out; o++) {
        for (let r = 0; r < fan; r++) {
          const kx = r % k, row = r - kx + (k - 1 - kx);
          weights[row * padded + o] = q.weights[o * fan + r];
        }
      }
      const accPtr = arena.alloc(positions * padded);
      const acc16Ptr = lanes16 ? arena.alloc(positions * padded / 2) : 0;
      const offsetsPtr = arena.alloc(table.offsets.length);
      const offsets = arena.uint32(offsetsPtr, table.offsets.length);
      offsets.set(table.offsets);
      const runsPtr = arena.alloc(table.runs.length);
      const runs = arena.uint32(runsPtr, table.runs.length);
      runs.set(table.runs);
      const pooledCount = simd && q.pool?.kind === 'max' && q.pool.size === 2 && q.kind === 'conv2d' ? (size / out) * padded : 0;
      const pooledPtr = arena.alloc(pooledCount);
      const spikesPtr = arena.alloc(size);
      // A readout without a threshold never fires.
      const fire = new Float64Array(out).fill(q.readout ? Infinity : 0);
      for (let c = 0; c < q.threshold.length; c++) fire[c] = q.threshold[c] * shift;
      return {
        q, paddedChannels: padded, lanes16, weightsPtr, accPtr, acc16Ptr, pooledPtr, pooled: arena.int32(pooledPtr, pooledCount), offsetsPtr, runsPtr, spikesPtr,
        weights, acc: arena.int32(accPtr, positions * padded), accStale: true, acc16Vectors: lanes16 ? positions * padded / 8 : 0,
        offsets, runs, groupOf: groupOf ?? new Uint32Array(0), fanOut: table.fanOut,
        accumulatorBound: accumulatorBound(q),
        wrapFree: false,
        biasOrZero: q.bias ? Float64Array.from(q.bias) : new Float64Array(out),
        maxBias: q.bias ? Math.max(0, ...Array.from(q.bias, Math.abs)) : 0,
        exponentScale: 2 ** (q.weightExponent + this.inputShift),
        exponentDivisor: q.weightExponent >= 0 ? 1 : 2 ** -q.weightExponent,
        inputScale: 2 ** this.inputShift,
        mapW: q.mapShape.length === 3 ? q.mapShape[2] : 1,
        outH: q.outShape.length === 3 ? q.outShape[1] : 1,
        outW: q.outShape.length === 3 ? q.outShape[2] : 1,
        size,
        // States are at most 32 bits wide (schema), so float64 holds them exactly.
        scaled: new Float64Array(positions * padded), z: new Float64Array(size),
        current: new Float64Array(size), membrane: new Float64Array(size), fire,
        spikes: arena.uint32(spikesPtr, size), spikeCount: 0,
      };
    });
    for (let l = 1; l < this.kernels.length; l++) this.checkAccumulator(l, 1);
    this.kernels.forEach((k) => { k.wrapFree = this.wrapFree(k, 1); });
  }

  /** See `LayerKernel.wrapFree`; `payload` is the largest input payload. */
  private wrapFree(k: LayerKernel, payload: number): boolean {
    const q = k.q;
    const area = q.pool?.kind === 'sum' ? q.pool.size ** 2 : 1;
    const maxBias = k.maxBias;
    return k.accumulatorBound * payload * 2 ** Math.max(0, q.weightExponent + this.inputShift) * area + maxBias * area < 2 ** 31;
  }

  /** Refuses inputs whose weighted sums could leave the 32-bit accumulator on a profile with exact sums. */
  private checkAccumulator(layer: number, payload: number): void {
    const k = this.kernels[layer];
    if (this.int32 || k.accumulatorBound * payload <= 0x7fffffff) return;
    throw new SnnError('doesNotFit', `hwsim: the weighted sum of layer '${k.q.name}' can reach ${k.accumulatorBound * payload} (Σ|w| ${k.accumulatorBound} × payload ${payload}), beyond the simulator's 32-bit accumulator`);
  }

  /**
   * Runs one sample from its input events. `observe`, if given, sees every layer after every step:
   * its spikes (neuron indices, ascending) and its current and membrane states (after reset).
   */
  run(input: StepEvents, observe?: StepObserver): SimulationResult {
    const layers = this.kernels;
    const spikeCounts = layers.filter((k) => !k.q.readout).map((k) => new Uint32Array(k.size));
    const last = layers[layers.length - 1];
    const readoutSum = new Float64Array(last.q.readout ? last.size : 0);
    for (const k of layers) { k.current.fill(0); k.membrane.fill(0); }
    let maxPayload = 1;
    if (input.payloads) for (let e = 0; e < input.payloads.length; e++) maxPayload = Math.max(maxPayload, Math.abs(input.payloads[e]));
    this.checkAccumulator(0, maxPayload);
    layers[0].wrapFree = this.wrapFree(layers[0], maxPayload);
    let synapticEvents = 0;
    const T = this.net.timeSteps;
    for (let t = 0; t < T; t++) {
      let from = t < input.timeSteps ? input.offsets[t] : 0;
      let to = t < input.timeSteps ? input.offsets[t + 1] : 0;
      for (let l = 0; l < layers.length; l++) {
        const k = layers[l];
        k.accStale = true;
        if (l === 0) {
          synapticEvents += this.scatterInput(k, input, from, to);
        } else {
          const prev = layers[l - 1];
          synapticEvents += this.scatter(k, prev.spikes, prev.spikesPtr, 0, prev.spikeCount);
        }
        if (k.accStale) { k.acc.fill(0); k.accStale = false; }
        this.updateNeurons(k, readoutSum);
        if (observe) observe(t, l, k.spikes.subarray(0, k.q.readout ? 0 : k.spikeCount), k.current, k.membrane, t + k.q.placement.delaySteps);
        if (!k.q.readout) {
          const counts = spikeCounts[l];
          for (let i = 0; i < k.spikeCount; i++) counts[k.spikes[i]]++;
        }
        from = 0; to = k.spikeCount;
      }
    }
    return { readoutSum, spikeCounts, synapticEvents, inputEvents: input.addresses.length };
  }

  /** The first layer's input: binary events go through the SIMD scatter, weighted ones (payloads) through the JS loop. */
  private scatterInput(k: LayerKernel, input: StepEvents, from: number, to: number): number {
    if (input.payloads === null && this.arena.kernels) {
      // Through the arena's input buffer, a buffer-full at a time (a step may repeat addresses).
      const room = this.inputAddresses.length;
      let events = 0;
      for (let at = from; at < to; at += room) {
        const end = Math.min(to, at + room);
        this.inputAddresses.set(input.addresses.subarray(at, end));
        events += this.scatter(k, this.inputAddresses, this.inputPtr, 0, end - at);
      }
      return events;
    }
    return this.scatterJs(k, input.addresses, input.payloads, from, to);
  }

  /** Binary spikes at `addresses[from … to)` (also at byte offset `addressesPtr` in the arena). */
  private scatter(k: LayerKernel, addresses: Uint32Array, addressesPtr: number, from: number, to: number): number {
    const simd = this.arena.kernels;
    if (!simd) return this.scatterJs(k, addresses, null, from, to);
    const fanOut = k.fanOut;
    let events = 0;
    if (!k.lanes16) {
      if (k.accStale) { k.acc.fill(0); k.accStale = false; }
      simd.scatter32(k.accPtr, k.weightsPtr, k.runsPtr, k.offsetsPtr, addressesPtr, from, to);
      for (let e = from; e < to; e++) events += fanOut[addresses[e]];
      return events;
    }
    // int16 sums, one stretch of spikes at a time: same input group, strictly ascending addresses
    // (so each address counts once, as the group bound assumes); each stretch is widened into acc.
    const groupOf = k.groupOf;
    let e = from;
    while (e < to) {
      const start = e;
      let a = addresses[e];
      const g = groupOf[a];
      events += fanOut[a];
      for (e++; e < to; e++) {
        const next = addresses[e];
        if (next <= a || groupOf[next] !== g) break;
        a = next;
        events += fanOut[a];
      }
      simd.scatter16(k.acc16Ptr, k.weightsPtr, k.runsPtr, k.offsetsPtr, addressesPtr, start, e);
      if (k.accStale) { simd.flushSet(k.accPtr, k.acc16Ptr, k.acc16Vectors); k.accStale = false; } else simd.flush(k.accPtr, k.acc16Ptr, k.acc16Vectors);
    }
    return events;
  }

  /** The same scatter in JavaScript, with payloads, into the int32 accumulator; Int32Array stores wrap like the SIMD lanes. */
  private scatterJs(k: LayerKernel, addresses: Uint32Array, payloads: Int32Array | null, from: number, to: number): number {
    const { acc, weights, offsets, runs, fanOut } = k;
    if (k.accStale) { acc.fill(0); k.accStale = false; }
    const laneBytes = k.lanes16 ? 2 : 4;
    let events = 0;
    for (let e = from; e < to; e++) {
      const a = addresses[e];
      const p = payloads === null ? 1 : payloads[e];
      for (let q = offsets[a]; q < offsets[a + 1]; q++) {
        const accAt = runs[4 * q] / laneBytes, wAt = runs[4 * q + 1] / laneBytes, lanes = (runs[4 * q + 2] * 16) / laneBytes;
        for (let i = 0; i < lanes; i++) acc[accAt + i] += weights[wAt + i] * p;
      }
      events += fanOut[a];
    }
    return events;
  }

  /**
   * z of every neuron, in neuron order, into `k.z`: the accumulator shifted and biased (into
   * `k.scaled`, accumulator layout), then gathered or pooled. Separate simple passes keep the
   * loops free of calls and branches on the layer kind.
   */
  private synapticInputs(k: LayerKernel, deferScale: boolean): boolean {
    const q = k.q, acc = k.acc, scaled = k.scaled, z = k.z, bias = k.biasOrZero;
    const padded = k.paddedChannels, out = q.channels;
    const positions = acc.length / padded;
    const e = q.weightExponent;
    if ((!this.int32 || k.wrapFree) && e >= 0 && q.pool) {
      // Exact sums scaled by a power of two are monotonic and linear: pool the raw sums, then scale the (fewer) results.
      return this.poolThenScale(k, deferScale);
    }
    // One loop per case, so that no branch is left inside the loops.
    if (this.int32) {
      const s = this.inputShift;
      if (e >= 0) {
        for (let p = 0; p < positions; p++) for (let c = 0, m = p * padded; c < out; c++, m++) scaled[m] = (((((acc[m] << e) | 0) << s) | 0) + bias[c]) | 0;
      } else {
        for (let p = 0; p < positions; p++) for (let c = 0, m = p * padded; c < out; c++, m++) scaled[m] = ((((acc[m] >> -e) << s) | 0) + bias[c]) | 0;
      }
    } else if (e >= 0) {
      const mul = k.exponentScale;
      for (let p = 0; p < positions; p++) for (let c = 0, m = p * padded; c < out; c++, m++) scaled[m] = acc[m] * mul + bias[c];
    } else {
      // A negative exponent floors the sum (an arithmetic right shift), then the input shift applies.
      const div = k.exponentDivisor, post = k.inputScale;
      for (let p = 0; p < positions; p++) for (let c = 0, m = p * padded; c < out; c++, m++) scaled[m] = Math.floor(acc[m] / div) * post + bias[c];
    }
    if (q.kind === 'dense') {
      for (let j = 0; j < out; j++) z[j] = scaled[j];
      return false;
    }
    const outH = k.outH, outW = k.outW, mapW = k.mapW;
    const pool = q.pool;
    if (!pool) {
      for (let c = 0, j = 0; c < out; c++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++, j++) z[j] = scaled[(oy * mapW + ox) * padded + c];
      return false;
    }
    const size = pool.size;
    const step = padded, rowStride = mapW * padded;
    if (pool.kind === 'max') {
      for (let c = 0, j = 0; c < out; c++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++, j++) {
        const first = (oy * size * mapW + ox * size) * padded + c;
        let v = -Infinity;
        for (let dy = 0, row = first; dy < size; dy++, row += rowStride) for (let dx = 0, i = row; dx < size; dx++, i += step) if (scaled[i] > v) v = scaled[i];
        z[j] = v;
      }
    } else {
      for (let c = 0, j = 0; c < out; c++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++, j++) {
        const first = (oy * size * mapW + ox * size) * padded + c;
        let v = 0;
        for (let dy = 0, row = first; dy < size; dy++, row += rowStride) for (let dx = 0, i = row; dx < size; dx++, i += step) v += scaled[i];
        z[j] = this.int32 ? v | 0 : v;
      }
    }
    return false;
  }

  /**
   * z for a pooled conv layer with exact sums and e ≥ 0: max(a)·2^k + b and Σ(a·2^k + b) = 2^k·Σa + size²·b.
   * With `deferScale`, a SIMD 2×2 max pool leaves the unscaled maxima in `k.pooled` and returns
   * true: the neuron loop then computes z = pooled·2^k + b itself (the same expression).
   */
  private poolThenScale(k: LayerKernel, deferScale: boolean): boolean {
    const q = k.q, acc = k.acc, z = k.z, bias = k.biasOrZero, pool = q.pool!;
    const padded = k.paddedChannels, out = q.channels, outH = k.outH, outW = k.outW;
    const size = pool.size, rowStride = k.mapW * padded, mul = k.exponentScale;
    const mapW = k.mapW;
    const simd = this.arena.kernels;
    if (pool.kind === 'max' && size === 2 && simd && k.pooled.length > 0) {
      // The common 2×2 window in SIMD (channel-last), then scaled into neuron order.
      simd.maxPool2(k.accPtr, k.pooledPtr, rowStride * 4, outH, outW, padded / 4);
      if (deferScale) return true;
      const pooled = k.pooled, positions = outH * outW;
      for (let p = 0, i = 0; p < positions; p++, i += padded) for (let c = 0, j = p; c < out; c++, j += positions) z[j] = pooled[i + c] * mul + bias[c];
    } else if (pool.kind === 'max' && size === 2) {
      // The common 2×2 window, unrolled, window by window over contiguous channels (the accumulator is channel-last).
      const positions = outH * outW;
      for (let oy = 0, p = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++, p++) {
        const first = (2 * oy * mapW + 2 * ox) * padded;
        for (let c = 0, i = first, j = p; c < out; c++, i++, j += positions) {
          const a = acc[i], b = acc[i + padded], d = acc[i + rowStride], e = acc[i + rowStride + padded];
          const top = a > b ? a : b, bottom = d > e ? d : e;
          z[j] = (top > bottom ? top : bottom) * mul + bias[c];
        }
      }
    } else if (pool.kind === 'max') {
      for (let c = 0, j = 0; c < out; c++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++, j++) {
        let v = -Infinity;
        for (let dy = 0, row = (oy * size * mapW + ox * size) * padded + c; dy < size; dy++, row += rowStride) for (let dx = 0, i = row; dx < size; dx++, i += padded) if (acc[i] > v) v = acc[i];
        z[j] = v * mul + bias[c];
      }
    } else {
      const area = size * size;
      for (let c = 0, j = 0; c < out; c++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++, j++) {
        let v = 0;
        for (let dy = 0, row = (oy * size * mapW + ox * size) * padded + c; dy < size; dy++, row += rowStride) for (let dx = 0, i = row; dx < size; dx++, i += padded) v += acc[i];
        z[j] = v * mul + area * bias[c];
      }
    }
    return false;
  }

  private updateNeurons(k: LayerKernel, readoutSum: Float64Array): void {
    const fromPooled = this.synapticInputs(k, this.decayKind === 'fraction' && !k.q.readout);
    const q = k.q, z = k.z;
    const I = k.current, V = k.membrane, fire = k.fire, spikes = k.spikes;
    const cr = this.currentReg, mr = this.membraneReg;
    const cMin = cr.min, cMax = cr.max, mMin = mr.min, mMax = mr.max;
    const one = this.decayOne, int32 = this.int32;
    const kind = this.decayKind === 'fraction' ? 0 : this.decayKind === 'shift' ? 1 : 2;
    const dI = q.currentDecay, dV = q.membraneDecay;
    // Divisions by powers of two are exact as multiplications by their reciprocals (and cheaper).
    const retainI = one - dI, retainV = one - dV, perOne = kind === 0 ? 1 / one : 0;
    const perShiftI = 2 ** -dI, perShiftV = 2 ** -dV;
    const perChannel = k.size / q.channels;
    const readout = q.readout, zero = q.reset === 'zero';
    let count = 0;
    if (kind === 0 && !readout) {
      // The common case on its own: fractional decay of a spiking layer. (one − d)/one is exact
      // (one is a power of two), and so is x·((one − d)/one) for the integers x < 2^53/one held here;
      // the int32 wrap (ToInt32, the identity on integers within int32) runs only when it changes something.
      const keepI = retainI * perOne, keepV = retainV * perOne;
      // z comes from k.z, or from the SIMD max pool (channel-last), scaled and biased as `poolThenScale` would.
      const pooled = k.pooled, padded = k.paddedChannels, mul = k.exponentScale, bias = k.biasOrZero;
      for (let c = 0, j = 0; c < q.channels; c++) {
        const f = fire[c], b = bias[c];
        for (let p = 0, i = c; p < perChannel; p++, i += padded, j++) {
          let cur = Math.trunc(I[j] * keepI) + (fromPooled ? pooled[i] * mul + b : z[j]);
          if (int32 && (cur > 0x7fffffff || cur < -0x80000000)) cur |= 0;
          if (cur < cMin || cur > cMax) cur = overflow(cur, cr);
          let mem = Math.trunc(V[j] * keepV) + cur;
          if (int32 && (mem > 0x7fffffff || mem < -0x80000000)) mem |= 0;
          if (mem < mMin || mem > mMax) mem = overflow(mem, mr);
          I[j] = cur;
          if (mem > f) {
            spikes[count++] = j;
            let after = zero ? 0 : mem - f;
            if (after < mMin || after > mMax) after = overflow(after, mr);
            V[j] = after;
          } else {
            V[j] = mem;
          }
        }
      }
      k.spikeCount = count;
      return;
    }
    for (let c = 0, j = 0; c < q.channels; c++) {
      const f = fire[c];
      for (const end = j + perChannel; j < end; j++) {
        let cur: number, decayedV: number;
        const i = I[j], v = V[j];
        if (kind === 0) {
          cur = Math.trunc(i * retainI * perOne) + z[j];
          decayedV = Math.trunc(v * retainV * perOne);
        } else if (kind === 1) {
          cur = i - Math.floor(i * perShiftI) + z[j];
          decayedV = v - Math.floor(v * perShiftV);
        } else {
          cur = z[j];
          decayedV = v;
        }
        if (int32) cur |= 0;
        if (cur < cMin || cur > cMax) cur = overflow(cur, cr);
        let mem = decayedV + cur;
        if (int32) mem |= 0;
        if (mem < mMin || mem > mMax) mem = overflow(mem, mr);
        I[j] = cur;
        if (readout) {
          // A readout fires only on a target that runs it as a neuron (threshold.readout), and is then read after its reset.
          V[j] = mem > f ? 0 : mem;
          readoutSum[j] += V[j];
        } else if (mem > f) {
          spikes[count++] = j;
          let after = zero ? 0 : mem - f;
          if (after < mMin || after > mMax) after = overflow(after, mr);
          V[j] = after;
        } else {
          V[j] = mem;
        }
      }
    }
    k.spikeCount = count;
  }
}


/**
 * The class scores of a result: the mean readout membrane per class in float units (the logits),
 * or for spiking outputs the output layer's spike counts.
 */
export function logitsOf(net: QuantizedNetwork, result: SimulationResult, out: Float32Array = new Float32Array(net.classes), offset = 0): Float32Array {
  if (net.output === 'spikes') {
    out.set(result.spikeCounts[result.spikeCounts.length - 1], offset);
    return out;
  }
  const readout = net.layers[net.layers.length - 1];
  const perChannel = result.readoutSum.length / readout.channels;
  for (let j = 0; j < result.readoutSum.length; j++) {
    out[offset + j] = result.readoutSum[j] / (net.timeSteps * readout.scale[Math.floor(j / perChannel)]);
  }
  return out;
}

/** Index of the largest value (the first on ties), as argmax over logits. */
export function argmax(values: ArrayLike<number>, from = 0, count = values.length - from): number {
  let best = 0;
  for (let i = 1; i < count; i++) if (values[from + i] > values[from + best]) best = i;
  return best;
}
