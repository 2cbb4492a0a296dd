import { Option } from 'commander';
import type { Command } from 'commander';
import type { ResetMode } from '../spec/types.ts';
import { loadCheckpoint } from '../checkpoint/checkpoint.ts';
import { loadDataset } from '../data/registry.ts';
import type { DatasetOptions } from '../data/registry.ts';
import { subset } from '../data/dataset.ts';
import { SnnError } from '../errors.ts';
import type { VerifyReport } from '../../runtimes/parity/verify.ts';
import { action, int, num } from './run.ts';

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)} %`;

function table(r: VerifyReport): string {
  const lines = [
    `${r.checkpoint}: trained model ${pct(r.trainedAccuracy)} on ${r.samples} test samples`,
    `output: ${r.output} (predicted class: the highest, ties to the lowest class index)`,
    'runtime   accuracy   prediction agreement   equal spike counts   max |Δlogit|   samples/s',
  ];
  for (const f of r.runtimes) {
    lines.push(`${f.runtime.padEnd(9)} ${pct(f.accuracy).padStart(8)}   ${pct(f.predictionAgreement, 3).padStart(20)}   ${pct(f.spikeCountAgreement, 3).padStart(18)}   ${f.maxLogitDifference.toExponential(2).padStart(12)}   ${(f.samples / f.seconds).toFixed(0).padStart(9)}`);
  }
  return lines.join('\n');
}

/**
 * `--reset-as MODE`, with the meaning it has in `export events`: the hardware simulator runs the
 * spiking layers with this reset when the target lacks the trained one (the advice of that refusal).
 */
export function resetAsOption(): Option {
  return new Option('--reset-as <mode>', "with --target: run spiking layers with this reset when the target lacks the trained one (changes the dynamics; as in export events)").choices(['zero', 'subtract']);
}

/** `snn-export verify CHECKPOINT --onnx MODEL --runtimes …`: the parity report; exits 6 below the thresholds. */
export function registerVerify(program: Command): void {
  program.command('verify')
    .description('compare the trained model with its exports in each runtime on the test set (exit 6 below the thresholds)')
    .argument('<checkpoint>', 'checkpoint file, or a pretrained model name (snn-export models)')
    .option('--onnx <model>', 'exported ONNX model (for ort-node, ort-web)')
    .option('--runtimes <names>', 'comma-separated runtimes', 'ort-node,ort-web,tfjs')
    .option('--target <profile>', 'hardware profile (for hwsim)')
    .addOption(resetAsOption())
    .option('--data-dir <dir>', 'folder of the data set (default: the one recorded in the checkpoint, or the embedded MNIST)')
    .option('--limit <n>', 'only the first N test samples', int('limit'))
    .option('--batch-size <n>', 'batch size', int('batch-size'), 500)
    .option('--min-agreement <percent>', 'minimum prediction agreement', num('min-agreement'), 100)
    .option('--min-spike-agreement <percent>', 'minimum share of equal spike counts', num('min-spike-agreement'), 99.9)
    .option('--json', 'print the report as JSON')
    .action(action(async (checkpointPath: string, o: { onnx?: string; runtimes: string; target?: string; resetAs?: ResetMode; dataDir?: string; limit?: number; batchSize: number; minAgreement: number; minSpikeAgreement: number; json?: boolean }) => {
      if (o.resetAs && !o.target) throw new SnnError('usage', 'option --reset-as applies to a hardware target: give --target NAME with --runtimes hwsim');
      if (o.target && !o.runtimes.split(',').map((s) => s.trim()).includes('hwsim')) throw new SnnError('usage', `option --target applies to the hwsim runtime: add hwsim to --runtimes (now '${o.runtimes}')`);
      const checkpoint = loadCheckpoint(checkpointPath);
      const recorded = checkpoint.dataset as { name?: string; dir?: string; options?: DatasetOptions } | undefined;
      let test = loadDataset(recorded?.name ?? 'mnist', o.dataDir ?? recorded?.dir, recorded?.options).test;
      if (o.limit) test = subset(test, o.limit);
      const { verify } = await import('../../runtimes/parity/verify.ts');
      const report = await verify({
        checkpoint, checkpointPath, test, runtimes: o.runtimes.split(',').map((s) => s.trim()).filter(Boolean), onnxPath: o.onnx, target: o.target, resetAs: o.resetAs, batchSize: o.batchSize,
        onProgress: o.json || !process.stderr.isTTY ? undefined : (d, t) => process.stderr.write(`\rverify ${d}/${t}\x1b[K`),
      });
      if (!o.json && process.stderr.isTTY) process.stderr.write('\n');
      const failing = report.runtimes.filter((f) => f.predictionAgreement * 100 < o.minAgreement - 1e-9 || f.spikeCountAgreement * 100 < o.minSpikeAgreement - 1e-9);
      process.stdout.write(o.json ? `${JSON.stringify({ ...report, thresholds: { minAgreement: o.minAgreement, minSpikeAgreement: o.minSpikeAgreement }, passed: failing.length === 0 })}\n` : `${table(report)}\n`);
      if (failing.length) {
        throw new SnnError('parityFailed', `parity below the thresholds (prediction agreement ≥ ${o.minAgreement} %, equal spike counts ≥ ${o.minSpikeAgreement} %) for: ${failing.map((f) => `${f.runtime} (${pct(f.predictionAgreement, 3)}, ${pct(f.spikeCountAgreement, 3)})`).join(', ')}`);
      }
    }));
}
