/**
 * The autodiff oracle (test/oracle/tfjs-gradients.ts) against checks that do not use tfjs:
 * - 'bptt' and 'instant' against central finite differences of a float64 JS network in which
 *   the spike is H(U₀−θ) + f(U−θ) − f(U₀−θ) (U₀: the membrane of the unperturbed run), f a
 *   primitive of the surrogate, so that the exact derivative of that smooth network is the
 *   surrogate gradient (research/ort-training.md). The reset uses the constant H(U₀−θ), which is
 *   what detaching it means. For 'instant' the state I[t−1], V[t−1] is also frozen at the
 *   unperturbed run's values, so that a perturbation moves step t only through step t.
 * - structural identities: with alpha = beta = 0 nothing carries over between steps except
 *   through terms multiplied by 0, so bptt = instant = trace exactly; with alpha, beta > 0 they
 *   differ; on a network without spiking layers the dynamics are linear and the trace gradient is
 *   exact, so trace = bptt there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelInput } from '../runtimes/runtime.ts';
import { clifParams } from '../src/neuron/clif.ts';
import type { SurrogateKind } from '../src/neuron/surrogate.ts';
import { initParams } from '../src/spec/params.ts';
import type { Layer, NetworkSpec, ResetMode } from '../src/spec/types.ts';
import type { ResolvedSpec } from '../src/spec/validate.ts';
import { shapeSize, validateSpec } from '../src/spec/validate.ts';
import type { Tensor } from '../src/util/tensor.ts';
import type { OracleLoss, OracleMode, OracleRequest } from './oracle/tfjs-gradients.ts';
import { oracleGradients } from './oracle/tfjs-gradients.ts';
import { randomArray, randomEvents, sampleAt, synapticInputJs } from './oracle/plain-network.ts';

const B = 3;

/** A primitive of each surrogate window: f' = h. */
function surrogatePrimitive(kind: SurrogateKind, w: number): (u: number) => number {
  switch (kind) {
    case 'fast-sigmoid': return (u) => u / (1 + Math.abs(u) / w);
    case 'sigmoid': return (u) => 1 / (1 + Math.exp(-u / w));
    case 'rectangular': return (u) => Math.max(-0.5, Math.min(0.5, u / w));
  }
}

/** Per block, step and sample: the current, the membrane before firing and after the reset. */
interface Trajectory { I: Float64Array[][][]; U: Float64Array[][][]; V: Float64Array[][][] }

/**
 * The float64 smooth network's loss. Without `base` it is the plain forward (and records the
 * trajectory); with `base`, spikes are H(U₀−θ) + f(U−θ) − f(U₀−θ) and the reset uses H(U₀−θ);
 * with `frozenState` the previous-step state is taken from `base`.
 */
function smoothLoss(resolved: ResolvedSpec, params: Map<string, { data: ArrayLike<number> }>, input: ModelInput, labels: number[], loss: OracleLoss,
  f: (u: number) => number, base?: Trajectory, frozenState = false): { loss: number; trajectory: Trajectory } {
  const { spec, blocks } = resolved;
  const T = spec.timeSteps;
  const perSample = shapeSize(spec.inputShape);
  const trajectory: Trajectory = { I: [], U: [], V: [] };
  for (const key of ['I', 'U', 'V'] as const) trajectory[key] = blocks.map(() => Array.from({ length: T }, () => new Array<Float64Array>(B)));
  let total = 0;
  for (let b = 0; b < B; b++) {
    const readoutSum = new Float64Array(resolved.classes);
    for (let t = 0; t < T; t++) {
      let x: ArrayLike<number> = sampleAt(input.data, spec.encoder.kind, B, perSample, t, b);
      blocks.forEach((block, k) => {
        const p = clifParams(block.neuron.layer);
        const z = synapticInputJs(block, params, x);
        const state = frozenState ? base! : trajectory;
        const Iprev = t > 0 ? state.I[k][t - 1][b] : undefined;
        const Vprev = t > 0 ? state.V[k][t - 1][b] : undefined;
        const I = z.map((zi, i) => p.alpha * (Iprev ? Iprev[i] : 0) + zi);
        const U = I.map((Ii, i) => p.beta * (Vprev ? Vprev[i] : 0) + Ii);
        trajectory.I[k][t][b] = I;
        trajectory.U[k][t][b] = U;
        if (p.theta === undefined) {
          trajectory.V[k][t][b] = U;
          if (loss === 'per-step') total += crossEntropy(U, labels[b]) / (T * B);
          else U.forEach((u, i) => { readoutSum[i] += u; });
          return;
        }
        const theta = p.theta;
        const U0 = base ? base.U[k][t][b] : U;
        const s0 = U0.map((u) => (u > theta ? 1 : 0));
        const spikes = U.map((u, i) => s0[i] + f(u - theta) - f(U0[i] - theta));
        x = spikes;
        trajectory.V[k][t][b] = U.map((u, i) => (p.reset === 'subtract' ? u - theta * s0[i] : u * (1 - s0[i])));
        // A spiking output layer: its spikes are the output, per step ('rate') or counted ('count').
        if (k === blocks.length - 1) {
          if (loss === 'rate') total += crossEntropy(spikes, labels[b]) / (T * B);
          else spikes.forEach((v, i) => { readoutSum[i] += v; });
        }
      });
    }
    if (loss === 'mean') total += crossEntropy(readoutSum.map((v) => v / T), labels[b]) / B;
    if (loss === 'count') total += crossEntropy(readoutSum, labels[b]) / B;
  }
  return { loss: total, trajectory };
}

