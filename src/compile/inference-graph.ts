/**
 * The inference graph: the forward pass of src/compile/forward.ts with the time steps unrolled.
 * Outputs `logits` `[B, classes]`, the class scores (the mean over t of the readout membrane, or
 * the spike counts of a spiking output layer: `ResolvedSpec.output`), and the spike count of every
 * spiking layer `spike_count_<layer>` `[B, N]` (docs/formats.md). Parameters are initializers
 * (the exported model) or inputs (evaluation during training, without rebuilding the session).
 * A chunked variant carries the state in and out and outputs the scores summed over its steps
 * (`readout_sum`) instead of the mean.
 */
import type { ResolvedSpec } from '../spec/validate.ts';
import { paramShapes } from '../spec/params.ts';
import type { Tensor } from '../util/tensor.ts';
import { GraphBuilder } from './graph-builder.ts';
import { lowerForward, stateShapes, stateName, isStaticBlock } from './forward.ts';
import { inputShapeOf } from './train-graph.ts';

export interface InferenceGraphOptions {
  resolved: ResolvedSpec;
  steps: number;
  /** Parameter values to embed; without them parameters are graph inputs. */
  params?: Map<string, Tensor>;
  /** State in and out, readout sum out (a chunk of a longer run). */
  chunked?: boolean;
  metadata?: Record<string, string>;
  docString?: string;
}

export interface InferenceGraph {
  model: Uint8Array;
  states: { name: string; shape: number[] }[];
  spikingLayers: string[];
  nodeCount: number;
}

/** The class scores from their sum over all T steps: the mean membrane of a readout, or the spike counts themselves. */
export function classScores(g: GraphBuilder, resolved: ResolvedSpec, sum: string, steps: number): string {
  return resolved.output === 'spikes' ? sum : g.op('Div', [sum, g.constFloat([steps])], {}, 'mean_readout');
}

export function buildInferenceGraph(o: InferenceGraphOptions): InferenceGraph {
  const { resolved, steps } = o;
  const g = new GraphBuilder(resolved.spec.name);
  const input = g.input('input', inputShapeOf(resolved, steps));
  const states: { name: string; shape: number[] }[] = [];
  if (o.chunked) {
    resolved.blocks.forEach((block, i) => {
      for (const [suffix, shape] of stateShapes(block, false, isStaticBlock(resolved, i))) {
        states.push({ name: g.input(stateName(block, suffix), ['batch', ...shape]), shape });
      }
    });
  }
  const shapes = paramShapes(resolved);
  for (const [name, shape] of shapes) {
    if (o.params) g.initializer(name, o.params.get(name)!);
    else g.input(name, shape);
  }
  const fwd = lowerForward(g, { resolved, steps, state: o.chunked ? 'io' : 'zero', record: false, trace: false, param: (n) => n }, input);
  if (o.chunked) {
    g.output(fwd.readoutSum, 'readout_sum', ['batch', resolved.classes]);
    resolved.blocks.forEach((block, i) => {
      for (const [suffix, shape] of stateShapes(block, false, isStaticBlock(resolved, i))) {
        g.output(fwd.blocks[i].finalState[suffix], `next_${stateName(block, suffix)}`, ['batch', ...shape]);
      }
    });
  } else {
    g.output(classScores(g, resolved, fwd.readoutSum, steps), 'logits', ['batch', resolved.classes]);
  }
  const spikingLayers: string[] = [];
  for (const [layer, count] of fwd.spikeCounts) {
    const n = resolved.blocks.find((b) => b.neuron.name === layer)!.outShape.reduce((a, b) => a * b, 1);
    g.output(count, `spike_count_${layer}`, ['batch', n]);
    spikingLayers.push(layer);
  }
  return { model: g.toModel(o.metadata, o.docString), states, spikingLayers, nodeCount: g.nodeCount };
}
