import type { NirImportOptions, NirImportResult } from '../../exporters/nir/import.ts';

/** Reads a NIR graph (HDF5) from another tool as a checkpoint, as `snn-export import nir` does (save it with `saveCheckpoint`). */
export async function importNir(file: string, options: NirImportOptions = {}): Promise<NirImportResult> {
  const nir = await import('../../exporters/nir/import.ts');
  return nir.importNir(file, options);
}
