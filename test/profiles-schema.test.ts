import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROFILE_DIR, listProfiles, loadProfile, loadProfileFile, validateProfile } from '../hardware-profiles/index.ts';
import { EXIT_CODES, SnnError } from '../src/errors.ts';

const REQUIRED = ['loihi2', 'xylo-audio2', 'speck', 'spinnaker2', 'darwin3', 'generic-int8', 'generic-int16'];

test('the bundled profiles include every required target and all validate', () => {
  const names = listProfiles();
  for (const n of REQUIRED) assert.ok(names.includes(n), `missing profile ${n}`);
  for (const n of names) assert.equal(loadProfile(n).name, n);
});

/** Every number in a profile must sit in an object that says where it comes from. */
function unsourcedNumbers(node: unknown, path: string, out: string[]): void {
  if (Array.isArray(node) || node === null || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  const hasProvenance = typeof obj.source === 'string' || typeof obj.assumption === 'string';
  for (const [k, v] of Object.entries(obj)) {
    const isNumber = typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number') && v.length > 0);
    if (isNumber && !hasProvenance) out.push(`${path}.${k}`);
    else unsourcedNumbers(v, `${path}.${k}`, out);
  }
}

test('every number of every profile carries a source or an assumption', () => {
  for (const n of listProfiles()) {
    const raw = JSON.parse(readFileSync(join(PROFILE_DIR, `${n}.json`), 'utf8'));
    const missing: string[] = [];
    unsourcedNumbers(raw, n, missing);
    assert.deepEqual(missing, [], `${n}: numbers without provenance`);
  }
});

function rejects(mutate: (p: Record<string, any>) => void, expected: RegExp): void {
  const p = JSON.parse(readFileSync(join(PROFILE_DIR, 'loihi2.json'), 'utf8'));
  mutate(p);
  assert.throws(() => validateProfile(p, 'bad.json'), (err: unknown) => {
    assert.ok(err instanceof SnnError, `not an SnnError: ${String(err)}`);
    assert.equal(err.kind, 'malformedInput');
    assert.equal(err.exitCode, EXIT_CODES.malformedInput);
    assert.ok(!err.message.includes('\n'), 'the message must be one line');
    assert.match(err.message, /^bad\.json: /);
    assert.match(err.message, expected);
    return true;
  });
}

test('the schema rejects malformed profiles with one line naming the field', () => {
  rejects((p) => { delete p.weights.min.source; }, /weights\.min.*source or an assumption/);
  rejects((p) => { p.state.current.overflow = 'clip'; }, /state\.current\.overflow.*"saturate"/);
  rejects((p) => { p.decay.kind = 'exp'; }, /decay\.kind.*"fraction", "shift", "none"/);
  rejects((p) => { p.limits.cores.value = 0; }, /limits\.cores\.value/);
  rejects((p) => { p.limits.coreCount = { value: 3, source: 'x y z' }; }, /unknown property 'coreCount'/);
  rejects((p) => { p.state.membrane.bits.value = 40; }, /state\.membrane\.bits\.value/);
  rejects((p) => { p.weights.min.value = 'minus 256'; }, /weights\.min\.value/);
  rejects((p) => { delete p.threshold; }, /lacks 'threshold'/);
  rejects((p) => { p.reset.modes = ['zero', 'hold']; }, /reset\.modes/);
  rejects((p) => { p.weights.exponent.min.value = 9; }, /exponent\.min 9 exceeds/);
  rejects((p) => { p.decay.currentMax.value = 5000; }, /must not exceed 2\^bits = 4096/);
});

test('a profile file that is not JSON is refused, a user profile loads by path, an unknown name lists the known ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "name": "broken", ');
  assert.throws(() => loadProfileFile(broken), (err: unknown) => err instanceof SnnError && err.kind === 'malformedInput' && err.message.startsWith(broken) && /not valid JSON/.test(err.message));
  const own = join(dir, 'my-chip.json');
  const p = JSON.parse(readFileSync(join(PROFILE_DIR, 'generic-int8.json'), 'utf8'));
  p.name = 'my-chip';
  writeFileSync(own, JSON.stringify(p));
  assert.equal(loadProfile(own).name, 'my-chip', 'a user profile loads by path');
  assert.throws(() => loadProfile('no-such-chip'), (err: unknown) => err instanceof SnnError && err.kind === 'usage' && /known: .*loihi2/.test(err.message));
});
