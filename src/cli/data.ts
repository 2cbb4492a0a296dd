import type { Command } from 'commander';
import { SnnError } from '../errors.ts';
import { formatReport, inspectFile } from '../data/inspect.ts';
import { action, int, num } from './run.ts';

/** `snn-export data inspect FILE [--json]` and `snn-export data emulate --from mnist -o DIR`. */
export function registerData(program: Command): void {
  const data = program.command('data').description('inspect data files and make emulated event data sets');

  data.command('inspect')
    .description('describe an IDX, MATLAB .mat, AEDAT 1.0/2.0/3.1 or N-MNIST .bin file: format, sizes, event statistics and checksums, label counts')
    .argument('<file>', 'the file to inspect')
    .option('--json', 'print the report as JSON')
    .action(action((file: string, opts: { json?: boolean }) => {
      const report = inspectFile(file);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    }));

  data.command('emulate')
    .description('turn MNIST into an MNIST-DVS-shaped folder of AEDAT 2.0 recordings with a DVS emulator (grabbed_data{d}/scale{s}/*.aedat)')
    .requiredOption('--from <source>', 'source images (only "mnist")')
    .requiredOption('-o, --output <dir>', 'folder to write')
    .option('--data-dir <dir>', 'MNIST IDX folder (default: the embedded copy)')
    .option('--limit <n>', 'at most N images from each MNIST split', int('limit'))
    .option('--scales <list>', 'comma-separated MNIST-DVS scales to write (4, 8, 16); the digit spans 28·scale/16 pixels', '16')
    .option('--seed <n>', 'seed of the sensor mismatch, paths and noise', int('seed'), 0)
    .option('--noise <hz>', 'background-activity noise, events per pixel per second', num('noise'), 0)
    .option('--duration <ms>', 'length of each recording in milliseconds', num('duration'), 1000)
    .option('--quiet', 'no progress on stderr')
    .action(action(async (opts: { from: string; output: string; dataDir?: string; limit?: number; scales: string; seed: number; noise: number; duration: number; quiet?: boolean }) => {
      if (opts.from !== 'mnist') throw new SnnError('usage', `option --from: '${opts.from}' is not a source (only 'mnist')`);
      const scales = opts.scales.split(',').map((s) => Number(s.trim()));
      if (scales.some((s) => !Number.isInteger(s))) throw new SnnError('usage', `option --scales: '${opts.scales}' is not a comma-separated list of integers`);
      let lastReport = 0;
      const { emulateMnistDvs } = await import('../data/emulate-mnist-dvs.ts');
      const summary = await emulateMnistDvs({
        outDir: opts.output, mnistDir: opts.dataDir, limit: opts.limit, scales, seed: opts.seed,
        emulator: { noiseHz: opts.noise, durationUs: Math.round(opts.duration * 1000) },
        onProgress: opts.quiet ? undefined : (done, total) => {
          const now = performance.now();
          if (done === total || now - lastReport > 2000) {
            lastReport = now;
            process.stderr.write(`emulate: ${done}/${total} recordings\n`);
          }
        },
      });
      process.stdout.write(`wrote ${summary.files} recordings (${summary.events} events) to ${opts.output} in ${summary.seconds.toFixed(1)} s (${(summary.files / summary.seconds).toFixed(0)} recordings/s)\n`);
    }));
}
