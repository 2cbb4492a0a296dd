/**
 * Chip time. A target whose synapses delay spikes (Loihi: one step per Dense) computes chip layer
 * l's logical step t at chip step t + delaySteps(l); the simulator runs in logical steps and this
 * is where the two are related, for the bundle, the Lava export and the tests.
 */
import type { QuantizedLayer, QuantizedNetwork } from './quantize.ts';

/** Chip steps a run of one sample needs: every layer's logical steps 0 … T − 1 (T + the last layer's delay). */
export function chipSteps(net: QuantizedNetwork): number {
  return net.timeSteps + net.layers[net.layers.length - 1].placement.delaySteps;
}

/** The chip steps (0-based, inclusive) at which a layer computes logical steps 0 … T − 1: where its spikes and readout are read. */
export function readWindow(net: QuantizedNetwork, layer: QuantizedLayer): { first: number; last: number } {
  const d = layer.placement.delaySteps;
  return { first: d, last: d + net.timeSteps - 1 };
}
