import type { Encoder, NetworkSpec, ResetMode } from './types.ts';
import { SPEC_VERSION } from './types.ts';

/** Neuron constants and run length shared by the built-in architectures. */
export interface BuiltinOptions {
  alpha: number;
  beta: number;
  theta?: number;
  reset?: ResetMode;
  timeSteps: number;
  encoder: Encoder;
  inputShape?: number[];
  classes?: number;
}

type Builder = (o: BuiltinOptions) => NetworkSpec;

const neuron = (o: BuiltinOptions) => ({ kind: 'clif' as const, alpha: o.alpha, beta: o.beta, theta: o.theta ?? 1, reset: o.reset ?? 'subtract' });
const readout = (o: BuiltinOptions) => ({ kind: 'readout' as const, alpha: o.alpha, beta: o.beta });
const base = (name: string, o: BuiltinOptions) => ({
  version: SPEC_VERSION, name, inputShape: o.inputShape ?? [1, 28, 28], encoder: o.encoder, timeSteps: o.timeSteps,
});

/**
 * The built-in architectures, in the exact layer order of the peer benchmark (docs/neuron.md):
 * - `fc`: 784-800-10.
 * - `csnn`: 12C5-MP2-64C5-MP2-FC10 (pooling on the synaptic input, before the neuron).
 */
export const BUILTIN_ARCHITECTURES: Record<string, Builder> = {
  fc: (o) => ({
    ...base('fc', o),
    layers: [{ kind: 'flatten' }, { kind: 'dense', units: 800 }, neuron(o), { kind: 'dense', units: o.classes ?? 10 }, readout(o)],
  }),
  csnn: (o) => ({
    ...base('csnn', o),
    layers: [
      { kind: 'conv2d', channels: 12, kernel: 5 }, { kind: 'maxpool', size: 2 }, neuron(o),
      { kind: 'conv2d', channels: 64, kernel: 5 }, { kind: 'maxpool', size: 2 }, neuron(o),
      { kind: 'flatten' }, { kind: 'dense', units: o.classes ?? 10 }, readout(o),
    ],
  }),
};
