/**
 * The input of case number `index` of a format, for a run seed: the same triple always gives the
 * same bytes, so any failing case can be remade from its reproduction line alone. Case numbers
 * 0 … seeds−1 are the seeds themselves (they must be accepted: a check on the harness), then the
 * crafted files, then mutants.
 */
import { Random, deriveSeed } from '../../src/util/random.ts';
import type { CraftedCase, Seed } from './format.ts';
import { mutateBytes, pick } from './mutate-bytes.ts';
import { mutateJson, stringifyJson } from './mutate-json.ts';

export interface FuzzCase {
  /** `seed <name>`, `crafted <name>` or `mutant of <seed> (<layer>)`. */
  origin: string;
  bytes: Uint8Array;
}

/** Inputs above this are cut: the guarantees under test are for inputs under 10 MB. */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024 - 1;

function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Case `index` of `format` for the run seed `runSeed`. */
export function makeCase(format: { name: string; text: boolean }, seeds: Seed[], crafted: CraftedCase[], runSeed: number, index: number): FuzzCase {
  if (index < seeds.length) return { origin: `seed ${seeds[index].name}`, bytes: seeds[index].bytes };
  if (index < seeds.length + crafted.length) {
    const c = crafted[index - seeds.length];
    return { origin: `crafted ${c.name}`, bytes: c.bytes };
  }
  const rng = new Random(deriveSeed(runSeed, nameHash(format.name), index));
  const seed = pick(rng, seeds);
  const views = seed.views ?? [];
  // Most mutants of a seed with inner layers change a layer (the raw bytes are mostly stopped by a checksum).
  const view = views.length && rng.next() < 0.7 ? pick(rng, views) : undefined;
  let bytes: Uint8Array;
  if (!view) bytes = mutateBytes(rng, seed.bytes, format.text, seed.spare);
  else if (view.kind === 'binary') bytes = view.wrap(mutateBytes(rng, view.inner, format.text));
  else {
    let text: Uint8Array = Buffer.from(stringifyJson(mutateJson(rng, view.value)), 'utf8');
    // Text hazards on the JSON text too: a BOM, CR line ends, a cut.
    if (rng.next() < 0.15) text = mutateBytes(rng, text, true);
    try {
      bytes = view.wrap(text);
    } catch {
      // A layer that cannot be rebuilt from this text (the NIR tree's JSON cut in half): mutate the bytes instead.
      bytes = mutateBytes(rng, seed.bytes, format.text);
    }
  }
  if (bytes.length > MAX_INPUT_BYTES) bytes = bytes.subarray(0, MAX_INPUT_BYTES);
  return { origin: `mutant of ${seed.name}${view ? ` (${view.name})` : ''}`, bytes };
}
