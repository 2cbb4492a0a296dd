import { argmax } from '../train/engine.ts';
import type { ConfusionMatrix } from './types.ts';

/** Counts (true class, predicted class) batch by batch; the prediction is the argmax of the logits. */
export class ConfusionAccumulator {
  private readonly counts: number[][];

  constructor(readonly source: string, private readonly classes: number) {
    this.counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  }

  /** `logits` `[B, classes]` for the samples with `labels`. */
  add(logits: Float32Array, labels: ArrayLike<number>): void {
    for (let b = 0; b < labels.length; b++) this.counts[labels[b]][argmax(logits, b * this.classes, this.classes)]++;
  }

  matrix(): ConfusionMatrix {
    return { source: this.source, counts: this.counts.map((row) => [...row]) };
  }
}
