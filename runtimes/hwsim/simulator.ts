/**
 * The integer hardware simulator: runs a `QuantizedNetwork` on spike events, time-stepped and
 * event-driven, with the arithmetic of its profile reproduced exactly.
 *
 * Per logical step t, layer by layer (a profile's synaptic delay only relabels chip steps, see
 * `LayerPlacement.delaySteps`; the bias enters the current like the weighted input, so the
 * relabelling is exact):
 *
 *   acc   = Σ over input events (i, p) of w[j, i]·p      only the targets of each event are touched
 *   z     = ((acc shifted by e) << inputShift) + bias     e ≥ 0: left shift; e < 0: flooring right shift
 *   z     = max or sum of z over the pooling window       (if the layer pools its synaptic input)
 *   I     = overflow_I(decay_I(I) + z)
 *   U     = overflow_V(decay_V(V) + I)
 *   spike = U > threshold << thresholdShift               (not for the readout)
 *   V     = 0 | U − (threshold << thresholdShift) | U     reset zero | subtract | readout
 *
 * With `intermediate: int32` (Lava) acc, the shifted sum, z, and both sums before the overflow
 * rule wrap as 32-bit integers. The work per step is one pass over the neurons (decay cannot be
 * skipped) plus the synaptic events: never neurons × inputs. The synaptic events, by far the
 * most work, run as WebAssembly SIMD additions (scatter-wasm.ts).
 */
import { SnnError } from '../../src/errors.ts';
import type { StepEvents } from '../../src/quantize/input-events.ts';
import type { Register } from '../../src/quantize/integer.ts';
import { overflow, register } from '../../src/quantize/integer.ts';
import { val } from '../../src/quantize/profile.ts';
import type { QuantizedLayer, QuantizedNetwork } from '../../src/quantize/quantize.ts';
import { shapeSize } from '../../src/spec/validate.ts';
import { Arena, arenaBytes } from './scatter-wasm.ts';

/** What one simulated sample produces. */
export interface SimulationResult {
  /** Σ over t of the readout membrane U[t], integer state units, per readout neuron. */
  readoutSum: Float64Array;
  /** Spike counts per neuron, per spiking chip layer (in order). */
  spikeCounts: Uint32Array[];
  /** Synaptic events: (spike, target neuron) pairs processed, over all layers and steps. */
  synapticEvents: number;
  /** Input events consumed. */
  inputEvents: number;
}

/** Sees one layer after one step (for tests and traces); the arrays are the simulator's own, valid only during the call. */
export type StepObserver = (t: number, layer: number, spikes: Uint32Array, current: ArrayLike<number>, membrane: ArrayLike<number>) => void;

/**
 * Everything about a layer the inner loops need, precomputed once. The weighted sum is a
 * scatter driven by a synapse table: input address a owns the (accumulator row, weight row)
 * pairs `tablePairs[2q], tablePairs[2q+1]` for q in [tableOffsets[a], tableOffsets[a+1]), byte
 * offsets, each row `paddedChannels` int32 wide (channels rounded up to 4 for the SIMD lanes).
 * Dense: one pair per input (row 0 of the accumulator, weight row a). Conv: one pair per kernel
 * position that lands inside the output map; the accumulator is channel-last ([oy][ox][c]).
 */
