import type { SpikeRateSeries } from './types.ts';

/**
 * Mean firing per spiking layer from per-sample spike counts (`[B, N]` per layer, summed over the
 * T steps), accumulated batch by batch. Also tracks which neurons ever fired, because a layer
 * with many silent neurons is a deployment smell (wasted cores) even when its mean rate looks fine.
 */
export class SpikeRateAccumulator {
  private readonly totals = new Map<string, number>();
  private readonly fired = new Map<string, Uint8Array>();
  private samples = 0;

  constructor(readonly source: string, private readonly timeSteps: number) {}

  add(spikeCounts: Map<string, Float32Array>, batchSize: number): void {
    for (const [layer, counts] of spikeCounts) {
      const n = counts.length / batchSize;
      let fired = this.fired.get(layer);
      if (!fired) this.fired.set(layer, (fired = new Uint8Array(n)));
      let sum = 0;
      for (let i = 0; i < counts.length; i++) {
        sum += counts[i];
        if (counts[i] > 0) fired[i % n] = 1;
      }
      this.totals.set(layer, (this.totals.get(layer) ?? 0) + sum);
    }
    this.samples += batchSize;
  }

  series(): SpikeRateSeries {
    return {
      source: this.source,
      layers: [...this.totals].map(([layer, total]) => {
        const fired = this.fired.get(layer)!;
        const neurons = fired.length;
        const active = fired.reduce((a, b) => a + b, 0);
        return { layer, neurons, rate: total / (neurons * this.samples * this.timeSteps), silentFraction: (neurons - active) / neurons };
      }),
    };
  }
}
