/**
 * The TensorFlow.js reference forward pass against a plain JavaScript loop built on `clifStep`
 * (src/neuron/clif.ts): same spikes, logits within 1e-5, on small dense and conv networks with
 * every encoder layout, both reset modes, and on both the default backend and cpu.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTfjs } from '../runtimes/tfjs-backend.ts';
import { createTfjsReference, tfjsReferenceRuntime } from '../runtimes/tfjs-reference.ts';
import { RUNTIMES } from '../runtimes/index.ts';
import type { ModelInput, RuntimeOutput } from '../runtimes/runtime.ts';
import { clifParams, clifStep, zeroState } from '../src/neuron/clif.ts';
import { initParams } from '../src/spec/params.ts';
import type { Layer, NetworkSpec, ResetMode } from '../src/spec/types.ts';
import { shapeSize, validateSpec } from '../src/spec/validate.ts';
import type { Tensor } from '../src/util/tensor.ts';
import { randomArray, randomEvents, sampleAt, synapticInputJs } from './oracle/plain-network.ts';

const T = 6;
const B = 5;

/** The plain-JS forward: float64 synapses rounded to float32, then clifStep per neuron layer. */
function plainForward(spec: NetworkSpec, params: Map<string, Tensor>, input: ModelInput): RuntimeOutput {
  const resolved = validateSpec(spec);
  const perSample = shapeSize(spec.inputShape);
  const classes = resolved.classes;
  const logits = new Float32Array(B * classes);
  const spikeCounts = new Map<string, Float32Array>();
  for (const block of resolved.blocks) {
    if (block.neuron.layer.kind === 'clif') spikeCounts.set(block.neuron.name, new Float32Array(B * shapeSize(block.outShape)));
  }
  for (let b = 0; b < B; b++) {
    const states = resolved.blocks.map((block) => zeroState(shapeSize(block.outShape)));
    const membraneSum = new Float32Array(classes);
    for (let t = 0; t < spec.timeSteps; t++) {
      let x: ArrayLike<number> = sampleAt(input.data, spec.encoder.kind, B, perSample, t, b);
      resolved.blocks.forEach((block, i) => {
        const z = Float32Array.from(synapticInputJs(block, params, x));
        const n = z.length;
        if (block.neuron.layer.kind === 'clif') {
          const spikes = new Float32Array(n);
          clifStep(z, states[i], clifParams(block.neuron.layer), spikes);
          const counts = spikeCounts.get(block.neuron.name)!;
          for (let j = 0; j < n; j++) counts[b * n + j] += spikes[j];
          x = spikes;
        } else {
          const membrane = new Float32Array(n);
          clifStep(z, states[i], clifParams(block.neuron.layer), undefined, membrane);
          for (let j = 0; j < n; j++) membraneSum[j] = Math.fround(membraneSum[j] + membrane[j]);
        }
      });
    }
    for (let j = 0; j < classes; j++) logits[b * classes + j] = Math.fround(membraneSum[j] / spec.timeSteps);
  }
  return { logits, spikeCounts };
}

interface Case { name: string; spec: NetworkSpec; gain: number }

function cases(reset: ResetMode): Case[] {
  const clif = (alpha: number, beta: number): Layer => ({ kind: 'clif', alpha, beta, theta: 1, reset });
  const readout: Layer = { kind: 'readout', alpha: 0.6, beta: 0.7 };
  return [
    {
      name: `dense 12-7-4, direct, ${reset}`, gain: 4,
      spec: { version: 1, name: 'dense', inputShape: [12], encoder: { kind: 'direct' }, timeSteps: T,
        layers: [{ kind: 'dense', units: 7 }, clif(0.8, 0.9), { kind: 'dense', units: 4 }, readout] },
    },
    {
      name: `conv avgpool, events, ${reset}`, gain: 3,
      spec: { version: 1, name: 'convavg', inputShape: [2, 6, 6], encoder: { kind: 'events' }, timeSteps: T,
        layers: [{ kind: 'conv2d', channels: 3, kernel: 3 }, { kind: 'avgpool', size: 2 }, clif(0.5, 0.7), { kind: 'flatten' }, { kind: 'dense', units: 5 }, readout] },
    },
    {
      name: `two convs, padding, maxpool, rate, ${reset}`, gain: 3,
      spec: { version: 1, name: 'convmax', inputShape: [2, 8, 8], encoder: { kind: 'rate', seed: 1 }, timeSteps: T,
        layers: [
          { kind: 'conv2d', channels: 4, kernel: 3, padding: 1 }, { kind: 'maxpool', size: 2 }, clif(0.7, 0.6),
          { kind: 'conv2d', channels: 3, kernel: 3, stride: 1 }, clif(0.9, 0.8),
          { kind: 'flatten' }, { kind: 'dense', units: 5 }, readout,
        ] },
    },
    {
      name: `conv stride 2, direct image, ${reset}`, gain: 2,
      spec: { version: 1, name: 'convdirect', inputShape: [1, 7, 7], encoder: { kind: 'direct' }, timeSteps: T,
        layers: [{ kind: 'conv2d', channels: 4, kernel: 3, stride: 2, padding: 1 }, clif(0.9, 0.8), { kind: 'flatten' }, { kind: 'dense', units: 3 }, readout] },
    },
  ];
}