function crossEntropy(logits: Float64Array, label: number): number {
  const max = Math.max(...logits);
  const logSum = Math.log(logits.reduce((a, v) => a + Math.exp(v - max), 0)) + max;
  return logSum - logits[label];
}

/** Central differences of the smooth network around the given parameters, every element. */
function finiteDifferences(resolved: ResolvedSpec, params: Map<string, Tensor>, input: ModelInput, labels: number[], loss: OracleLoss,
  f: (u: number) => number, frozenState: boolean): { loss: number; grads: Map<string, Float64Array> } {
  const wide = new Map([...params].map(([k, t]) => [k, { data: Float64Array.from(t.data) }]));
  const base = smoothLoss(resolved, wide, input, labels, loss, f);
  const grads = new Map<string, Float64Array>();
  const eps = 1e-5;
  for (const [name, { data }] of wide) {
    const g = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      data[i] = v + eps;
      const up = smoothLoss(resolved, wide, input, labels, loss, f, base.trajectory, frozenState).loss;
      data[i] = v - eps;
      const down = smoothLoss(resolved, wide, input, labels, loss, f, base.trajectory, frozenState).loss;
      data[i] = v;
      g[i] = (up - down) / (2 * eps);
    }
    grads.set(name, g);
  }
  return { loss: base.loss, grads };
}

function clif(alpha: number, beta: number, reset: ResetMode): Layer {
  return { kind: 'clif', alpha, beta, theta: 1, reset };
}

function denseNet(alpha: number, beta: number, reset: ResetMode, T: number): NetworkSpec {
  return { version: 1, name: 'dense', inputShape: [12], encoder: { kind: 'direct' }, timeSteps: T,
    layers: [{ kind: 'dense', units: 7 }, clif(alpha, beta, reset), { kind: 'dense', units: 4 }, { kind: 'readout', alpha, beta }] };
}

function convNet(alpha: number, beta: number, reset: ResetMode, T: number, pool: 'avgpool' | 'maxpool', encoder: 'events' | 'direct' = 'events'): NetworkSpec {
  return { version: 1, name: 'conv', inputShape: [2, 6, 6], encoder: { kind: encoder }, timeSteps: T,
    layers: [{ kind: 'conv2d', channels: 3, kernel: 3 }, { kind: pool, size: 2 }, clif(alpha, beta, reset), { kind: 'flatten' },
      { kind: 'dense', units: 5 }, { kind: 'readout', alpha, beta }] };
}

/** The same network ending in a spiking clif layer (its spike counts are the class scores). */
function spikingOutput(spec: NetworkSpec): NetworkSpec {
  const last = spec.layers[spec.layers.length - 1] as { alpha: number; beta: number };
  const reset = (spec.layers.find((l) => l.kind === 'clif') as { reset: ResetMode }).reset;
  return { ...spec, name: `${spec.name}-spikes`, layers: [...spec.layers.slice(0, -1), clif(last.alpha, last.beta, reset)] };
}

function batchFor(spec: NetworkSpec, seed: number): { input: ModelInput; labels: number[] } {
  const per = shapeSize(spec.inputShape);
  const T = spec.timeSteps;
  const input: ModelInput = spec.encoder.kind === 'direct'
    ? { batchSize: B, shape: [B, ...spec.inputShape], data: randomArray(B * per, seed, 0, 1) }
    : { batchSize: B, shape: [T, B, ...spec.inputShape], data: randomEvents(T * B * per, seed) };
  const classes = validateSpec(spec).classes;
  return { input, labels: Array.from({ length: B }, (_, b) => (b * 3 + seed) % classes) };
}

