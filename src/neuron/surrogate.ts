/**
 * Surrogate gradients: the spike s = H(U − theta) is a step in the forward pass; training replaces
 * its derivative by a smooth window h(u), u = U − theta, of width w (docs/training.md). Exporters never
 * see these: they only matter for the backward pass.
 *
 *   fast-sigmoid  h(u) = 1 / (1 + |u|/w)²                 (snnTorch `fast_sigmoid`, slope 1/w)
 *   sigmoid       h(u) = σ(u/w)·(1 − σ(u/w)) / w           (derivative of σ(u/w); snnTorch `sigmoid`)
 *   rectangular   h(u) = 1/w if |u| < w/2 else 0           (STBP's window, unit area)
 */
export type SurrogateKind = 'fast-sigmoid' | 'sigmoid' | 'rectangular';

export interface Surrogate {
  kind: SurrogateKind;
  width: number;
}

export const SURROGATE_KINDS: readonly SurrogateKind[] = ['fast-sigmoid', 'sigmoid', 'rectangular'];

/** The surrogate derivative at u = U − theta, in float64 (for tests and documentation). */
export function surrogateDerivative(s: Surrogate, u: number): number {
  const w = s.width;
  switch (s.kind) {
    case 'fast-sigmoid': return 1 / (1 + Math.abs(u) / w) ** 2;
    case 'sigmoid': { const sig = 1 / (1 + Math.exp(-u / w)); return (sig * (1 - sig)) / w; }
    case 'rectangular': return Math.abs(u) < w / 2 ? 1 / w : 0;
  }
}
