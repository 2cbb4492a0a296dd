import type { Command } from 'commander';
import { EXPORTERS } from '../../exporters/index.ts';
import { loadCheckpoint } from '../checkpoint/checkpoint.ts';
import { claimOutput } from '../util/atomic-write.ts';
import { action } from './run.ts';

/** `snn-export export <format> CHECKPOINT -o OUT`, one subcommand per registered exporter. */
export function registerExport(program: Command): void {
  const exp = program.command('export').description('export a trained checkpoint (formats: ' + Object.keys(EXPORTERS).join(', ') + ')');
  for (const exporter of Object.values(EXPORTERS)) {
    const sub = exp.command(exporter.name).description(exporter.description)
      .argument('<checkpoint>', 'checkpoint file (.safetensors), or a pretrained model name (snn-export models)')
      .requiredOption('-o, --output <file>', 'output file');
    for (const o of exporter.options) sub.option(o.flags, o.description, o.defaultValue as string);
    sub.action(action(async (checkpointPath: string, opts: Record<string, unknown>) => {
      // Claimed before the checkpoint is read, so that an -o that cannot be written or that another
      // run is writing is refused before any work.
      const claim = claimOutput(opts.output as string, '-o');
      try {
        const ck = loadCheckpoint(checkpointPath);
        const summary = await exporter.export(ck, opts.output as string, opts, checkpointPath);
        process.stdout.write(`${summary}\n`);
      } finally {
        claim.release();
      }
    }));
  }
}
