/**
 * The raster graph: the exported inference model's forward pass (the same `lowerForward`), with
 * outputs per time step instead of sums over time, for spike rasters and "output over time" views.
 * A separate builder so that the exported model and its builder stay exactly as they are.
 */
import type { ResolvedSpec } from '../spec/validate.ts';
import { shapeSize } from '../spec/validate.ts';
import { paramShapes } from '../spec/params.ts';
import type { Tensor } from '../util/tensor.ts';
import { GraphBuilder } from './graph-builder.ts';
import { lowerForward } from './forward.ts';
import { inputShapeOf } from './train-graph.ts';

/** Name of the output with the spikes of layer `layer` at every step, `[T, B, N]`. */
export const rasterOutputName = (layer: string): string => `spikes_${layer}`;

/**
 * Name of the output with the output layer's membrane U[t] at every step, `[T, B, classes]`: the
 * readout's (whose mean over t is the logits), or a spiking output layer's before firing.
 */
export const READOUT_MEMBRANE_OUTPUT = 'readout_membrane';

export interface RasterGraphOptions {
  resolved: ResolvedSpec;
  /** Parameter values, embedded as initializers. */
  params: Map<string, Tensor>;
  metadata?: Record<string, string>;
}

export interface RasterGraph {
  model: Uint8Array;
  /** Spiking layers in network order, with their neuron count N (the flattened layer shape). */
  spikingLayers: { name: string; size: number }[];
  classes: number;
  timeSteps: number;
}

/**
 * Builds the raster graph for a whole run of T steps from zero state. Input as the exported model
 * (`input`); outputs `spikes_<layer>` `[T, B, N]` per spiking layer and `readout_membrane`
 * `[T, B, classes]`, the output layer's membrane (for a readout, its mean over t is the exported
 * model's `logits`; for a spiking output layer the logits are the counts of its `spikes_<layer>`).
 */
export function buildRasterGraph(o: RasterGraphOptions): RasterGraph {
  const { resolved } = o;
  const T = resolved.spec.timeSteps;
  const g = new GraphBuilder(`${resolved.spec.name}_raster`);
  const input = g.input('input', inputShapeOf(resolved, T));
  for (const [name] of paramShapes(resolved)) g.initializer(name, o.params.get(name)!);
  // `record` keeps every step's readout membrane; without it the lowering only sums them.
  const fwd = lowerForward(g, { resolved, steps: T, state: 'zero', record: true, trace: false, param: (n) => n }, input);
  const spikingLayers: { name: string; size: number }[] = [];
  for (const record of fwd.blocks) {
    const size = shapeSize(record.block.outShape);
    const name = record.block.neuron.name;
    if (record.spikeSteps) {
      // Each step's spikes are [B, …]; flatten and stack on a new leading time axis.
      const steps = record.spikeSteps.map((s) => g.op('Unsqueeze', [record.block.outShape.length > 1 ? g.op('Flatten', [s], { axis: 1 }, `${name}_raster_flat`) : s, g.constInt64([0])], {}, `${name}_raster_t`));
      const stacked = steps.length === 1 ? steps[0] : g.op('Concat', steps, { axis: 0 }, `${name}_raster`);
      g.output(stacked, rasterOutputName(name), [T, 'batch', size]);
      spikingLayers.push({ name, size });
    }
    if (record === fwd.blocks[fwd.blocks.length - 1]) {
      // The output layer's membrane of all steps arrives as [T·B, classes], time-major rows.
      const membrane = g.op('Reshape', [record.membrane, g.constInt64([T, -1, size])], {}, `${name}_membrane_tb`);
      g.output(membrane, READOUT_MEMBRANE_OUTPUT, [T, 'batch', size]);
    }
  }
  return { model: g.toModel(o.metadata, `${resolved.spec.name}: per-step spikes and readout membrane (snn-export raster graph)`), spikingLayers, classes: resolved.classes, timeSteps: T };
}
