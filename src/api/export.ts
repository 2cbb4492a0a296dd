import { loadCheckpoint } from '../checkpoint/checkpoint.ts';
import { SnnError } from '../errors.ts';
import { claimOutput } from '../util/atomic-write.ts';

/**
 * The export formats: `onnx` (onnxruntime), `nir` (NIR graph, HDF5), `events` (spike-event bundle
 * for a hardware profile), `lava` (lava-dl netx HDF5 for Loihi 2).
 */
export type ExportFormat = 'onnx' | 'nir' | 'events' | 'lava';

/**
 * Options of `snn-export export FORMAT`, by their camel-case names: onnx `timeLoop`; nir `dt`,
 * `allowSubtractReset`, `nirReadout`, `pooling`, `nirNeurons`, `reader`; events `target` (required),
 * `samples`, `resetAs`, `dataDir`; lava `target`, `resetAs`. `snn-export export FORMAT --help`
 * describes each.
 */
export type ExportOptions = Record<string, string | number | boolean | undefined>;

/**
 * Exports the checkpoint file at `checkpointPath` to `outPath` (written atomically), as
 * `snn-export export FORMAT` does; resolves to the one-line summary the command prints.
 */
export async function exportCheckpoint(format: ExportFormat, checkpointPath: string, outPath: string, options: ExportOptions = {}): Promise<string> {
  const { EXPORTERS } = await import('../../exporters/index.ts');
  const exporter = Object.hasOwn(EXPORTERS, format) ? EXPORTERS[format] : undefined;
  if (!exporter) throw new SnnError('usage', `export format '${String(format)}' is not one of ${Object.keys(EXPORTERS).join(', ')}`);
  const known = new Set(exporter.options.map((o) => o.flags.replace(/^--([\w-]+).*$/, '$1').replace(/-(\w)/g, (_, c: string) => c.toUpperCase())));
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length) throw new SnnError('usage', `export ${format}: option ${unknown.join(', ')} is not one of ${[...known].join(', ') || '(none)'}`);
  const withDefaults: Record<string, unknown> = {};
  for (const o of exporter.options) {
    const key = o.flags.replace(/^--([\w-]+).*$/, '$1').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    withDefaults[key] = options[key] ?? o.defaultValue;
  }
  const claim = claimOutput(outPath, 'outPath');
  try {
    return await exporter.export(loadCheckpoint(checkpointPath), outPath, withDefaults, checkpointPath);
  } finally {
    claim.release();
  }
}
