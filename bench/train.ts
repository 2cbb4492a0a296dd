/**
 * `npm run bench:train`: training samples/s of the built-in networks with the peer settings of
 * the snnTorch peer benchmark (T = 25, batch 128, alpha 0.9, beta 0.8, direct input, MNIST), for the default
 * gradient and for BPTT, and the peak RSS at T = 25 and T = 100. Each figure comes from a fresh
 * child process so that peak RSS belongs to one configuration.
 *
 *   npm run bench:train [-- --quick] [-- --workers N]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { initParams } from '../src/spec/params.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { encodeBatch } from '../src/data/encode.ts';
import { TrainingEngine } from '../src/train/engine.ts';
import { DEFAULT_SETTINGS } from '../src/train/defaults.ts';
import type { GradientMode } from '../src/compile/backward.ts';
import { Random } from '../src/util/random.ts';

const WORKERS = Number(process.argv.includes('--workers') ? process.argv[process.argv.indexOf('--workers') + 1] : DEFAULT_SETTINGS.workers);

interface Measurement { arch: string; gradient: GradientMode; T: number; samplesPerSecond: number; peakRssMb: number; batches: number }

async function child(arch: string, gradient: GradientMode, T: number, batches: number): Promise<void> {
  const spec = BUILTIN_ARCHITECTURES[arch]({ alpha: 0.9, beta: 0.8, timeSteps: T, encoder: { kind: 'direct' } });
  const resolved = validateSpec(spec);
  const { train } = loadMnist();
  const engine = new TrainingEngine(resolved, initParams(resolved, 1), undefined, {
    mode: gradient, loss: DEFAULT_SETTINGS.loss, surrogate: { kind: DEFAULT_SETTINGS.surrogate, width: DEFAULT_SETTINGS.surrogateWidth }, maxChunk: DEFAULT_SETTINGS.maxChunk,
    workers: WORKERS,
  });
  const B = 128;
  const order = new Random(1).permutation(train.count);
  const warmup = 3;
  let t0 = 0;
  for (let b = 0; b < warmup + batches; b++) {
    if (b === warmup) t0 = performance.now();
    const batch = encodeBatch(spec, train, order.subarray(b * B, (b + 1) * B));
    await engine.trainBatch(batch, { lr: () => 1e-3 });
  }
  const seconds = (performance.now() - t0) / 1000;
  const m: Measurement = { arch, gradient, T, samplesPerSecond: (batches * B) / seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, batches };
  process.stdout.write(`${JSON.stringify(m)}\n`);
  await engine.dispose();
}

function measure(arch: string, gradient: GradientMode, T: number, batches: number, workers: number): Measurement {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', arch, gradient, String(T), String(batches), '--workers', String(workers)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench child ${arch} ${gradient} T=${T} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(args[1], args[2] as GradientMode, Number(args[3]), Number(args[4]));
} else {
  const quick = args.includes('--quick');
  const def = DEFAULT_SETTINGS.gradient;
  const peer: Record<string, number> = { fc: 1020, csnn: 170 };
  const target: Record<string, number> = { fc: 3060, csnn: 340 };
  const speedBatches = (arch: string) => Math.round((arch === 'fc' ? 60 : 10) * (quick ? 0.3 : 1));
  console.log(`training, MNIST, batch 128, alpha 0.9, beta 0.8, direct input, 1 intra-op thread; default gradient '${def}', loss '${DEFAULT_SETTINGS.loss}'`);
  console.log(`\nspeed at T = 25 with the default worker threads (${WORKERS === 0 ? 'automatic: 2 for conv networks on 2+ cores' : WORKERS}):`);
  console.log('arch  gradient   samples/s  vs snnTorch  target');
  for (const arch of ['fc', 'csnn']) {
    for (const gradient of [def, 'bptt'] as GradientMode[]) {
      const m = measure(arch, gradient, 25, speedBatches(arch), WORKERS);
      const tgt = gradient === def ? `≥ ${target[arch]}: ${m.samplesPerSecond >= target[arch] ? 'met' : 'NOT met'}` : '';
      console.log(`${arch.padEnd(5)} ${gradient.padEnd(9)} ${m.samplesPerSecond.toFixed(0).padStart(10)}  ${`${(m.samplesPerSecond / peer[arch]).toFixed(2)}×`.padStart(11)}  ${tgt}`);
    }
  }
  console.log('\npeak RSS, one thread (the same engine path at both lengths; T = 100 runs in chunks of 25 except for BPTT):');
  console.log('arch  gradient   T=25 MB  T=100 MB  ratio  (target ≤ 1.2 for the default gradient)');
  for (const arch of ['fc', 'csnn']) {
    for (const gradient of [def, 'bptt'] as GradientMode[]) {
      const [a, b] = [25, 100].map((T) => measure(arch, gradient, T, quick ? 2 : 3, 1));
      console.log(`${arch.padEnd(5)} ${gradient.padEnd(9)} ${a.peakRssMb.toFixed(0).padStart(8)}  ${b.peakRssMb.toFixed(0).padStart(8)}  ${(b.peakRssMb / a.peakRssMb).toFixed(2).padStart(5)}`);
    }
  }
}