function inputFor(spec: NetworkSpec, seed: number): ModelInput {
  const perSample = shapeSize(spec.inputShape);
  if (spec.encoder.kind === 'direct') return { batchSize: B, shape: [B, ...spec.inputShape], data: randomArray(B * perSample, seed, 0, 1) };
  const n = T * B * perSample;
  return { batchSize: B, shape: [T, B, ...spec.inputShape], data: spec.encoder.kind === 'events' ? randomEvents(n, seed) : randomEvents(n, seed, 0.4).map((v) => Math.min(v, 1)) };
}

function assertSameOutput(actual: RuntimeOutput, expected: RuntimeOutput, where: string): void {
  assert.deepEqual([...actual.spikeCounts.keys()], [...expected.spikeCounts.keys()], `${where}: spiking layers`);
  let total = 0, possible = 0;
  for (const [name, counts] of expected.spikeCounts) {
    assert.deepEqual(Array.from(actual.spikeCounts.get(name)!), Array.from(counts), `${where}: spike counts of ${name}`);
    total += counts.reduce((a, c) => a + c, 0);
    possible += counts.length * T;
  }
  // A test where nothing (or everything) fires would not check the threshold and reset paths.
  assert.ok(total > 0.05 * possible && total < 0.95 * possible, `${where}: ${total} of ${possible} possible spikes; choose a gain that gives some activity`);
  assert.equal(actual.logits.length, expected.logits.length);
  actual.logits.forEach((v, i) => assert.ok(Math.abs(v - expected.logits[i]) <= 1e-5, `${where}: logit ${i}: tfjs ${v}, plain ${expected.logits[i]}`));
}

for (const preferred of [undefined, 'cpu'] as const) {
  test(`tfjs reference equals the clifStep loop (${preferred ?? 'default'} backend)`, async () => {
    const { tf, backend } = await loadTfjs(preferred);
    let seed = 10;
    for (const reset of ['subtract', 'zero'] as const) {
      for (const c of cases(reset)) {
        const params = initParams(validateSpec(c.spec), seed++, c.gain);
        const input = inputFor(c.spec, seed++);
        const network = createTfjsReference(tf, c.spec, params);
        try {
          assertSameOutput(await network.run(input), plainForward(c.spec, params, input), `${c.name} on ${backend}`);
        } finally {
          network.dispose();
        }
      }
    }
  });
}

test('loadTfjs falls back past a missing tfjs-node binary and honours a cpu request', async () => {
  const best = await loadTfjs();
  assert.ok(best.backend === 'tensorflow' || best.backend === 'wasm', `default backend ${best.backend}`);
  const product = best.tf.tidy(() => best.tf.matMul(best.tf.ones([2, 3]), best.tf.ones([3, 1])).dataSync());
  assert.deepEqual(Array.from(product), [3, 3]);
  const cpu = await loadTfjs('cpu');
  assert.equal(cpu.backend, 'cpu');
  assert.equal(cpu.tf.getBackend(), 'cpu');
});

test("the runtime registry serves the reference as 'tfjs', and it leaks no tensors", async () => {
  assert.equal(RUNTIMES.tfjs, tfjsReferenceRuntime);
  const c = cases('subtract')[2];
  const params = initParams(validateSpec(c.spec), 3, c.gain);
  const { tf } = await loadTfjs();
  const before = tf.memory().numTensors;
  const prepared = await tfjsReferenceRuntime.prepare({ checkpoint: { spec: c.spec, params, history: [] } });
  const input = inputFor(c.spec, 4);
  const out = await prepared.run(input);
  assertSameOutput(out, plainForward(c.spec, params, input), 'registry runtime');
  await prepared.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('the reference refuses an input of the wrong layout', async () => {
  const c = cases('subtract')[1];
  const { tf } = await loadTfjs();
  const network = createTfjsReference(tf, c.spec, initParams(validateSpec(c.spec), 1));
  try {
    await assert.rejects(network.run({ batchSize: B, shape: [B, 2, 6, 6], data: new Float32Array(B * 72) }), /input shape \[5,2,6,6\] does not match \[6,5,2,6,6\]/);
  } finally {
    network.dispose();
  }
});