function request(spec: NetworkSpec, seed: number, gain: number, mode: OracleMode, loss: OracleLoss, surrogate: SurrogateKind = 'fast-sigmoid', width = 0.5): OracleRequest {
  return { spec, params: initParams(validateSpec(spec), seed, gain), ...batchFor(spec, seed + 1), mode, loss, surrogate, width };
}

/** max |a − b| ≤ atol + rtol·|b| per element, with atol relative to the largest |b|. */
function assertClose(actual: Map<string, Float32Array>, expected: Map<string, ArrayLike<number>>, rtol: number, atolScale: number, where: string): void {
  let scale = 0;
  for (const g of expected.values()) for (let i = 0; i < g.length; i++) scale = Math.max(scale, Math.abs(g[i]));
  assert.ok(scale > 0, `${where}: every expected gradient is zero; the check would be empty`);
  for (const [name, g] of expected) {
    const a = actual.get(name)!;
    assert.equal(a.length, g.length, `${where}: ${name} length`);
    for (let i = 0; i < g.length; i++) {
      const tol = atolScale * scale + rtol * Math.abs(g[i]);
      assert.ok(Math.abs(a[i] - g[i]) <= tol, `${where}: ${name}[${i}]: oracle ${a[i]}, expected ${g[i]} (tolerance ${tol.toExponential(2)})`);
    }
  }
}

function maxAbsDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let d = 0;
  for (const [name, g] of a) g.forEach((v, i) => { d = Math.max(d, Math.abs(v - b.get(name)![i])); });
  return d;
}

const fdCases: Array<{ name: string; spec: NetworkSpec; gain: number; surrogate: SurrogateKind; loss: OracleLoss }> = [
  { name: 'dense, direct, subtract', spec: denseNet(0.8, 0.9, 'subtract', 5), gain: 4, surrogate: 'fast-sigmoid', loss: 'per-step' },
  { name: 'dense, direct, zero', spec: denseNet(0.7, 0.6, 'zero', 6), gain: 4, surrogate: 'sigmoid', loss: 'mean' },
  { name: 'conv avgpool, events, subtract', spec: convNet(0.6, 0.8, 'subtract', 4, 'avgpool'), gain: 3, surrogate: 'fast-sigmoid', loss: 'mean' },
  { name: 'conv maxpool, events, zero', spec: convNet(0.9, 0.7, 'zero', 5, 'maxpool'), gain: 3, surrogate: 'sigmoid', loss: 'per-step' },
  { name: 'conv maxpool, direct, subtract', spec: convNet(0.8, 0.8, 'subtract', 4, 'maxpool', 'direct'), gain: 2, surrogate: 'fast-sigmoid', loss: 'per-step' },
  { name: 'dense spiking output, direct, subtract', spec: spikingOutput(denseNet(0.8, 0.9, 'subtract', 5)), gain: 4, surrogate: 'fast-sigmoid', loss: 'count' },
  { name: 'dense spiking output, direct, zero', spec: spikingOutput(denseNet(0.7, 0.6, 'zero', 6)), gain: 4, surrogate: 'sigmoid', loss: 'rate' },
  { name: 'conv avgpool spiking output, events, zero', spec: spikingOutput(convNet(0.6, 0.8, 'zero', 4, 'avgpool')), gain: 3, surrogate: 'fast-sigmoid', loss: 'count' },
  { name: 'conv maxpool spiking output, events, subtract', spec: spikingOutput(convNet(0.9, 0.7, 'subtract', 5, 'maxpool')), gain: 3, surrogate: 'sigmoid', loss: 'rate' },
];

for (const mode of ['bptt', 'instant'] as const) {
  test(`oracle '${mode}' gradient equals finite differences of the smooth-spike network`, async () => {
    let seed = 100;
    for (const c of fdCases) {
      const req = request(c.spec, seed += 7, c.gain, mode, c.loss, c.surrogate);
      const oracle = await oracleGradients(req);
      const fd = finiteDifferences(validateSpec(c.spec), req.params, req.input, Array.from(req.labels), c.loss, surrogatePrimitive(c.surrogate, req.width), mode === 'instant');
      const where = `${mode}, ${c.name}, ${c.surrogate}, ${c.loss}`;
      assert.ok(Math.abs(oracle.loss - fd.loss) <= 1e-5 * Math.abs(fd.loss), `${where}: loss ${oracle.loss} vs float64 ${fd.loss}`);
      // Measured agreement is ≈2e-7 of the largest gradient (the oracle runs in float32).
      assertClose(oracle.grads, fd.grads, 1e-4, 1e-5, where);
    }
  });
}

