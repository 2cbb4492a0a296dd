import type { Surrogate } from '../neuron/surrogate.ts';
import type { GraphBuilder } from './graph-builder.ts';

/**
 * dL/dU = dL/ds · h(U − theta), with h the surrogate of src/neuron/surrogate.ts, as ONNX nodes
 * on whole `[T·B, …]` tensors.
 */
export function lowerSurrogateProduct(g: GraphBuilder, s: Surrogate, gradSpikes: string, membrane: string, theta: number, hint: string): string {
  const u = g.op('Sub', [membrane, g.constFloat([theta])], {}, `${hint}_u`);
  const w = s.width;
  switch (s.kind) {
    case 'fast-sigmoid': {
      const d = g.op('Add', [g.op('Mul', [g.op('Abs', [u]), g.constFloat([1 / w])]), g.constFloat([1])]);
      return g.op('Div', [gradSpikes, g.op('Mul', [d, d])], {}, `${hint}_dU`);
    }
    case 'sigmoid': {
      const sig = g.op('Sigmoid', [g.op('Mul', [u, g.constFloat([1 / w])])]);
      const h = g.op('Mul', [g.op('Mul', [sig, g.op('Sub', [g.constFloat([1]), sig])]), g.constFloat([1 / w])]);
      return g.op('Mul', [gradSpikes, h], {}, `${hint}_dU`);
    }
    case 'rectangular': {
      const inside = g.op('Cast', [g.op('Less', [g.op('Abs', [u]), g.constFloat([w / 2])])], { to: 1 });
      return g.op('Mul', [gradSpikes, g.op('Mul', [inside, g.constFloat([1 / w])])], {}, `${hint}_dU`);
    }
  }
}
