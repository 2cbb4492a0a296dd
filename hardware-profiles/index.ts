/**
 * The hardware profiles: every `<name>.json` in this folder except the schema is one target. A new
 * target is one JSON file here; nothing else lists them. Each file is validated against
 * `schema.json` (ajv) and a few rules a schema cannot state; a bad file is refused with one line
 * naming the file, the field and what was expected.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { SnnError } from '../src/errors.ts';
import type { HardwareProfile } from '../src/quantize/profile.ts';
import { val } from '../src/quantize/profile.ts';
import { SPEC_LIMITS } from '../src/spec/limits.ts';
import { MiB, readInputJson } from '../src/util/read-input.ts';

/** Largest profile file read (README, "Limits on input files"); the bundled ones are under 11 KB. */
export const MAX_PROFILE_BYTES = MiB;

/** The folder that holds the profile JSON files and the schema. */
export const PROFILE_DIR = dirname(fileURLToPath(import.meta.url));
const SCHEMA_PATH = join(PROFILE_DIR, 'schema.json');

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
    validator = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false }).compile(schema);
  }
  return validator;
}

/**
 * The error a user can act on among ajv's: the deepest one that is not a `oneOf`/`allOf`
 * summary, since those only repeat that a deeper rule failed.
 */
function bestError(errors: ErrorObject[]): ErrorObject {
  const useful = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'allOf' && e.keyword !== 'if');
  const pool = useful.length ? useful : errors;
  return pool.reduce((best, e) => (e.instancePath.split('/').length > best.instancePath.split('/').length ? e : best));
}

function describeError(e: ErrorObject, all: ErrorObject[]): string {
  const field = e.instancePath === '' ? 'the top level' : `field '${e.instancePath.slice(1).replaceAll('/', '.')}'`;
  if (e.keyword === 'additionalProperties') return `${field} has an unknown property '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    const hint = missing === 'source' || missing === 'assumption' ? ' (every number needs a source or an assumption)' : '';
    return `${field} lacks '${missing}'${hint}`;
  }
  if (e.keyword === 'const') {
    const allowed = all.filter((o) => o.keyword === 'const' && o.instancePath === e.instancePath).map((o) => JSON.stringify((o.params as { allowedValue: unknown }).allowedValue));
    return `${field} must be ${allowed.length > 1 ? 'one of ' : ''}${allowed.join(', ')}`;
  }
  if (e.keyword === 'enum') return `${field} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${field} ${e.message}`;
}

function fail(where: string, what: string): never {
  throw new SnnError('malformedInput', `${where}: ${what}`);
}

/**
 * Checks a parsed profile against the schema and the rules it cannot state (ranges that must be
 * ordered, a name that matches its file). `where` names the file in the error.
 */
export function validateProfile(data: unknown, where: string): HardwareProfile {
  const validate = schemaValidator();
  if (!validate(data)) fail(where, `${describeError(bestError(validate.errors ?? []), validate.errors ?? [])} (hardware-profiles/schema.json)`);
  const p = data as HardwareProfile;
  if (!(val(p.weights.min) < 0 && val(p.weights.max) > 0)) fail(where, `weights.min must be negative and weights.max positive, got ${val(p.weights.min)} and ${val(p.weights.max)}`);
  if (val(p.weights.exponent.min) > val(p.weights.exponent.max)) fail(where, `weights.exponent.min ${val(p.weights.exponent.min)} exceeds weights.exponent.max ${val(p.weights.exponent.max)}`);
  // Ranges the arithmetic can hold: shifts within a 64-bit word, integers within int32, delays within a run.
  const within = (field: string, v: number, lo: number, hi: number) => {
    if (!(v >= lo && v <= hi)) fail(where, `${field} is ${v}, outside [${lo}, ${hi}]`);
  };
  within('weights.exponent.min', val(p.weights.exponent.min), -64, 64);
  within('weights.exponent.max', val(p.weights.exponent.max), -64, 64);
  within('weights.min', val(p.weights.min), -(2 ** 31), 0);
  within('weights.max', val(p.weights.max), 0, 2 ** 31 - 1);
  within('synapse.inputShift', val(p.synapse.inputShift), 0, 64);
  within('threshold.shift', val(p.threshold.shift), 0, 64);
  within('threshold.max', val(p.threshold.max), 1, 2 ** 31 - 1);
  within('synapse.delaySteps', val(p.synapse.delaySteps), 0, SPEC_LIMITS.timeSteps);
  const l = p.limits;
  if (l.kernelMemory && l.cores && l.kernelMemory.value.length !== val(l.cores)) fail(where, `limits.kernelMemory lists ${l.kernelMemory.value.length} cores, limits.cores says ${val(l.cores)}`);
  if (l.neuronMemory && l.kernelMemory && l.neuronMemory.value.length !== l.kernelMemory.value.length) fail(where, `limits.neuronMemory lists ${l.neuronMemory.value.length} cores, limits.kernelMemory ${l.kernelMemory.value.length}`);
  if (p.decay.kind === 'fraction') {
    const one = 2 ** val(p.decay.bits);
    if (val(p.decay.currentMax) > one || val(p.decay.membraneMax) > one) fail(where, `decay.currentMax and decay.membraneMax must not exceed 2^bits = ${one}`);
  }
  return p;
}

/** Names of the bundled profiles, sorted. */
export function listProfiles(): string[] {
  return readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.json') && f !== 'schema.json').map((f) => f.slice(0, -5)).sort();
}

/** Reads and validates a profile file. */
export function loadProfileFile(path: string): HardwareProfile {
  const data = readInputJson(path, { what: 'hardware profile', maxBytes: MAX_PROFILE_BYTES });
  const profile = validateProfile(data, path);
  const stem = basename(path).replace(/\.json$/, '');
  if (dirname(path) === PROFILE_DIR && profile.name !== stem) fail(path, `'name' is '${profile.name}' but the file is ${stem}.json; they must agree`);
  return profile;
}

/**
 * A profile by bundled name (`loihi2`) or by path to a JSON file (`./my-chip.json`): a user's
 * own target needs no change to the code.
 */
export function loadProfile(nameOrPath: string): HardwareProfile {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) return loadProfileFile(nameOrPath);
  const names = listProfiles();
  if (!names.includes(nameOrPath)) throw new SnnError('usage', `unknown hardware target '${nameOrPath}'; known: ${names.join(', ')} (or a path to a profile .json)`);
  return loadProfileFile(join(PROFILE_DIR, `${nameOrPath}.json`));
}
