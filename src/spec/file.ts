import { SnnError } from '../errors.ts';
import { MiB, readInputJson } from '../util/read-input.ts';
import type { NetworkSpec } from './types.ts';
import { validateSpec } from './validate.ts';

/**
 * Largest spec file read (README, "Network specs"): a spec is a few hundred bytes of layers;
 * a megabyte of JSON is not a spec.
 */
export const MAX_SPEC_BYTES = MiB;

/**
 * Reads a network spec from a JSON file (a regular file of at most 1 MiB; a UTF-8 byte-order
 * mark is accepted) and validates it. Every error is one line that names the file: text that is
 * not JSON and a spec that does not validate are `invalidSpec` (exit 5).
 */
export function loadSpecFile(path: string): NetworkSpec {
  const spec = readInputJson(path, { what: 'network spec', maxBytes: MAX_SPEC_BYTES, kind: 'invalidSpec' }) as NetworkSpec;
  try {
    validateSpec(spec);
  } catch (err) {
    if (err instanceof SnnError && err.kind === 'invalidSpec') throw new SnnError('invalidSpec', `${path}: ${err.message}`);
    throw err;
  }
  return spec;
}
