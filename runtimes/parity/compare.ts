import type { RuntimeOutput } from '../runtime.ts';
import { argmax } from '../../src/train/engine.ts';

/** Parity of one runtime against the trained model, over a test set. */
export interface ParityFigures {
  runtime: string;
  samples: number;
  /** Test accuracy of this runtime. */
  accuracy: number;
  /** Share of samples whose prediction equals the trained model's. */
  predictionAgreement: number;
  /** Share of (sample, neuron) spike counts exactly equal to the trained model's, over all spiking layers. */
  spikeCountAgreement: number;
  /** Largest |logit − trained logit|. */
  maxLogitDifference: number;
  seconds: number;
}

/** Accumulates the parity figures batch by batch. */
export class ParityAccumulator {
  private samples = 0;
  private correct = 0;
  private agree = 0;
  private equalCounts = 0;
  private totalCounts = 0;
  private maxDiff = 0;
  seconds = 0;

  constructor(readonly runtime: string, private readonly classes: number) {}

  add(reference: RuntimeOutput, output: RuntimeOutput, labels: Uint8Array): void {
    const K = this.classes;
    for (let b = 0; b < labels.length; b++) {
      const p = argmax(output.logits, b * K, K);
      if (p === labels[b]) this.correct++;
      if (p === argmax(reference.logits, b * K, K)) this.agree++;
      for (let k = 0; k < K; k++) this.maxDiff = Math.max(this.maxDiff, Math.abs(output.logits[b * K + k] - reference.logits[b * K + k]));
    }
    for (const [layer, ref] of reference.spikeCounts) {
      const got = output.spikeCounts.get(layer);
      this.totalCounts += ref.length;
      if (!got) continue;
      for (let i = 0; i < ref.length; i++) if (got[i] === ref[i]) this.equalCounts++;
    }
    this.samples += labels.length;
  }

  figures(): ParityFigures {
    return {
      runtime: this.runtime, samples: this.samples, accuracy: this.correct / this.samples, predictionAgreement: this.agree / this.samples,
      spikeCountAgreement: this.totalCounts ? this.equalCounts / this.totalCounts : 1, maxLogitDifference: this.maxDiff, seconds: this.seconds,
    };
  }
}
