import type { TrainSettings } from './trainer.ts';

/**
 * The project's default training settings, chosen by measured 1-epoch MNIST `fc` accuracy
 * (README, "How the defaults were chosen").
 */
export const DEFAULT_SETTINGS: TrainSettings = {
  epochs: 1,
  batchSize: 64,
  lr: 3e-3,
  lrSchedule: 'cosine',
  seed: 1,
  gradient: 'trace',
  loss: 'mean',
  surrogate: 'fast-sigmoid',
  surrogateWidth: 0.2,
  maxChunk: 25,
  initGain: 1,
  skip: 'none',
  freezeout: 'none',
  augment: 'none',
  dropout: 0,
  labelSmoothing: 0,
  averaging: 0,
  workers: 0,
};

/** Default neuron constants and run length of the built-in architectures. */
export const DEFAULT_NEURON = { alpha: 0.3, beta: 0.5, theta: 1, timeSteps: 8 };
