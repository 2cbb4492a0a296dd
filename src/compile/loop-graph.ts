/**
 * The inference graph with an ONNX `Loop` over time instead of unrolled steps: the body is one
 * step of src/compile/forward.ts with the neuron state, the class-score sum and the spike counts as
 * loop-carried values, so the graph does not grow with T. Same inputs and outputs as the
 * unrolled graph. With `direct` input the first layer's product is computed once, outside the loop.
 */
import type { ResolvedSpec } from '../spec/validate.ts';
import { paramShapes } from '../spec/params.ts';
import type { Tensor } from '../util/tensor.ts';
import { numel } from '../util/tensor.ts';
import { GraphBuilder } from './graph-builder.ts';
import { TensorDataType } from './onnx-proto.ts';
import { lowerForward, lowerSynapticInput, stateShapes, stateName, isStaticBlock } from './forward.ts';
import { inputShapeOf } from './train-graph.ts';
import type { InferenceGraph } from './inference-graph.ts';
import { classScores } from './inference-graph.ts';

export interface LoopGraphOptions {
  resolved: ResolvedSpec;
  params: Map<string, Tensor>;
  metadata?: Record<string, string>;
  docString?: string;
}

export function buildLoopInferenceGraph(o: LoopGraphOptions): InferenceGraph {
  const { resolved } = o;
  const T = resolved.spec.timeSteps;
  const direct = resolved.spec.encoder.kind === 'direct';
  const g = new GraphBuilder(resolved.spec.name);
  const input = g.input('input', inputShapeOf(resolved, T));
  for (const [name] of paramShapes(resolved)) g.initializer(name, o.params.get(name)!);

  // Zero tensors [B, …shape], with B read from the input at run time.
  const batch = g.op('Gather', [g.op('Shape', [input]), g.constInt64([direct ? 0 : 1])], { axis: 0 }, 'batch');
  const zeros = (shape: number[]) => g.op('Expand', [g.constFloat([0]), g.op('Concat', [batch, g.constInt64(shape)], { axis: 0 })], {}, 'zeros');

  let staticZ: string | undefined;
  if (direct) {
    const first = resolved.blocks[0];
    let x = input;
    for (const _ of first.pre) x = g.op('Flatten', [x], { axis: 1 });
    staticZ = lowerSynapticInput(g, first, x, { record: false, param: (n) => n }).z;
  }

  // Loop-carried values: every block's state, then the readout sum, then each spiking layer's count.
  const carried: { name: string; shape: number[] }[] = [];
  resolved.blocks.forEach((block, i) => {
    for (const [suffix, shape] of stateShapes(block, false, isStaticBlock(resolved, i))) carried.push({ name: stateName(block, suffix), shape });
  });
  carried.push({ name: 'readout_sum', shape: [resolved.classes] });
  const spiking = resolved.blocks.filter((b) => b.neuron.layer.kind === 'clif');
  for (const b of spiking) carried.push({ name: `spike_count_${b.neuron.name}`, shape: [numel(b.outShape)] });

  const body = new GraphBuilder('time_step', 'step_');
  const t = body.input('step_t', [], TensorDataType.INT64);
  const condIn = body.input('step_cond', [], TensorDataType.BOOL);
  for (const c of carried) body.input(c.name.startsWith('state_') ? c.name : `carried_${c.name}`, ['batch', ...c.shape]);
  const stepInput = direct ? input : body.op('Gather', [input, t], { axis: 0 }, 'input_t');
  const fwd = lowerForward(body, { resolved, steps: 1, state: 'io', record: false, trace: false, param: (n) => n, staticSynapticInput: staticZ }, direct ? stepInput : body.op('Unsqueeze', [stepInput, body.constInt64([0])]));
  body.output(body.op('Identity', [condIn]), 'step_cond_out', [], TensorDataType.BOOL);
  resolved.blocks.forEach((block, i) => {
    for (const [suffix, shape] of stateShapes(block, false, isStaticBlock(resolved, i))) body.output(fwd.blocks[i].finalState[suffix], `next_${stateName(block, suffix)}`, ['batch', ...shape]);
  });
  body.output(body.op('Add', ['carried_readout_sum', fwd.readoutSum]), 'next_readout_sum', ['batch', resolved.classes]);
  for (const b of spiking) {
    const n = numel(b.outShape);
    body.output(body.op('Add', [`carried_spike_count_${b.neuron.name}`, fwd.spikeCounts.get(b.neuron.name)!]), `next_spike_count_${b.neuron.name}`, ['batch', n]);
  }

  const finals = g.opN('Loop', [g.constInt64([T], []), g.constBool(true), ...carried.map((c) => zeros(c.shape))], carried.length, { body }, 'time_loop');
  const readoutSum = finals[carried.length - 1 - spiking.length];
  g.output(classScores(g, resolved, readoutSum, T), 'logits', ['batch', resolved.classes]);
  spiking.forEach((b, i) => g.output(finals[carried.length - spiking.length + i], `spike_count_${b.neuron.name}`, ['batch', numel(b.outShape)]));
  return { model: g.toModel(o.metadata, o.docString), states: [], spikingLayers: spiking.map((b) => b.neuron.name), nodeCount: g.nodeCount + body.nodeCount };
}
