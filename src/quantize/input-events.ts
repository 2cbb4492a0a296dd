/**
 * What reaches a chip: spike events per time step. For `direct` input the first block (the
 * encoder) runs here, on the host, in float with `clifStep` (docs/neuron.md), and its output spikes are
 * the events; `rate` input (already encoded by src/data/encode.ts) is the pixels' spikes; `events`
 * input is the sensor's ON/OFF counts per time bin, a count above 1 travelling as the event's
 * integer payload.
 */
import { clifParams, clifStep, zeroState } from '../neuron/clif.ts';
import type { Block } from '../spec/validate.ts';
import { shapeSize } from '../spec/validate.ts';
import type { Tensor } from '../util/tensor.ts';

/**
 * Events of one sample grouped by time step (CSR): the events of step t are
 * `addresses[offsets[t] … offsets[t+1])`, ascending. `payloads` is null when every payload is 1.
 */
export interface StepEvents {
  timeSteps: number;
  offsets: Uint32Array;
  addresses: Uint32Array;
  payloads: Int32Array | null;
}

/** Events from spikes or counts laid out `[T, N]` at `data[offset + t·stride + i]`; payloads only if some count is not 1. */
export function eventsFromDense(data: ArrayLike<number>, timeSteps: number, n: number, offset: number, stride: number): StepEvents {
  const offsets = new Uint32Array(timeSteps + 1);
  const addresses: number[] = [], payloads: number[] = [];
  let allOnes = true;
  for (let t = 0; t < timeSteps; t++) {
    offsets[t] = addresses.length;
    const base = offset + t * stride;
    for (let i = 0; i < n; i++) {
      const v = data[base + i];
      if (v === 0) continue;
      const p = Math.round(v);
      addresses.push(i); payloads.push(p);
      if (p !== 1) allOnes = false;
    }
  }
  offsets[timeSteps] = addresses.length;
  return { timeSteps, offsets, addresses: Uint32Array.from(addresses), payloads: allOnes ? null : Int32Array.from(payloads) };
}

/** Float synaptic input z of a block: weighted layer, bias, pooling (flatten is a no-op on row-major data). */
export class FloatSynapticInput {
  private readonly weightsT: Float32Array;
  private readonly bias: Float32Array | undefined;
  readonly mapSize: number;
  readonly outSize: number;

  constructor(private readonly block: Block, params: Map<string, Tensor>) {
    const w = block.weighted;
    const W = params.get(`${w.name}.weight`)!;
    this.bias = params.get(`${w.name}.bias`)?.data;
    const out = W.shape[0];
    const fan = W.data.length / out;
    // Input-major weights let the loops skip the zero inputs (most MNIST pixels).
    this.weightsT = new Float32Array(W.data.length);
    for (let o = 0; o < out; o++) for (let i = 0; i < fan; i++) this.weightsT[i * out + o] = W.data[o * fan + i];
    this.mapSize = shapeSize(w.outShape);
    this.outSize = shapeSize(block.outShape);
    this.channelLast = new Float64Array(w.layer.kind === 'conv2d' ? this.mapSize : 0);
    if (w.layer.kind === 'conv2d') {
      // Conv: the same weights with kx reversed, so that the taps of one kernel row that land in the
      // map face a contiguous stretch of the channel-last map; runs (map index, weight index,
      // length) per input position. Each map value still receives its terms in input order.
      const { kernel: k } = w.layer;
      const s = w.layer.stride ?? 1, pad = w.layer.padding ?? 0;
      const [cin, h, wd] = w.inShape;
      const [, oh, ow] = w.outShape;
      this.convWeights = new Float32Array(W.data.length);
      for (let r = 0; r < fan; r++) {
        const kx = r % k, row = r - kx + (k - 1 - kx);
        for (let o = 0; o < out; o++) this.convWeights[row * out + o] = this.weightsT[r * out + o];
      }
      const runs: number[] = [];
      this.convOffsets = new Uint32Array(cin * h * wd + 1);
      for (let c = 0, a = 0; c < cin; c++) for (let y = 0; y < h; y++) for (let xx = 0; xx < wd; xx++, a++) {
        this.convOffsets[a] = runs.length / 3;
        for (let ky = 0; ky < k; ky++) {
          const ny = y + pad - ky;
          if (ny < 0 || ny % s !== 0 || ny / s >= oh) continue;
          let open = -1;
          for (let kx = k - 1; kx >= 0; kx--) {
            const nx = xx + pad - kx;
            if (nx < 0 || nx % s !== 0 || nx / s >= ow) continue;
            if (open >= 0 && s === 1) { runs[open + 2] += out; continue; }
            open = runs.length;
            runs.push(((ny / s) * ow + nx / s) * out, ((c * k + ky) * k + (k - 1 - kx)) * out, out);
          }
        }
      }
      this.convOffsets[cin * h * wd] = runs.length / 3;
      this.convRuns = Uint32Array.from(runs);
    }
  }

  private readonly convWeights: Float32Array = new Float32Array(0);
  private readonly convOffsets: Uint32Array = new Uint32Array(0);
  private readonly convRuns: Uint32Array = new Uint32Array(0);
  /** The conv map being summed, channel-last, reused from image to image. */
  private readonly channelLast: Float64Array;

