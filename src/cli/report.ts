import type { Command } from 'commander';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { loadCheckpoint } from '../checkpoint/checkpoint.ts';
import { loadDataset } from '../data/registry.ts';
import type { DatasetOptions } from '../data/registry.ts';
import type { Dataset } from '../data/dataset.ts';
import { subset } from '../data/dataset.ts';
import { SnnError } from '../errors.ts';
import type { ErrorKind } from '../errors.ts';
import type { ResetMode } from '../spec/types.ts';
import { resetAsOption } from './verify.ts';
import { validateSpec } from '../spec/validate.ts';
import { argmax } from '../train/engine.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import type { HardwareProfile } from '../quantize/profile.ts';
import { ConfusionAccumulator } from '../report/confusion.ts';
import { SpikeRateAccumulator } from '../report/spike-rates.ts';
import { recordRasters } from '../report/raster.ts';
import { quantizationErrors } from '../report/quantization.ts';
import { modelInfo, trainingHistory } from '../report/model-info.ts';
import { renderReportHtml, REPORT_SECTIONS } from '../report/html.ts';
import type { ParityRow, ReportData, UnavailableRun } from '../report/types.ts';
import { onnxExporter } from '../../exporters/onnx/index.ts';
import { loadProfile } from '../../hardware-profiles/index.ts';
import { RUNTIMES } from '../../runtimes/index.ts';
import { verify } from '../../runtimes/parity/verify.ts';
import type { VerifiedBatch, VerifyReport } from '../../runtimes/parity/verify.ts';
import { action, int } from './run.ts';

/** The runtime that executes a hardware target's integer network (runtimes/hwsim). */
const HARDWARE_RUNTIME = 'hwsim';

