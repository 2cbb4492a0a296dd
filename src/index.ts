/**
 * The programmatic API of snn-export: the functions the CLI commands call. Define or load a network
 * (spec), train it, load and save checkpoints, export ONNX / NIR / spike-event bundles, verify
 * the exports, simulate a bundle on the integer hardware simulator, and read data sets and event
 * files. Errors a caller can cause are `SnnError`s with a `kind` and the CLI's `exitCode`.
 *
 * Functions that need onnxruntime, TensorFlow.js or h5wasm (`train`, `exportCheckpoint`,
 * `verify`, `importNir`) load them when first called, so importing this module stays cheap.
 * @module
 */

export { VERSION } from './version.ts';
export { SnnError, EXIT_CODES } from './errors.ts';
export type { ErrorKind } from './errors.ts';

// Networks
export type {
  NetworkSpec, Layer, LayerKind, DenseLayer, Conv2dLayer, AvgPoolLayer, MaxPoolLayer, FlattenLayer, ClifLayer, ReadoutLayer,
  Encoder, ResetMode,
} from './spec/types.ts';
export { SPEC_VERSION } from './spec/types.ts';
export { BUILTIN_ARCHITECTURES } from './spec/builtin.ts';
export type { BuiltinOptions } from './spec/builtin.ts';
export { validateSpec } from './spec/validate.ts';
export type { ResolvedSpec, ResolvedLayer, Block, OutputKind } from './spec/validate.ts';
export { loadSpecFile } from './spec/file.ts';
export { SPEC_LIMITS } from './spec/limits.ts';

// Training
export { train } from './api/train.ts';
export type { TrainOptions } from './api/train.ts';
export type { TrainSettings, TrainResult, TrainPosition } from './train/trainer.ts';
export { DEFAULT_SETTINGS, DEFAULT_NEURON } from './train/defaults.ts';
export { loadRecipe, recipeNames } from './train/recipes.ts';
export { targetNames, targetRules, applyTarget, checkTarget } from './train/targets.ts';
export type { TargetRules } from './train/targets.ts';
export { predictedClass } from './spec/prediction.ts';
export type { Recipe } from './train/recipes.ts';

// Checkpoints
export { loadCheckpoint, saveCheckpoint } from './checkpoint/checkpoint.ts';
export type { Checkpoint, EpochRecord, OptimizerState } from './checkpoint/checkpoint.ts';

// Export, import, verify, simulate
export { exportCheckpoint } from './api/export.ts';
export type { ExportFormat, ExportOptions } from './api/export.ts';
export { importNir } from './api/import-nir.ts';
export type { NirImportOptions, NirImportResult } from '../exporters/nir/import.ts';
export { verify } from './api/verify.ts';
export type { VerifyOptions, VerifyReport, VerifiedBatch } from '../runtimes/parity/verify.ts';
export type { ParityFigures } from '../runtimes/parity/compare.ts';
export { readBundle } from '../exporters/events/bundle.ts';
export type { EventBundle, BundleSample } from '../exporters/events/bundle.ts';
export { HwSimulator, logitsOf, argmax } from '../runtimes/hwsim/simulator.ts';
export type { SimulationResult } from '../runtimes/hwsim/simulator.ts';
export { listProfiles, loadProfile } from '../hardware-profiles/index.ts';
export type { HardwareProfile } from './quantize/profile.ts';

// Data
export { loadDataset, DATASETS } from './data/registry.ts';
export type { DatasetOptions } from './data/registry.ts';
export type { Dataset, DatasetSplits } from './data/dataset.ts';
export { subset } from './data/dataset.ts';
export { inspectFile, formatReport } from './data/inspect.ts';
export type { InspectReport } from './data/inspect.ts';
export { readEventFile, probeEventFile, streamEventFile } from './data/events/event-file.ts';
export type { ReadEventsOptions } from './data/events/event-file.ts';
export { eventStats } from './data/events/event-stream.ts';
export type { EventStream, EventFileInfo, EventChunk, EventFormat, EventStats } from './data/events/event-stream.ts';
