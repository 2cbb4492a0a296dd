import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfile } from '../hardware-profiles/index.ts';
import { EXIT_CODES, SnnError } from '../src/errors.ts';
import { checkFeasibility, checkInputPayloads } from '../src/quantize/feasibility.ts';
import type { HardwareProfile } from '../src/quantize/profile.ts';
import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import type { Layer, NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';

const neuron = { kind: 'clif' as const, alpha: 0.9, beta: 0.8, reset: 'subtract' as const };
const readout = { kind: 'readout' as const, alpha: 0.9, beta: 0.8 };

function net(layers: Layer[], inputShape: number[], encoder: NetworkSpec['encoder'] = { kind: 'direct' }): NetworkSpec {
  return { version: 1, name: 'n', inputShape, encoder, timeSteps: 5, layers };
}

function refuses(spec: NetworkSpec, profile: HardwareProfile, ...patterns: RegExp[]): void {
  assert.throws(() => checkFeasibility(validateSpec(spec), profile), (err: unknown) => {
    assert.ok(err instanceof SnnError, String(err));
    assert.equal(err.kind, 'doesNotFit');
    assert.equal(err.exitCode, EXIT_CODES.doesNotFit);
    assert.ok(!err.message.includes('\n'));
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

const fc = (encoder: NetworkSpec['encoder']) => BUILTIN_ARCHITECTURES.fc({ alpha: 0.9, beta: 0.8, timeSteps: 25, encoder, reset: 'zero' });

test('xylo-audio2 refuses the MNIST fc naming its 16-input limit', () => {
  const xylo = loadProfile('xylo-audio2');
  // direct: the host encoder's 800 spikes would be the chip input.
  refuses(fc({ kind: 'direct' }), xylo, /16 input channels \(limits\.inputChannels\)/, /dense 'dense2'/, /receives 800 inputs/, /784-value input/);
  // rate: the 784 pixels themselves are the chip input.
  refuses(fc({ kind: 'rate', seed: 1 }), xylo, /16 input channels/, /dense 'dense1'/, /receives 784 inputs/);
});

test('xylo-audio2 accepts a network that fits and places it on its one core and its output neurons', () => {
  const xylo = loadProfile('xylo-audio2');
  const small = net([{ kind: 'dense', units: 16 }, { ...neuron }, { kind: 'dense', units: 60 }, { ...neuron }, { kind: 'dense', units: 50 }, { ...neuron }, { kind: 'dense', units: 8 }, readout], [40]);
  const placement = checkFeasibility(validateSpec(small), xylo);
  assert.deepEqual(placement.hostBlocks.map((b) => b.neuron.name), ['clif1']);
  assert.deepEqual(placement.layers.map((l) => [l.name, l.segments.map((s) => s.core), l.outputStage]), [['clif2', [0], false], ['clif3', [0], false], ['readout1', [], true]]);
  assert.equal(placement.coresUsed, 1);
});

test('xylo-audio2 refuses too many outputs, too large a fan-out and too many hidden neurons', () => {
  const xylo = loadProfile('xylo-audio2');
  refuses(net([{ kind: 'dense', units: 16 }, neuron, { kind: 'dense', units: 20 }, neuron, { kind: 'dense', units: 10 }, readout], [4]), xylo, /readout 'readout1'\) has 10 neurons; the target has 8 output neurons/);
  refuses(net([{ kind: 'dense', units: 16 }, neuron, { kind: 'dense', units: 20 }, neuron, { kind: 'dense', units: 100 }, neuron, { kind: 'dense', units: 8 }, readout], [4]), xylo, /drives 100 neurons/, /fan-out of 64 \(limits\.fanOut\)/, /clif 'clif2'/);
  refuses(net([{ kind: 'dense', units: 16 }, neuron, { kind: 'dense', units: 1200 }, neuron, { kind: 'dense', units: 8 }, readout], [4]), xylo, /1200 spiking neurons; the target has 1000 \(limits\.hiddenNeurons\)/);
});

test('speck refuses C-LIF neurons, dense layers and pooling of the synaptic input; accepts an IAF conv net', () => {
  const speck = loadProfile('speck');
  const iaf = { kind: 'clif' as const, alpha: 0, beta: 1, reset: 'zero' as const };
  const iafReadout = { kind: 'readout' as const, alpha: 0, beta: 1 };
  // [2, 8, 8] → 6×6 → 4×4 → 1×1 (without pooling); [2, 10, 10] → 8×8 → 6×6 → pool 3×3 → 1×1.
  const convNet = (n: Layer, r: Layer, extra: Layer[] = []): NetworkSpec => net([
    { kind: 'conv2d', channels: 4, kernel: 3 }, { ...iaf },
    { kind: 'conv2d', channels: 8, kernel: 3 }, ...extra, n,
    { kind: 'conv2d', channels: 10, kernel: extra.length ? 3 : 4 }, { kind: 'flatten' }, r,
  ], extra.length ? [2, 10, 10] : [2, 8, 8], { kind: 'events' });
  refuses(convNet(neuron, iafReadout), speck, /layer \d+ \(clif 'clif2'\) is a C-LIF\/CUBA .* neuron \(alpha 0\.9, beta 0\.8\)/, /only IAF/);
  refuses(convNet({ ...iaf }, iafReadout, [{ kind: 'maxpool', size: 2 }]), speck, /maxpool 'maxpool1'\) is a maxpool layer/);
  refuses(net([{ kind: 'flatten' }, { kind: 'dense', units: 10 }, iafReadout], [2, 4, 4], { kind: 'events' }), speck, /dense 'dense1'\) is a dense layer; the target runs only conv2d, flatten/);
  const placement = checkFeasibility(validateSpec(convNet({ ...iaf }, iafReadout)), speck);
  assert.equal(placement.layers.length, 3);
  assert.equal(new Set(placement.layers.map((l) => l.segments[0].core)).size, 3, 'one layer per core');
});

test('speck refuses a layer whose kernel memory no core has, and a kernel, stride or map beyond its limits', () => {
  const speck = loadProfile('speck');
  const iaf = { kind: 'clif' as const, alpha: 0, beta: 1 };
  const r = { kind: 'readout' as const, alpha: 0, beta: 1 };
  refuses(net([{ kind: 'conv2d', channels: 64, kernel: 3 }, iaf, { kind: 'conv2d', channels: 512, kernel: 3 }, iaf, { kind: 'conv2d', channels: 10, kernel: 6 }, { kind: 'flatten' }, r], [2, 10, 10], { kind: 'events' }), speck, /conv2d 'conv2d2'\) needs 524288 kernel/, /largest core has 65536/);
  refuses(net([{ kind: 'conv2d', channels: 4, kernel: 3, stride: 3 }, iaf, { kind: 'conv2d', channels: 10, kernel: 4 }, { kind: 'flatten' }, r], [2, 12, 12], { kind: 'events' }), speck, /stride 3; the target allows 1, 2, 4, 8/);
  refuses(net([{ kind: 'conv2d', channels: 4, kernel: 3 }, iaf, { kind: 'conv2d', channels: 10, kernel: 68 }, { kind: 'flatten' }, r], [2, 70, 70], { kind: 'events' }), speck, /output map side 68; the target allows 64/);
});