interface LayerKernel {
  q: QuantizedLayer;
  paddedChannels: number;
  /** Byte offsets in the arena. */
  weightsPtr: number;
  accPtr: number;
  tableOffsetsPtr: number;
  tablePairsPtr: number;
  spikesPtr: number;
  weights: Int32Array;
  acc: Int32Array;
  tableOffsets: Uint32Array;
  tablePairs: Uint32Array;
  /** Synaptic events one spike of each input address causes. */
  fanOut: Uint32Array;
  /** Largest |weighted sum| per unit of input payload: max over outputs of Σ|w|. */
  accumulatorBound: number;
  /**
   * True when no 32-bit wrap can happen between the accumulator and the pooled z (|sums| < 2^31 by
   * `accumulatorBound`): the int32 arithmetic then equals exact arithmetic and takes the faster path.
   */
  wrapFree: boolean;
  /** The bias per channel, zeros when the layer has none. */
  biasOrZero: Float64Array;
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

/** The synapse table of a layer (see `LayerKernel`), as plain arrays. */
function synapseTable(q: QuantizedLayer, padded: number): { offsets: Uint32Array; pairs: number[] } {
  const inSize = shapeSize(q.inShape);
  const offsets = new Uint32Array(inSize + 1);
  const pairs: number[] = [];
  if (q.kind === 'dense') {
    for (let a = 0; a < inSize; a++) { offsets[a] = a; pairs.push(0, a * padded * 4); }
    offsets[inSize] = inSize;
    return { offsets, pairs };
  }
  const [, h, w] = q.inShape;
  const [, oh, ow] = q.mapShape;
  const k = q.kernel, s = q.stride, pad = q.padding;
  for (let a = 0; a < inSize; a++) {
    offsets[a] = pairs.length / 2;
    const c = Math.floor(a / (h * w)), y = Math.floor(a / w) % h, x = a % w;
    for (let ky = 0; ky < k; ky++) {
      const ny = y + pad - ky;
      if (ny < 0 || ny % s !== 0 || ny / s >= oh) continue;
      for (let kx = 0; kx < k; kx++) {
        const nx = x + pad - kx;
        if (nx < 0 || nx % s !== 0 || nx / s >= ow) continue;
        pairs.push(((ny / s) * ow + nx / s) * padded * 4, ((c * k + ky) * k + kx) * padded * 4);
      }
    }
  }
  offsets[inSize] = pairs.length / 2;
  return { offsets, pairs };
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
  get simd(): boolean { return this.arena.scatter !== undefined; }
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
      const padded = Math.ceil(q.channels / 4) * 4;
      const rows = q.kind === 'dense' ? shapeSize(q.inShape) : q.inShape[0] * q.kernel * q.kernel;
      const positions = q.kind === 'dense' ? 1 : q.mapShape[1] * q.mapShape[2];
      return { q, padded, rows, positions, table: synapseTable(q, padded) };
    });
    const inputSize = shapeSize(net.inputShape);
    this.arena = new Arena(arenaBytes([inputSize, ...plans.flatMap((p) => [p.rows * p.padded, p.positions * p.padded, p.table.offsets.length, p.table.pairs.length, shapeSize(p.q.outShape)])]), options.simd ?? true);
    this.inputPtr = this.arena.alloc(inputSize);
    this.inputAddresses = this.arena.uint32(this.inputPtr, inputSize);
    this.kernels = plans.map(({ q, padded, rows, positions, table }) => {
      const size = shapeSize(q.outShape);
      const out = q.channels;
      const fan = q.weights.length / out;
      const arena = this.arena;
      const weightsPtr = arena.alloc(rows * padded);
      const weights = arena.int32(weightsPtr, rows * padded);
      // [out][in] or [cout][cin][ky][kx] → one row per input (dense) or kernel tap (conv), channels contiguous.
      for (let o = 0; o < out; o++) for (let r = 0; r < fan; r++) weights[r * padded + o] = q.weights[o * fan + r];
      const accPtr = arena.alloc(positions * padded);
      const tableOffsetsPtr = arena.alloc(table.offsets.length);
      const tableOffsets = arena.uint32(tableOffsetsPtr, table.offsets.length);
      tableOffsets.set(table.offsets);
      const tablePairsPtr = arena.alloc(table.pairs.length);
      const tablePairs = arena.uint32(tablePairsPtr, table.pairs.length);
      tablePairs.set(table.pairs);
      const fanOut = new Uint32Array(table.offsets.length - 1);
      for (let a = 0; a < fanOut.length; a++) fanOut[a] = (table.offsets[a + 1] - table.offsets[a]) * out;
      const spikesPtr = arena.alloc(size);
      const fire = new Float64Array(out);
      for (let c = 0; c < q.threshold.length; c++) fire[c] = q.threshold[c] * shift;
      return {
        q, paddedChannels: padded, weightsPtr, accPtr, tableOffsetsPtr, tablePairsPtr, spikesPtr,
        weights, acc: arena.int32(accPtr, positions * padded), tableOffsets, tablePairs, fanOut,
        accumulatorBound: accumulatorBound(q),
        wrapFree: false,
        biasOrZero: q.bias ? Float64Array.from(q.bias) : new Float64Array(out),
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
    this.kernels.forEach((k, l) => { k.wrapFree = this.wrapFree(k, 1); });
  }

  /** See `LayerKernel.wrapFree`; `payload` is the largest input payload. */
  private wrapFree(k: LayerKernel, payload: number): boolean {
    const q = k.q;
    const area = q.pool?.kind === 'sum' ? q.pool.size ** 2 : 1;
    const maxBias = q.bias ? Math.max(0, ...Array.from(q.bias, Math.abs)) : 0;
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
    const readout = layers[layers.length - 1];
    const readoutSum = new Float64Array(readout.size);
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
        k.acc.fill(0);
        if (l === 0) {
          synapticEvents += this.scatterInput(k, input, from, to);
        } else {
          const prev = layers[l - 1];
          synapticEvents += this.scatter(k, prev.spikes, prev.spikesPtr, 0, prev.spikeCount);
        }
        this.updateNeurons(k, readoutSum);
        if (observe) observe(t, l, k.spikes.subarray(0, k.q.readout ? 0 : k.spikeCount), k.current, k.membrane);
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
    if (input.payloads === null && this.arena.scatter) {
      this.inputAddresses.set(input.addresses.subarray(from, to));
      return this.scatter(k, this.inputAddresses, this.inputPtr, 0, to - from);
    }
    return this.scatterJs(k, input.addresses, input.payloads, from, to);
  }

  /** Binary spikes at `addresses[from … to)` (also at byte offset `addressesPtr` in the arena). */
  private scatter(k: LayerKernel, addresses: Uint32Array, addressesPtr: number, from: number, to: number): number {
    if (!this.arena.scatter) return this.scatterJs(k, addresses, null, from, to);
    this.arena.scatter(k.accPtr, k.weightsPtr, k.tableOffsetsPtr, k.tablePairsPtr, addressesPtr, from, to, k.paddedChannels / 4);
    let events = 0;
    for (let e = from; e < to; e++) events += k.fanOut[addresses[e]];
    return events;
  }

  /** The same scatter in JavaScript, with payloads; Int32Array stores wrap like the SIMD lanes. */
  private scatterJs(k: LayerKernel, addresses: Uint32Array, payloads: Int32Array | null, from: number, to: number): number {
    const { acc, weights, tableOffsets, tablePairs, fanOut } = k;
    const out = k.q.channels;
    let events = 0;
    for (let e = from; e < to; e++) {
      const a = addresses[e];
      const p = payloads === null ? 1 : payloads[e];
      for (let q = tableOffsets[a]; q < tableOffsets[a + 1]; q++) {
        const accRow = tablePairs[2 * q] / 4, wRow = tablePairs[2 * q + 1] / 4;
        for (let o = 0; o < out; o++) acc[accRow + o] += weights[wRow + o] * p;
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
  private synapticInputs(k: LayerKernel): void {
    const q = k.q, acc = k.acc, scaled = k.scaled, z = k.z, bias = k.biasOrZero;
    const padded = k.paddedChannels, out = q.channels;
    const positions = acc.length / padded;
    const e = q.weightExponent;
    if ((!this.int32 || k.wrapFree) && e >= 0 && q.pool) {
      // Exact sums scaled by a power of two are monotonic and linear: pool the raw sums, then scale the (fewer) results.
      this.poolThenScale(k);
      return;
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
      return;
    }
    const outH = k.outH, outW = k.outW, mapW = k.mapW;
    const pool = q.pool;
    if (!pool) {
      for (let c = 0, j = 0; c < out; c++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++, j++) z[j] = scaled[(oy * mapW + ox) * padded + c];
      return;
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
  }

  /** z for a pooled conv layer with exact sums and e ≥ 0: max(a)·2^k + b and Σ(a·2^k + b) = 2^k·Σa + size²·b. */
  private poolThenScale(k: LayerKernel): void {
    const q = k.q, acc = k.acc, z = k.z, bias = k.biasOrZero, pool = q.pool!;
    const padded = k.paddedChannels, out = q.channels, outH = k.outH, outW = k.outW;
    const size = pool.size, rowStride = k.mapW * padded, mul = k.exponentScale;
    const mapW = k.mapW;
    if (pool.kind === 'max' && size === 2) {
      // The common 2×2 window, unrolled: the generic loops below spend more on loop control than on the four reads.
      for (let c = 0, j = 0; c < out; c++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++, j++) {
        const i = (2 * oy * mapW + 2 * ox) * padded + c;
        const a = acc[i], b = acc[i + padded], d = acc[i + rowStride], e = acc[i + rowStride + padded];
        const top = a > b ? a : b, bottom = d > e ? d : e;
        z[j] = (top > bottom ? top : bottom) * mul + bias[c];
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
  }

  private updateNeurons(k: LayerKernel, readoutSum: Float64Array): void {
    this.synapticInputs(k);
    const q = k.q, z = k.z;
    const I = k.current, V = k.membrane, fire = k.fire, spikes = k.spikes;
    const cr = this.currentReg, mr = this.membraneReg;
    const cMin = cr.min, cMax = cr.max, mMin = mr.min, mMax = mr.max;
    const one = this.decayOne, kind = this.decayKind, int32 = this.int32;
    const dI = q.currentDecay, dV = q.membraneDecay;
    const retainI = one - dI, retainV = one - dV;
    const shiftI = 2 ** dI, shiftV = 2 ** dV;
    const perChannel = k.size / q.channels;
    const readout = q.readout, zero = q.reset === 'zero';
    let count = 0;
    for (let j = 0; j < k.size; j++) {
      let cur: number, decayedV: number;
      if (kind === 'fraction') {
        cur = Math.trunc((I[j] * retainI) / one) + z[j];
        decayedV = Math.trunc((V[j] * retainV) / one);
      } else if (kind === 'shift') {
        cur = I[j] - Math.floor(I[j] / shiftI) + z[j];
        decayedV = V[j] - Math.floor(V[j] / shiftV);
      } else {
        cur = z[j];
        decayedV = V[j];
      }
      if (int32) cur |= 0;
      if (cur < cMin || cur > cMax) cur = overflow(cur, cr);
      let mem = decayedV + cur;
      if (int32) mem |= 0;
      if (mem < mMin || mem > mMax) mem = overflow(mem, mr);
      I[j] = cur;
      if (readout) {
        V[j] = mem;
        readoutSum[j] += mem;
        continue;
      }
      const f = fire[perChannel === 1 ? j : Math.floor(j / perChannel)];
      if (mem > f) {
        spikes[count++] = j;
        let after = zero ? 0 : mem - f;
        if (after < mMin || after > mMax) after = overflow(after, mr);
        V[j] = after;
      } else {
        V[j] = mem;
      }
    }
    k.spikeCount = count;
  }
}

/** max over outputs of Σ|w| of its inputs: the largest weighted sum one binary input step can make. */
function accumulatorBound(q: QuantizedLayer): number {
  const fan = q.weights.length / q.channels;
  let bound = 0;
  for (let o = 0; o < q.channels; o++) {
    let sum = 0;
    for (let i = o * fan; i < (o + 1) * fan; i++) sum += Math.abs(q.weights[i]);
    bound = Math.max(bound, sum);
  }
  return bound;
}

/** Mean readout membrane per class in float units (the logits), from a result. */
export function logitsOf(net: QuantizedNetwork, result: SimulationResult, out: Float32Array = new Float32Array(net.classes), offset = 0): Float32Array {
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
