import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EXIT_CODES } from '../src/errors.ts';

// The command as registered by src/cli/profiles.ts, on its own commander program.
const script = `import { Command } from 'commander'; import { registerProfiles } from './src/cli/profiles.ts';
  const p = new Command('snn-export'); registerProfiles(p); await p.parseAsync(process.argv);`;
const profiles = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'snn-export', 'profiles', ...args], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' });

test('snn-export profiles lists every target with its arithmetic and limits', () => {
  const r = profiles();
  assert.equal(r.status, 0, r.stderr);
  for (const name of ['loihi2', 'xylo-audio2', 'speck', 'spinnaker2', 'darwin3', 'generic-int8', 'generic-int16']) assert.match(r.stdout, new RegExp(`^${name} `, 'm'));
  assert.match(r.stdout, /xylo-audio2 .*\n.*weights 8-bit \[-128, 127\] per-channel; current 16-bit saturate/);
  assert.match(r.stdout, /inputChannels 16/);
});

test('snn-export profiles NAME shows every number with its source or assumption; an unknown name is a usage error', () => {
  const r = profiles('loihi2');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /max +254 +source: docs\/hardware\.md, Loihi 2/);
  assert.match(r.stdout, /exponent min +0 +source: lava-dl netx/);
  assert.match(r.stdout, /current overflow +wrap-once +source: docs\/hardware\.md/);
  assert.match(r.stdout, /bias supported +false +source: /);
  assert.match(r.stdout, /readout threshold +131071 +source: /);
  const darwin = profiles('darwin3');
  assert.ok(!/ASSUMPTION: undefined|source: undefined/.test(darwin.stdout), 'every row has its provenance');
  const json = profiles('speck', '--json');
  assert.equal(JSON.parse(json.stdout).limits.cores.value, 9);
  const bad = profiles('loihi3');
  assert.equal(bad.status, EXIT_CODES.usage);
  assert.match(bad.stderr, /^snn-export: unknown hardware target 'loihi3'; known: darwin3, generic-int16/);
});