  /** z for input `x` (length = block input size); float64 sums rounded to float32 once. */
  compute(x: Float32Array): Float32Array {
    const w = this.block.weighted;
    const map = new Float64Array(this.mapSize);
    if (w.layer.kind === 'dense') {
      const out = w.layer.units;
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        if (v === 0) continue;
        const base = i * out;
        for (let o = 0; o < out; o++) map[o] += this.weightsT[base + o] * v;
      }
      if (this.bias) for (let o = 0; o < out; o++) map[o] += this.bias[o];
    } else {
      const cout = w.layer.channels;
      const [, oh, ow] = w.outShape;
      // Channel-last accumulation keeps the innermost loop contiguous.
      const channelLast = this.channelLast;
      channelLast.fill(0);
      const weights = this.convWeights, offsets = this.convOffsets, runs = this.convRuns;
      for (let a = 0; a < offsets.length - 1; a++) {
        const v = x[a];
        if (v === 0) continue;
        for (let q = offsets[a], end = offsets[a + 1]; q < end; q++) {
          const m = runs[3 * q], wAt = runs[3 * q + 1], n = runs[3 * q + 2];
          for (let i = 0; i < n; i++) channelLast[m + i] += weights[wAt + i] * v;
        }
      }
      const pools = this.block.post.filter((r) => r.layer.kind === 'maxpool' || r.layer.kind === 'avgpool');
      if (pools.length === 1 && pools[0].layer.kind === 'maxpool' && pools[0].layer.size === 2) {
        // The map value (sum + bias) and the 2×2 max pool in one pass, in the order of the general code below.
        const ph = Math.floor(oh / 2), pw = Math.floor(ow / 2);
        const out = new Float32Array(cout * ph * pw);
        const row = ow * cout;
        for (let o = 0, j = 0; o < cout; o++) {
          const b = this.bias ? this.bias[o] : 0;
          for (let y = 0; y < ph; y++) for (let xx = 0, i = 2 * y * row + o; xx < pw; xx++, j++, i += 2 * cout) {
            let acc = Math.max(-Infinity, channelLast[i] + b);
            acc = Math.max(acc, channelLast[i + cout] + b);
            acc = Math.max(acc, channelLast[i + row] + b);
            out[j] = Math.max(acc, channelLast[i + row + cout] + b);
          }
        }
        return out;
      }
      for (let o = 0; o < cout; o++) {
        const b = this.bias ? this.bias[o] : 0;
        for (let i = 0; i < oh * ow; i++) map[o * oh * ow + i] = channelLast[i * cout + o] + b;
      }
    }
    let cur: Float64Array = map;
    let shape = w.outShape;
    for (const r of this.block.post) {
      if (r.layer.kind !== 'maxpool' && r.layer.kind !== 'avgpool') continue;
      const size = r.layer.size;
      const [c, h, wd] = shape;
      const ph = Math.floor(h / size), pw = Math.floor(wd / size);
      const next = new Float64Array(c * ph * pw);
      for (let ch = 0; ch < c; ch++) for (let y = 0; y < ph; y++) for (let xx = 0; xx < pw; xx++) {
        let acc = r.layer.kind === 'maxpool' ? -Infinity : 0;
        for (let dy = 0; dy < size; dy++) for (let dx = 0; dx < size; dx++) {
          const v = cur[(ch * h + y * size + dy) * wd + xx * size + dx];
          acc = r.layer.kind === 'maxpool' ? Math.max(acc, v) : acc + v;
        }
        next[(ch * ph + y) * pw + xx] = r.layer.kind === 'maxpool' ? acc : acc / (size * size);
      }
      cur = next; shape = [c, ph, pw];
    }
    return Float32Array.from(cur);
  }
}

/**
 * The host half of a `direct`-encoded network: its first block in float, docs/neuron.md order of
 * operations via `clifStep`. Its output spikes are the chip's input events.
 */
export class HostEncoder {
  private readonly input: FloatSynapticInput;

  constructor(private readonly block: Block, params: Map<string, Tensor>, private readonly timeSteps: number) {
    this.input = new FloatSynapticInput(block, params);
  }

  /** Name of the host neuron layer. */
  get name(): string { return this.block.neuron.name; }
  /** Neurons of the host layer (= the chip's input channels). */
  get size(): number { return this.input.outSize; }

  /** Runs the encoder on one image; `spikeCounts` (length `size`), if given, receives its spike counts. */
  encode(image: Float32Array, spikeCounts?: Float32Array): StepEvents {
    const z = this.input.compute(image);
    const n = this.input.outSize;
    const state = zeroState(n);
    const p = clifParams(this.block.neuron.layer);
    const spikes = p.theta === undefined ? new Float32Array(n) : undefined;
    const offsets = new Uint32Array(this.timeSteps + 1);
    // At most n spikes per step: one buffer of T·n, trimmed at the end, instead of a growing array.
    const buffer = new Uint32Array(this.timeSteps * n);
    let count = 0;
    if (p.theta === undefined) {
      for (let t = 0; t < this.timeSteps; t++) {
        offsets[t] = count;
        clifStep(z, state, p, spikes);
        for (let i = 0; i < n; i++) if (spikes![i] !== 0) buffer[count++] = i;
      }
    } else {
      // `clifStep` inlined (the same float32 operations in the same order), collecting the spikes as they fire.
      const f = Math.fround;
      const alpha = f(p.alpha), beta = f(p.beta), theta = f(p.theta), subtract = p.reset === 'subtract';
      const I = state.current, V = state.membrane;
      for (let t = 0; t < this.timeSteps; t++) {
        offsets[t] = count;
        for (let i = 0; i < n; i++) {
          const cur = f(f(alpha * I[i]) + z[i]);
          const u = f(f(beta * V[i]) + cur);
          I[i] = cur;
          const fired = u > theta ? 1 : 0;
          V[i] = subtract ? f(u - f(theta * fired)) : f(u * (1 - fired));
          if (fired !== 0) buffer[count++] = i;
        }
      }
    }
    offsets[this.timeSteps] = count;
    const addresses = buffer.slice(0, count);
    if (spikeCounts) for (let e = 0; e < count; e++) spikeCounts[addresses[e]]++;
    return { timeSteps: this.timeSteps, offsets, addresses, payloads: null };
  }
}