/** An exported ONNX model for `checkpoint`: the given file, or a fresh export in a temporary folder that `release` removes. */
export async function onnxModelFor(checkpoint: Checkpoint, checkpointPath: string, onnxPath?: string): Promise<{ path: string; release(): void }> {
  if (onnxPath) return { path: onnxPath, release() { /* the user's file stays */ } };
  const dir = mkdtempSync(join(tmpdir(), 'snn-export-'));
  const path = join(dir, 'model.onnx');
  await onnxExporter.export(checkpoint, path, {}, checkpointPath);
  return { path, release: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The test set recorded in the checkpoint (or `dataDir`), cut to `limit` samples. */
export function testSetOf(checkpoint: Checkpoint, dataDir?: string, limit?: number): Dataset {
  // The reading options recorded with the data set (event frames T, crop) give the shape trained on.
  const recorded = checkpoint.dataset as { name?: string; dir?: string; options?: DatasetOptions } | undefined;
  const test = loadDataset(recorded?.name ?? 'mnist', dataDir ?? recorded?.dir, recorded?.options).test;
  return limit ? subset(test, limit) : test;
}

const toRow = (f: VerifyReport['runtimes'][number], target?: string): ParityRow => ({
  runtime: f.runtime, target, samples: f.samples, accuracy: f.accuracy, predictionAgreement: f.predictionAgreement,
  spikeCountAgreement: f.spikeCountAgreement, maxLogitDifference: f.maxLogitDifference, samplesPerSecond: f.seconds > 0 ? f.samples / f.seconds : 0,
});

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0];

interface ReportOptions { onnx?: string; targets: string; runtimes: string; resetAs?: ResetMode; dataDir?: string; limit?: number; batchSize: number; rasterSamples: number; out: string }

/** Runs the parity checks, gathers the figures and writes the HTML report. */
async function buildReport(checkpointPath: string, o: ReportOptions): Promise<{ data: ReportData; html: string; failedKinds: ErrorKind[] }> {
  const checkpoint = loadCheckpoint(checkpointPath);
  const resolved = validateSpec(checkpoint.spec);
  const test = testSetOf(checkpoint, o.dataDir, o.limit);
  const names = (list: string) => list.split(',').map((s) => s.trim()).filter(Boolean);
  const targets = names(o.targets);
  const unavailable: UnavailableRun[] = [];
  /** The kind of error that stopped each requested run that did not happen: the exit code. */
  const failedKinds: ErrorKind[] = [];
  const notRun = (run: UnavailableRun, err: unknown) => { unavailable.push(run); failedKinds.push(err instanceof SnnError ? err.kind : 'internal'); };
  const runtimes = names(o.runtimes);

  const model = await onnxModelFor(checkpoint, checkpointPath, o.onnx);
  const classes = resolved.classes;
  const confusion = new Map<string, ConfusionAccumulator>();
  const confusionOf = (source: string) => confusion.get(source) ?? confusion.set(source, new ConfusionAccumulator(source, classes)).get(source)!;
  const trainedRates = new SpikeRateAccumulator('trained model', resolved.spec.timeSteps);
  const targetRates: SpikeRateAccumulator[] = [];
  const parity: ParityRow[] = [];
  const wrongByTrained: number[] = [];
  let trainedAccuracy = NaN;
  const progress = (what: string) => (process.stderr.isTTY ? (d: number, t: number) => process.stderr.write(`\r${what} ${d}/${t}\x1b[K${d === t ? '\n' : ''}`) : undefined);

  /** One `verify` run; the trained model's figures are taken from the first run only (they are the same in every run). */
  const run = async (list: string[], target?: string): Promise<void> => {
    const first = Number.isNaN(trainedAccuracy);
    const rates = target ? new SpikeRateAccumulator(`${HARDWARE_RUNTIME} (${target})`, resolved.spec.timeSteps) : undefined;
    const report = await verify({
      checkpoint, checkpointPath, test, runtimes: list, onnxPath: model.path, target, resetAs: o.resetAs, batchSize: o.batchSize,
      onProgress: progress(`parity ${target ? `${HARDWARE_RUNTIME} (${target})` : list.join(', ') || 'trained model'}`),
      onBatch: (b: VerifiedBatch) => {
        if (first) {
          confusionOf('trained model').add(b.reference.logits, b.labels);
          trainedRates.add(b.reference.spikeCounts, b.labels.length);
          b.indices.forEach((index, i) => { if (argmax(b.reference.logits, i * classes, classes) !== b.labels[i]) wrongByTrained.push(index); });
        }
        for (const [name, out] of b.outputs) {
          confusionOf(target ? `${name} (${target})` : name).add(out.logits, b.labels);
          rates?.add(out.spikeCounts, b.labels.length);
        }
      },
    });
    if (first) trainedAccuracy = report.trainedAccuracy;
    parity.push(...report.runtimes.map((f) => toRow(f, target)));
    if (rates) targetRates.push(rates);
  };

  try {
    try {
      await run(runtimes);
    } catch (err) {
      // One runtime that cannot start should not hide the others: retry them one by one.
      if (!(err instanceof SnnError) || err.kind !== 'internal' || runtimes.length < 2) throw err;
      for (const r of runtimes) {
        try { await run([r]); } catch (e) { notRun({ runtime: r, reason: firstLine(e) }, e); }
      }
      if (Number.isNaN(trainedAccuracy)) await run([]);
    }
    for (const target of targets) {
      try { await run([HARDWARE_RUNTIME], target); } catch (err) { notRun({ runtime: HARDWARE_RUNTIME, target, reason: firstLine(err) }, err); }
    }
  } finally {
    model.release();
  }

  const profiles = targets.map((name): { name: string; profile?: HardwareProfile; error?: string } => {
    try { return { name, profile: loadProfile(name) }; } catch (err) { return { name, error: firstLine(err) }; }
  });
  // The raster shows a few samples the trained model gets right and, if there is one, one it gets wrong.
  const rasterCount = Math.min(o.rasterSamples, test.count);
  const wrong = wrongByTrained.slice(0, rasterCount > 1 ? 1 : 0);
  const rasterIndices = [...Array.from({ length: rasterCount - wrong.length }, (_, i) => i), ...wrong];
  const data: ReportData = {
    title: `snn-export parity report: ${resolved.spec.name}`,
    generatedAt: new Date().toISOString(),
    model: modelInfo(checkpoint, checkpointPath, o.onnx),
    history: trainingHistory(checkpoint),
    testSamples: test.count,
    trainedAccuracy,
    spikeRates: [trainedRates.series(), ...targetRates.map((r) => r.series())],
    rasters: await recordRasters(checkpoint, test, rasterIndices),
    parity,
    unavailable,
    quantization: quantizationErrors(checkpoint, profiles, { resetOverride: o.resetAs }),
    confusion: [...confusion.values()].map((c) => c.matrix()),
  };
  return { data, html: renderReportHtml(data), failedKinds };
}

/** Refuses, before any work, runtimes that do not exist and flags that cannot apply. */
function checkRequestedRuns(o: ReportOptions): void {
  const names = (list: string) => list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of names(o.runtimes)) {
    if (r === HARDWARE_RUNTIME) throw new SnnError('usage', `option --runtimes: '${r}' runs hardware targets, which report takes from --targets (e.g. --targets loihi2)`);
    if (!RUNTIMES[r]) throw new SnnError('usage', `option --runtimes: '${r}' is not one of ${Object.keys(RUNTIMES).filter((n) => n !== HARDWARE_RUNTIME).join(', ')}`);
  }
  if (names(o.targets).length && !RUNTIMES[HARDWARE_RUNTIME]) throw new SnnError('usage', `option --targets: the hardware simulator runtime '${HARDWARE_RUNTIME}' is not registered`);
  if (o.resetAs && !names(o.targets).length) throw new SnnError('usage', 'option --reset-as applies to hardware targets: give --targets NAME');
}

