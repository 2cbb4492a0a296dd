import type { Command } from 'commander';
import { importNir } from '../../exporters/nir/import.ts';
import { saveCheckpoint } from '../checkpoint/checkpoint.ts';
import { SnnError } from '../errors.ts';
import type { Encoder, ResetMode } from '../spec/types.ts';
import { claimOutput } from '../util/atomic-write.ts';
import { action, int, num } from './run.ts';

function encoderOption(kind: string | undefined, seed: number | undefined): Encoder | undefined {
  if (kind === undefined) {
    if (seed !== undefined) throw new SnnError('usage', 'option --seed: only meaningful with --encoder rate');
    return undefined;
  }
  if (kind === 'direct' || kind === 'events') return { kind };
  if (kind === 'rate') return { kind, seed: seed ?? 0 };
  throw new SnnError('usage', `option --encoder: must be direct, rate or events, got '${kind}'`);
}

function resetOption(mode: string | undefined): ResetMode | undefined {
  if (mode === undefined || mode === 'subtract' || mode === 'zero') return mode;
  throw new SnnError('usage', `option --reset: must be subtract or zero, got '${mode}'`);
}

function shapeOption(v: string): number[] {
  const dims = v.split(/[,x×]/).map((d) => Number(d.trim()));
  if (!dims.length || !dims.every((d) => Number.isInteger(d) && d > 0)) throw new SnnError('usage', `option --input-shape: '${v}' is not a list of positive integers such as 1,28,28`);
  return dims;
}

/**
 * `snn-export import nir FILE -o CHECKPOINT`: a network trained elsewhere becomes a checkpoint
 * that every other command takes. A NIR graph holds neither the time step, the number of steps
 * nor the input encoding; each comes from its flag, else from the file's metadata (our own
 * exports write them), else from a default (dt 1e-4 s as snnTorch, T 25, direct input).
 */
export function registerImport(program: Command): void {
  const imp = program.command('import').description('import a network trained with another tool (formats: nir)');
  imp.command('nir').description('NIR graph (HDF5) from snnTorch, Norse, nir.write or snn-export: CubaLIF/LIF/IF, CubaLI/LI readout, Affine, Linear, Conv2d, pooling, Flatten')
    .argument('<file>', 'NIR graph file (.nir)')
    .requiredOption('-o, --output <checkpoint>', 'checkpoint to write (.safetensors)')
    .option('--dt <seconds>', 'time step the continuous time constants are sampled at (default: metadata dt, else 1e-4)', num('dt'))
    .option('--time-steps <T>', 'time steps per sample (default: metadata time_steps, else 25)', int('time-steps'))
    .option('--encoder <kind>', 'input encoder: direct, rate or events (default: metadata encoder, else direct)')
    .option('--seed <n>', 'seed of the rate encoder', int('seed'))
    .option('--reset <mode>', 'reset of the spiking layers: zero (NIR) or subtract (default: metadata reset_mode, else zero)')
    .option('--input-shape <dims>', 'input shape to present, e.g. 1,28,28 for a graph whose Input is flat [784]', shapeOption)
    .option('--name <name>', 'network name (default: metadata name, else the file name)')
    .action(action(async (file: string, opts: Record<string, unknown>) => {
      const timeSteps = opts.timeSteps as number | undefined;
      if (timeSteps !== undefined && timeSteps < 1) throw new SnnError('usage', `option --time-steps: must be at least 1, got ${timeSteps}`);
      const claim = claimOutput(opts.output as string, '-o');
      try {
        const { checkpoint, summary } = await importNir(file, {
          dt: opts.dt as number | undefined,
          timeSteps,
          encoder: encoderOption(opts.encoder as string | undefined, opts.seed as number | undefined),
          reset: resetOption(opts.reset as string | undefined),
          inputShape: opts.inputShape as number[] | undefined,
          name: opts.name as string | undefined,
        });
        saveCheckpoint(opts.output as string, checkpoint);
        process.stdout.write(`${summary} → ${opts.output as string}\n`);
      } finally {
        claim.release();
      }
    }));
}
