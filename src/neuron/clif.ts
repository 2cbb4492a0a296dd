/**
 * The discrete current-based LIF neuron (C-LIF), docs/neuron.md: the one statement of the equations.
 * Per layer, steps t = 0 … T−1, state zero before t = 0, float32 arithmetic:
 *
 *   I[t] = alpha · I[t−1] + z[t]                 synaptic current; z = W ⊛ s_in[t] + b
 *   U[t] = beta  · V[t−1] + I[t]                 membrane before firing
 *   s[t] = 1 if U[t] > theta else 0              strict comparison
 *   V[t] = U[t] − theta · s[t]                   reset 'subtract' (default)
 *   V[t] = U[t] · (1 − s[t])                     reset 'zero'
 *
 * The readout (decoder) has the same I and U, no threshold and no reset (V = U); the class
 * scores are the mean over t of its U[t]. A network may instead end in a spiking layer, whose
 * spike counts Σ_t s[t] are the class scores (src/spec/prediction.ts: ties to the lowest class). `alpha` is the synaptic decay and `beta` the membrane
 * decay (snnTorch's naming; DECOLLE's is the reverse).
 *
 * Every other implementation (the ONNX lowering, the TensorFlow.js reference, the integer
 * simulator) follows this order of operations, and tests compare them with `clifStep`.
 */
import type { ResetMode } from '../spec/types.ts';

export interface ClifParams {
  alpha: number;
  beta: number;
  /** Firing threshold; `undefined` for the non-spiking readout. */
  theta?: number;
  reset: ResetMode;
}

/** Per-neuron state carried from one step to the next. */
export interface ClifState {
  current: Float32Array;
  membrane: Float32Array;
}

export function zeroState(n: number): ClifState {
  return { current: new Float32Array(n), membrane: new Float32Array(n) };
}

const f = Math.fround;

/**
 * Advances one step in place. `z` is the synaptic input (weights applied, bias included).
 * Writes the membrane before firing U[t] to `membraneOut` if given and the spikes to `spikes`
 * (unless the layer is a readout). Every operation is rounded to float32 as ONNX does.
 */
export function clifStep(z: ArrayLike<number>, state: ClifState, p: ClifParams, spikes?: Float32Array, membraneOut?: Float32Array): void {
  const alpha = f(p.alpha), beta = f(p.beta);
  const { current: I, membrane: V } = state;
  const spiking = p.theta !== undefined;
  const theta = f(p.theta ?? 0);
  for (let i = 0; i < I.length; i++) {
    const cur = f(f(alpha * I[i]) + z[i]);
    const u = f(f(beta * V[i]) + cur);
    I[i] = cur;
    if (membraneOut) membraneOut[i] = u;
    if (!spiking) { V[i] = u; continue; }
    const s = u > theta ? 1 : 0;
    if (spikes) spikes[i] = s;
    V[i] = p.reset === 'subtract' ? f(u - f(theta * s)) : f(u * (1 - s));
  }
}

/** Parameters of a spec's neuron layer in the form `clifStep` takes. */
export function clifParams(layer: { kind: 'clif' | 'readout'; alpha: number; beta: number; theta?: number; reset?: ResetMode }): ClifParams {
  return layer.kind === 'clif'
    ? { alpha: layer.alpha, beta: layer.beta, theta: layer.theta ?? 1, reset: layer.reset ?? 'subtract' }
    : { alpha: layer.alpha, beta: layer.beta, reset: 'subtract' };
}
