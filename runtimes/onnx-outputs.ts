import type { RuntimeOutput } from './runtime.ts';

/** The exported model's outputs (`logits`, `spike_count_<layer>`) as a RuntimeOutput. */
export function splitOutputs(out: Record<string, Float32Array>): RuntimeOutput {
  const spikeCounts = new Map<string, Float32Array>();
  for (const [k, v] of Object.entries(out)) if (k.startsWith('spike_count_')) spikeCounts.set(k.slice('spike_count_'.length), v);
  return { logits: out.logits, spikeCounts };
}