test('loihi2 refuses a subtractive reset unless the change is accepted, and counts its cores', () => {
  const loihi = loadProfile('loihi2');
  const subtract = BUILTIN_ARCHITECTURES.csnn({ alpha: 0.9, beta: 0.8, timeSteps: 25, encoder: { kind: 'direct' }, reset: 'subtract' });
  refuses(subtract, loihi, /clif 'clif2'\) resets by 'subtract'; the target resets only by 'zero'/, /--reset-as zero/);
  const placement = checkFeasibility(validateSpec(subtract), loihi, { resetOverride: 'zero' });
  assert.deepEqual(placement.resets, ['zero', 'zero']);
  const tiny: HardwareProfile = { ...loihi, limits: { ...loihi.limits, cores: { value: 2, assumption: 'test' }, neuronsPerCore: { value: 400, assumption: 'test' } } };
  refuses(fc({ kind: 'rate', seed: 1 }), tiny, /needs 3 cores of 400 neurons \(limits\.neuronsPerCore\) but the target has 2 \(limits\.cores\)/, /clif 'clif1'\): 800 neurons/);
  const ok = checkFeasibility(validateSpec(fc({ kind: 'rate', seed: 1 })), loihi);
  assert.deepEqual(ok.layers.map((l) => l.delaySteps), [1, 2], 'each Dense adds one chip step');
});

test('a direct-encoded network without a spiking layer cannot leave anything for the chip', () => {
  refuses(net([{ kind: 'flatten' }, { kind: 'dense', units: 10 }, readout], [1, 4, 4]), loadProfile('generic-int8'), /needs a spiking layer before the readout/);
});

test('xylo-audio2 refuses input events carrying more than 15 events per channel and step', () => {
  const xylo = loadProfile('xylo-audio2');
  checkInputPayloads(xylo, Int32Array.of(1, 15, 3), 'sample 0');
  assert.throws(() => checkInputPayloads(xylo, Int32Array.of(1, 16), 'sample 4'), (e: unknown) => e instanceof SnnError && e.kind === 'doesNotFit' && /sample 4: input event 1 carries 16 events .* accepts 15 .*limits\.inputPayload/.test(e.message));
  checkInputPayloads(loadProfile('generic-int8'), Int32Array.of(1000), 'no limit');
});