test('instant and trace equal bptt when alpha = beta = 0 (no path through time is left)', async () => {
  const specs = [denseNet(0, 0, 'subtract', 5), convNet(0, 0, 'zero', 4, 'avgpool'), spikingOutput(denseNet(0, 0, 'subtract', 5))];
  for (const [i, spec] of specs.entries()) {
    for (const loss of validateSpec(spec).output === 'spikes' ? ['count', 'rate'] as const : ['per-step', 'mean'] as const) {
      for (const surrogate of ['fast-sigmoid', 'rectangular'] as const) {
        const get = (mode: OracleMode) => oracleGradients(request(spec, 40 + i, 4, mode, loss, surrogate, 1));
        const bptt = await get('bptt');
        const where = `${spec.name}, ${loss}, ${surrogate}`;
        assert.ok(maxAbsDifference(bptt.grads, new Map([...bptt.grads].map(([k, g]) => [k, new Float32Array(g.length)]))) > 0, `${where}: zero gradient`);
        for (const mode of ['instant', 'trace'] as const) {
          const other = await get(mode);
          assert.equal(other.loss, bptt.loss, `${where}: ${mode} loss`);
          // Exact: the extra bptt terms are products with alpha or beta = 0, and adding 0 rounds to nothing.
          for (const [name, g] of bptt.grads) assert.deepEqual(other.grads.get(name), g, `${where}: ${mode} vs bptt, ${name}`);
        }
      }
    }
  }
});

test('instant and trace differ from bptt when alpha, beta > 0', async () => {
  for (const spec of [denseNet(0.8, 0.9, 'subtract', 6), convNet(0.7, 0.8, 'subtract', 5, 'avgpool'), spikingOutput(denseNet(0.8, 0.9, 'subtract', 6))]) {
    const get = (mode: OracleMode) => oracleGradients(request(spec, 7, 4, mode, validateSpec(spec).output === 'spikes' ? 'count' : 'per-step'));
    const bptt = await get('bptt');
    let scale = 0;
    for (const g of bptt.grads.values()) for (const v of g) scale = Math.max(scale, Math.abs(v));
    for (const mode of ['instant', 'trace'] as const) {
      const other = await get(mode);
      assert.equal(other.loss, bptt.loss, `${spec.name}: ${mode} changes the backward pass only`);
      assert.ok(maxAbsDifference(other.grads, bptt.grads) > 0.05 * scale, `${spec.name}: ${mode} should differ from bptt`);
    }
  }
});

test('trace equals bptt on a network without spiking layers (the leaky integration is linear)', async () => {
  const specs: NetworkSpec[] = [
    { version: 1, name: 'readout-only', inputShape: [12], encoder: { kind: 'direct' }, timeSteps: 6,
      layers: [{ kind: 'dense', units: 4 }, { kind: 'readout', alpha: 0.8, beta: 0.9 }] },
    { version: 1, name: 'conv-readout', inputShape: [2, 6, 6], encoder: { kind: 'events' }, timeSteps: 5,
      layers: [{ kind: 'conv2d', channels: 3, kernel: 3 }, { kind: 'avgpool', size: 2 }, { kind: 'flatten' }, { kind: 'readout', alpha: 0.6, beta: 0.7 }] },
  ];
  for (const spec of specs) {
    for (const loss of ['per-step', 'mean'] as const) {
      const bptt = await oracleGradients(request(spec, 5, 1, 'bptt', loss));
      const trace = await oracleGradients(request(spec, 5, 1, 'trace', loss));
      const instant = await oracleGradients(request(spec, 5, 1, 'instant', loss));
      assertClose(trace.grads, bptt.grads, 1e-4, 1e-6, `${spec.name}, ${loss}: trace vs bptt`);
      assert.ok(maxAbsDifference(instant.grads, bptt.grads) > 1e-3, `${spec.name}, ${loss}: instant should not be exact here`);
    }
  }
});

test('the oracle refuses a loss of the other output kind', async () => {
  await assert.rejects(oracleGradients(request(spikingOutput(denseNet(0.5, 0.5, 'subtract', 3)), 1, 1, 'bptt', 'mean')), /loss 'mean' does not apply to output 'spikes'/);
  await assert.rejects(oracleGradients(request(denseNet(0.5, 0.5, 'subtract', 3), 1, 1, 'bptt', 'count')), /loss 'count' does not apply to output 'membrane'/);
});

test('the trace oracle refuses networks with max pooling', async () => {
  await assert.rejects(oracleGradients(request(convNet(0.5, 0.5, 'subtract', 3, 'maxpool'), 1, 1, 'trace', 'mean')), /without maxpool/);
});