/** `snn-export report CHECKPOINT [--onnx MODEL] [--targets …] -o report.html`: one self-contained HTML parity report. */
export function registerReport(program: Command): void {
  program.command('report')
    .description('write one self-contained HTML report: training curves, spike rates and rasters, parity across runtimes and targets, quantization error, confusion matrix')
    .argument('<checkpoint>', 'checkpoint file, or a pretrained model name (snn-export models)')
    .option('--onnx <model>', 'exported ONNX model (default: exported from the checkpoint into a temporary file)')
    .option('--targets <profiles>', 'comma-separated hardware profiles to simulate (hwsim) and quantize, e.g. loihi2,generic-int8', '')
    .option('--runtimes <names>', 'comma-separated runtimes besides the hardware simulator', 'ort-node,ort-web,tfjs')
    .addOption(resetAsOption())
    .option('--data-dir <dir>', 'folder of the data set (default: the one recorded in the checkpoint, or the embedded MNIST)')
    .option('--limit <n>', 'only the first N test samples', int('limit'))
    .option('--batch-size <n>', 'batch size', int('batch-size'), 500)
    .option('--raster-samples <n>', 'test samples shown in the spike rasters', int('raster-samples'), 3)
    .option('-o, --out <file>', 'HTML file (written atomically)', 'report.html')
    .action(action(async (checkpointPath: string, o: ReportOptions) => {
      if (o.rasterSamples < 0) throw new SnnError('usage', 'option --raster-samples: must be ≥ 0');
      checkRequestedRuns(o);
      const { data, html, failedKinds } = await buildReport(checkpointPath, o);
      writeFileAtomic(o.out, html);
      const lines = [
        `wrote ${o.out} (${(statSync(o.out).size / 1e6).toFixed(2)} MB; sections: ${REPORT_SECTIONS.map((s) => s.id).join(', ')})`,
        `output: ${data.model.output}`,
        `trained model ${(data.trainedAccuracy * 100).toFixed(2)} % on ${data.testSamples} test samples; ${data.parity.map((r) => `${r.target ? `${r.runtime} (${r.target})` : r.runtime} agreement ${(r.predictionAgreement * 100).toFixed(2)} %`).join(', ')}`,
        ...data.unavailable.map((u) => `not run: ${u.target ? `${u.runtime} (${u.target})` : u.runtime}: ${u.reason}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      // A requested runtime or target that did not run is a failure, even though the report shows why.
      if (failedKinds.length) {
        throw new SnnError(failedKinds[0], `${o.out} is written, but not every requested run ran: ${data.unavailable.map((u) => `${u.target ? `${u.runtime} (${u.target})` : u.runtime}: ${u.reason}`).join('; ')}`);
      }
    }));
}
