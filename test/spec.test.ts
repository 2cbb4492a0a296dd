import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec } from '../src/spec/validate.ts';
import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import type { NetworkSpec, Layer } from '../src/spec/types.ts';
import { SnnError } from '../src/errors.ts';

const neuron = { alpha: 0.9, beta: 0.8, timeSteps: 25, encoder: { kind: 'direct' as const } };
const spec = (layers: Layer[], inputShape = [1, 28, 28]): NetworkSpec => ({ version: 1, name: 't', inputShape, encoder: { kind: 'direct' }, timeSteps: 4, layers });

test('the built-in fc and csnn networks have the peer layer shapes', () => {
  const fc = validateSpec(BUILTIN_ARCHITECTURES.fc(neuron));
  assert.deepEqual(fc.blocks.map((b) => b.outShape), [[800], [10]]);
  const csnn = validateSpec(BUILTIN_ARCHITECTURES.csnn(neuron));
  assert.deepEqual(csnn.blocks.map((b) => b.outShape), [[12, 12, 12], [64, 4, 4], [10]]);
  assert.deepEqual(csnn.blocks[2].inShape, [64, 4, 4]);
  assert.equal(csnn.classes, 10);
  assert.deepEqual(JSON.parse(JSON.stringify(csnn.spec)), csnn.spec, 'a spec is plain JSON data');
});

function refusal(s: NetworkSpec): string {
  try { validateSpec(s); } catch (e) {
    assert.ok(e instanceof SnnError);
    assert.equal(e.kind, 'invalidSpec');
    assert.equal(e.exitCode, 5);
    return e.message;
  }
  assert.fail('the spec was accepted');
}

test('a network may end in a spiking clif layer: its class scores are spike counts', () => {
  const resolved = validateSpec(spec([{ kind: 'flatten' }, { kind: 'dense', units: 10 }, { kind: 'clif', alpha: 0.5, beta: 0.5 }]));
  assert.equal(resolved.output, 'spikes');
  assert.equal(resolved.classes, 10);
  assert.equal(validateSpec(spec([{ kind: 'flatten' }, { kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }])).output, 'membrane');
});

test('a kernel larger than its input map is refused naming the layer', () => {
  const msg = refusal(spec([
    { kind: 'conv2d', channels: 4, kernel: 5 }, { kind: 'maxpool', size: 2 }, { kind: 'clif', alpha: 0.5, beta: 0.5 },
    { kind: 'conv2d', channels: 4, kernel: 13, name: 'big' }, { kind: 'clif', alpha: 0.5, beta: 0.5 },
    { kind: 'flatten' }, { kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.5, beta: 0.5 },
  ]));
  assert.match(msg, /layer 4 \(conv2d 'big'\): kernel 13×13 is larger than its 12×12 input map/);
});

test('shapes that do not chain, and misplaced layers, are refused with the layer named', () => {
  assert.match(refusal(spec([{ kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }])), /layer 1 \(dense 'dense1'\): dense needs a flat input, got shape \[1,28,28\]; add a flatten layer/);
  assert.match(refusal(spec([{ kind: 'conv2d', channels: 2, kernel: 3 }, { kind: 'clif', alpha: 0.5, beta: 0.5 }])), /layer 2 \(clif 'clif1'\): the output layer needs a flat input/);
  assert.match(refusal(spec([{ kind: 'flatten' }, { kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }, { kind: 'dense', units: 2 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }])), /layer 4 \(dense 'dense2'\): nothing may follow the readout layer/);
  assert.match(refusal(spec([{ kind: 'flatten' }, { kind: 'dense', units: 10 }])), /layer 2 \(dense 'dense1'\): the network must end with a neuron layer/);
  assert.match(refusal(spec([{ kind: 'flatten' }, { kind: 'dense', units: 10 }, { kind: 'dense', units: 10 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }])), /layer 3 \(dense 'dense2'\): two weighted layers/);
  assert.match(refusal(spec([{ kind: 'flatten' }, { kind: 'dense', units: 10 }, { kind: 'clif', alpha: 1.5, beta: 0.5 }, { kind: 'dense', units: 2 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }])), /layer 3 \(clif 'clif1'\): 'alpha' must be a number in \[0, 1\]/);
  assert.match(refusal(spec([{ kind: 'conv2d', channels: 2, kernel: 3 }, { kind: 'clif', alpha: 0.5, beta: 0.5 }, { kind: 'avgpool', size: 2 }, { kind: 'flatten' }, { kind: 'dense', units: 2 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }])), /layer 3 \(avgpool 'avgpool1'\): pooling acts on the synaptic input/);
  assert.match(refusal({ ...spec([{ kind: 'flatten' }, { kind: 'dense', units: 2 }, { kind: 'readout', alpha: 0.5, beta: 0.5 }]), version: 2 as 1 }), /version 2 is not supported/);
});
