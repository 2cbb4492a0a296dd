import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkpointFile } from './checkpoint-file.ts';

/** SHA-256 of a checkpoint file (or a pretrained model by name), hex: names the exact checkpoint an export came from. */
export function fileSha256(pathOrModel: string): string {
  return createHash('sha256').update(readFileSync(checkpointFile(pathOrModel))).digest('hex');
}
