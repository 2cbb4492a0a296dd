import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { applyTarget, checkTarget, targetNames, targetRules } from '../src/train/targets.ts';
import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { SnnError } from '../src/errors.ts';

const csnn = () => BUILTIN_ARCHITECTURES.csnn({ alpha: 0.3, beta: 0.5, timeSteps: 8, encoder: { kind: 'direct' } });
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], { encoding: 'utf8' });

test('every hardware profile and the three NIR readers are targets', () => {
  for (const name of ['loihi2', 'speck', 'xylo-audio2', 'snntorch', 'norse', 'lava-dl']) assert.ok(targetNames().includes(name), name);
  assert.throws(() => targetRules('nope'), (e: SnnError) => e.kind === 'usage' && /'nope' is not one of .*loihi2.*lava-dl/.test(e.message));
});

test('a built-in network takes the target\'s reset, bias and pooling, and then passes the target\'s check', () => {
  const rules = targetRules('lava-dl');
  const spec = applyTarget(csnn(), rules);
  validateSpec(spec);
  assert.deepEqual(spec.layers.filter((l) => l.kind === 'conv2d' || l.kind === 'dense').map((l) => (l as { bias?: boolean }).bias), [false, false, false]);
  assert.deepEqual(spec.layers.filter((l) => l.kind.endsWith('pool')).map((l) => l.kind), ['avgpool', 'avgpool']);
  assert.deepEqual(spec.layers.filter((l) => l.kind === 'clif').map((l) => (l as { reset?: string }).reset), ['zero', 'zero']);
  // lava-dl stores decays in 12 bits: alpha 0.3 becomes 1 − 2867/4096, beta 0.5 stays.
  assert.deepEqual(spec.layers.filter((l) => l.kind === 'clif' || l.kind === 'readout').map((l) => [(l as { alpha: number }).alpha, (l as { beta: number }).beta]), Array(3).fill([1 - 2867 / 4096, 0.5]));
  checkTarget(spec, rules, 'test');
  // An IAF-only chip: no synaptic current and no leak.
  const speckLike = applyTarget(BUILTIN_ARCHITECTURES.fc({ alpha: 0.3, beta: 0.5, timeSteps: 8, encoder: { kind: 'direct' } }), { ...rules, name: 'iaf-chip', neuron: 'iaf', bias: true });
  assert.deepEqual(speckLike.layers.filter((l) => l.kind === 'clif' || l.kind === 'readout').map((l) => [(l as { alpha: number }).alpha, (l as { beta: number }).beta]), [[0, 1], [0, 1]]);
});

test('a spec that breaks a target is refused naming the layer, the rule and the field', () => {
  const refusal = (target: string) => { try { checkTarget(csnn(), targetRules(target), '--spec net.json'); return ''; } catch (e) { return (e as SnnError).message; } };
  assert.match(refusal('lava-dl'), /^--spec net\.json: layer 1 \(conv2d\) has a bias, which --target lava-dl does not allow .*; set "bias": false$/);
  assert.match(refusal('snntorch'), /layer 2 \(maxpool\) is a maxpool, which --target snntorch does not allow \(NIR has no max pooling\); make it "kind": "avgpool"/);
  const noBias = applyTarget(csnn(), { ...targetRules('lava-dl'), decayBits: undefined });
  assert.throws(() => checkTarget(noBias, targetRules('lava-dl'), 'net.json'), /^SnnError: net\.json: layer 3 \(clif\) has alpha 0\.3, between two decays of its 12-bit grid, which --target lava-dl does not allow \(lava-dl stores 1 − decay in 12 bits \(×4096\)\); set "alpha": 0\.300048828125$/);
  assert.match(refusal('speck'), /layer 2 \(maxpool\) is a maxpool, which --target speck does not allow .*; remove the pooling/);
  // Speck runs conv layers only: the dense layer of a network is refused too.
  const fc = BUILTIN_ARCHITECTURES.fc({ alpha: 0, beta: 1, timeSteps: 8, encoder: { kind: 'direct' } });
  assert.throws(() => checkTarget(fc, targetRules('speck'), 'net.json'), /^SnnError: net\.json: layer 2 \(dense\) is a dense layer, which --target speck does not allow \(speck runs conv2d, flatten layers \(layerKinds\)\); use conv2d layers$/);
  assert.throws(() => applyTarget(fc, targetRules('speck')), /^SnnError: option --target speck: layer 2 is dense, and speck runs conv2d, flatten layers \(layerKinds\); choose another --arch, or --spec FILE$/);
});

test('train --target: a flag the target overrides is refused before any work, and so is an unknown target', () => {
  const clash = cli('train', '--target', 'loihi2', '--reset', 'subtract', '-o', '/tmp/snn-target-never.safetensors');
  assert.equal(clash.status, 2);
  assert.match(clash.stderr, /^snn-export: option --reset subtract cannot apply with --target loihi2: it needs zero .*; leave --reset out\n$/m);
  const leakless = cli('train', '--target', 'norse', '--beta', '1', '-o', '/tmp/snn-target-never.safetensors');
  assert.equal(leakless.status, 2);
  assert.match(leakless.stderr, /option --beta 1 cannot apply with --target norse: it needs beta below 1/);
  const unknown = cli('train', '--target', 'nope', '-o', '/tmp/snn-target-never.safetensors');
  assert.equal(unknown.status, 2);
  const spec = cli('train', '--target', 'lava-dl', '--spec', 'src/spec/examples/csnn-avgpool.json', '-o', '/tmp/snn-target-never.safetensors');
  assert.equal(spec.status, 5);
  assert.match(spec.stderr, /layer 1 \(conv2d\) has a bias, which --target lava-dl does not allow/);
});
