import type { Command } from 'commander';
import { modelFile, readManifest } from '../models/manifest.ts';
import type { PretrainedModel } from '../models/manifest.ts';
import { action } from './run.ts';

const pct = (a: { samples: number; correct: number }): string => `${((100 * a.correct) / a.samples).toFixed(2)} %`;

function row(m: PretrainedModel): string[] {
  return [m.name, pct(m.accuracy.all), pct(m.accuracy.first1000), `${(m.bytes / 1e6).toFixed(2)} MB`, m.training.recipe ?? m.training.command, m.description];
}

/** `snn-export models`: the pretrained checkpoints shipped with the package. */
export function registerModels(program: Command): void {
  program.command('models')
    .description('list the pretrained models shipped with snn-export; every command that reads a checkpoint (export, verify, report, serve) accepts a model\'s name instead of a path')
    .option('--json', 'print the manifest as JSON, with each model\'s absolute path')
    .action(action((o: { json?: boolean }) => {
      const { models } = readManifest();
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ models: models.map((m) => ({ ...m, path: modelFile(m) })) })}\n`);
        return;
      }
      const rows = [['name', 'test acc.', 'first 1000', 'size', 'trained with', 'description'], ...models.map(row)];
      const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
      for (const r of rows) process.stdout.write(`${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')}\n`);
    }));
}
