/** Every format the fuzzer covers, in table order. */
import type { FuzzFormat } from '../format.ts';
import { bundleFormat } from './bundle.ts';
import { checkpointFormat } from './checkpoint.ts';
import { aedat1Format, aedat2Format, aedat31Format, mnistDvsFormat, nmnistFormat } from './events.ts';
import { aedat4LayersFormat } from './aedat4-layers.ts';
import { eventFolderFormat } from './event-folder.ts';
import { idxFormat, idxGzipFormat } from './idx.ts';
import { profileFormat, recipeFormat, specFormat } from './json.ts';
import { matCompressedFormat, matFormat } from './mat.ts';
import { aedat4Format, davisFormat, evt2Format, evt3Format } from './modern-events.ts';
import { nirFormat } from './nir.ts';
import { onnxFormat } from './onnx.ts';

export const FORMATS: FuzzFormat[] = [
  idxFormat, idxGzipFormat, matFormat, matCompressedFormat, aedat1Format, aedat2Format, aedat31Format, aedat4Format, aedat4LayersFormat, evt2Format, evt3Format, davisFormat, nmnistFormat,
  mnistDvsFormat, eventFolderFormat,
  nirFormat, checkpointFormat, onnxFormat, bundleFormat, specFormat, recipeFormat, profileFormat,
];

/** Formats by name, refusing an unknown one with the list of names. */
export function formatsNamed(names: string[] | undefined): FuzzFormat[] {
  if (!names?.length) return FORMATS;
  return names.map((n) => {
    const f = FORMATS.find((x) => x.name === n);
    if (!f) throw new Error(`unknown format '${n}' (formats: ${FORMATS.map((x) => x.name).join(', ')})`);
    return f;
  });
}
