/**
 * The one place where a checkpoint argument becomes a file: a path that exists is that file;
 * otherwise the name of a pretrained model shipped in `models/` (`snn-export models`) is that
 * model's checkpoint. A file of the same name as a model therefore wins.
 */
import { existsSync } from 'node:fs';
import { SnnError } from '../errors.ts';
import { findModel, modelFile } from '../models/manifest.ts';

/** Model names are bare words (no folder, no extension), so that a mistyped path is not taken for one. */
const MODEL_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The checkpoint file that `pathOrModel` names (a path, or a shipped model's name). */
export function checkpointFile(pathOrModel: string): string {
  if (existsSync(pathOrModel) || !MODEL_NAME.test(pathOrModel)) return pathOrModel;
  const model = findModel(pathOrModel);
  if (model) return modelFile(model);
  throw new SnnError('missingInput', `${pathOrModel}: no such checkpoint file, and no pretrained model of that name (snn-export models lists them)`);
}
