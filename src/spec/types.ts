/**
 * The network as plain, JSON-serialisable data. Everything downstream (compiler, exporters,
 * runtimes, quantizer) reads a `NetworkSpec`; nothing here runs. Validated by `validateSpec`.
 */

/** Fully connected synapses: `z = W·x + b`, W stored `[units, inFeatures]` (PyTorch/NIR order). */
export interface DenseLayer { kind: 'dense'; name?: string; units: number; bias?: boolean }
/** 2-D convolution, weight `[channels, inChannels, kernel, kernel]` (ONNX/PyTorch/NIR order). */
export interface Conv2dLayer {
  kind: 'conv2d'; name?: string; channels: number; kernel: number; stride?: number; padding?: number; bias?: boolean;
}
/** Average pooling with window = stride = `size`, applied to the synaptic input (before the neuron). */
export interface AvgPoolLayer { kind: 'avgpool'; name?: string; size: number }
/** Max pooling with window = stride = `size`, applied to the synaptic input (before the neuron). */
export interface MaxPoolLayer { kind: 'maxpool'; name?: string; size: number }
/** Reshape `[C, H, W]` to `[C·H·W]` (row-major, as PyTorch's `flatten`). */
export interface FlattenLayer { kind: 'flatten'; name?: string }
/**
 * Current-based LIF neurons (docs/neuron.md). `alpha`: synaptic-current decay, `beta`: membrane decay
 * (snnTorch naming; DECOLLE uses the reverse), `theta`: threshold, `reset`: after a spike the
 * membrane loses `theta` ('subtract') or is set to 0 ('zero').
 */
export interface ClifLayer {
  kind: 'clif'; name?: string; alpha: number; beta: number; theta?: number; reset?: ResetMode;
}
/**
 * The decoder: C-LIF current and membrane without threshold or reset (NIR `CubaLI`). Last layer;
 * class scores are the mean over time of its membrane. A network may instead end in a spiking
 * `clif` layer, whose spike counts are the class scores (`ResolvedSpec.output`).
 */
export interface ReadoutLayer { kind: 'readout'; name?: string; alpha: number; beta: number }

export type ResetMode = 'subtract' | 'zero';
export type Layer = DenseLayer | Conv2dLayer | AvgPoolLayer | MaxPoolLayer | FlattenLayer | ClifLayer | ReadoutLayer;
export type LayerKind = Layer['kind'];

/**
 * How inputs become what the first layer sees at each step.
 * - `direct`: the analog image feeds the first layer at every step (the first layer is the encoder).
 * - `rate`: a Bernoulli spike per pixel and step with probability = intensity, seeded.
 * - `events`: the input already is `[T, 2, H, W]` event frames.
 */
export type Encoder = { kind: 'direct' } | { kind: 'rate'; seed: number } | { kind: 'events' };

export interface NetworkSpec {
  /** Format version of the spec; bumped on incompatible changes. */
  version: 1;
  name: string;
  /** Shape of one sample per time step, channels first: `[1, 28, 28]` for MNIST, `[2, H, W]` for events. */
  inputShape: number[];
  encoder: Encoder;
  /** Number of simulated time steps T. */
  timeSteps: number;
  layers: Layer[];
  /** Optional class names; their count must equal the readout size. */
  classNames?: string[];
}

export const SPEC_VERSION = 1 as const;
