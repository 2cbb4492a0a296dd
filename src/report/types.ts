/**
 * The data of a parity report: everything the HTML page shows, as plain JSON-serialisable values,
 * so that gathering (which runs models) and rendering (which only formats) stay apart and the page
 * can be tested from a fixture.
 */
import type { EpochRecord } from '../checkpoint/checkpoint.ts';
import type { LayerQuantizationReport } from '../quantize/quantize.ts';

/** What the report says about the network and where it came from. */
export interface ReportModelInfo {
  checkpointPath: string;
  onnxPath?: string;
  name: string;
  /** One line per layer, e.g. `conv2d 12×5×5`. */
  layers: string[];
  timeSteps: number;
  encoder: string;
  classNames: string[];
  /** What the class scores are, e.g. `spike counts of layer 'clif2' over 8 steps`. */
  output: string;
  parameterCount: number;
  /** Training settings as recorded in the checkpoint. */
  training?: Record<string, unknown>;
}

/** One epoch of the training history, as the report shows it. */
export type ReportEpoch = Pick<EpochRecord, 'epoch' | 'trainLoss' | 'trainAccuracy' | 'testAccuracy' | 'validationAccuracy' | 'seconds'>;

/** Mean firing of one spiking layer over the test samples, as computed by one source. */
export interface LayerSpikeRate {
  layer: string;
  neurons: number;
  /** Spikes per neuron per time step, averaged over neurons and samples. */
  rate: number;
  /** Share of neurons that never fired on any test sample. */
  silentFraction: number;
}

/** Spike rates of every spiking layer, per source (the trained model, or a runtime such as `hwsim (loihi2)`). */
export interface SpikeRateSeries {
  source: string;
  layers: LayerSpikeRate[];
}

/** Per-step activity of one test sample: the spike raster of each layer and the readout over time. */
export interface RasterSample {
  /** Index in the test set. */
  index: number;
  label: number;
  prediction: number;
  /** Per spiking layer (network order): the spikes as [time step, neuron] pairs. */
  spikes: { layer: string; neurons: number; events: [number, number][] }[];
  /** The output layer's membrane U[t] per step, `[T][classes]` (for a readout, its mean over t is the logits). */
  readoutMembrane: number[][];
}

/** One row of the parity table: a runtime (and target) against the trained model. */
export interface ParityRow {
  /** Runtime name as in runtimes/index.ts (`ort-node`, `hwsim`, …). */
  runtime: string;
  /** Hardware profile for `hwsim`. */
  target?: string;
  samples: number;
  accuracy: number;
  predictionAgreement: number;
  spikeCountAgreement: number;
  maxLogitDifference: number;
  samplesPerSecond: number;
}

/** A runtime or target that was asked for but could not run, with the reason shown in the report. */
export interface UnavailableRun {
  runtime: string;
  target?: string;
  reason: string;
}

/** Per-layer quantization error of one target, or why the network cannot be quantized for it. */
export interface TargetQuantization {
  target: string;
  /** Neuron layers that stay in float on the host (the `direct` encoder). */
  hostLayers: string[];
  layers: LayerQuantizationReport[];
  /** Set when the target refused the network (it does not fit, or the profile is unknown). */
  error?: string;
}

/** Counts of (true class, predicted class) for one source. */
export interface ConfusionMatrix {
  source: string;
  /** `counts[true][predicted]`. */
  counts: number[][];
}

/** Everything the report shows. */
export interface ReportData {
  title: string;
  /** ISO time of generation. */
  generatedAt: string;
  model: ReportModelInfo;
  history: ReportEpoch[];
  /** Test samples the parity figures, spike rates and confusion matrices are computed on. */
  testSamples: number;
  trainedAccuracy: number;
  spikeRates: SpikeRateSeries[];
  rasters: RasterSample[];
  parity: ParityRow[];
  unavailable: UnavailableRun[];
  quantization: TargetQuantization[];
  confusion: ConfusionMatrix[];
}
