// The exported file, read back field by field with h5wasm, against research/targets.md §1:
// the layout nir.write produces and the traps of NIR's readers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import h5wasm from 'h5wasm/node';
import type { Dataset, Group } from 'h5wasm/node';
import { exportNir, nirExportOptions } from '../exporters/nir/export.ts';
import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import { saveCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { SnnError } from '../src/errors.ts';
import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import { initParams } from '../src/spec/params.ts';
import type { NetworkSpec } from '../src/spec/types.ts';
import { validateSpec } from '../src/spec/validate.ts';

await h5wasm.ready;
const dir = mkdtempSync(join(tmpdir(), 'nir-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const convSpec: NetworkSpec = {
  version: 1, name: 'conv', inputShape: [1, 12, 12], encoder: { kind: 'rate', seed: 9 }, timeSteps: 7,
  layers: [
    { kind: 'conv2d', channels: 3, kernel: 3, stride: 1, padding: 1 }, { kind: 'avgpool', size: 2 }, { kind: 'clif', alpha: 0.9, beta: 0.8, reset: 'zero' },
    { kind: 'conv2d', channels: 4, kernel: 3, bias: false }, { kind: 'clif', alpha: 0.5, beta: 0.95, theta: 0.5, reset: 'zero' },
    { kind: 'flatten' }, { kind: 'dense', units: 6, bias: false }, { kind: 'clif', alpha: 0, beta: 0.7, reset: 'zero' },
    { kind: 'dense', units: 3 }, { kind: 'readout', alpha: 0.8, beta: 0.9 },
  ],
};
const checkpointOf = (spec: NetworkSpec): Checkpoint => ({ spec, params: initParams(validateSpec(spec), 1), history: [] });

/** Exactly the fields nir.write produces per type (NIR 1.0.x dataclasses); a reader rejects any other. */
const FIELDS: Record<string, string[]> = {
  Input: ['shape'], Output: ['shape'], Affine: ['weight', 'bias'], Linear: ['weight'],
  Conv2d: ['input_shape', 'weight', 'stride', 'padding', 'dilation', 'groups', 'bias'],
  AvgPool2d: ['kernel_size', 'stride', 'padding'], SumPool2d: ['kernel_size', 'stride', 'padding'],
  Flatten: ['input_type', 'start_dim', 'end_dim'],
  CubaLIF: ['tau_syn', 'tau_mem', 'r', 'v_leak', 'v_threshold', 'w_in'], CubaLI: ['tau_syn', 'tau_mem', 'r', 'v_leak', 'w_in'],
  LIF: ['tau', 'r', 'v_leak', 'v_threshold'], IF: ['r', 'v_threshold'],
};
const INT64_FIELDS = new Set(['shape', 'input_shape', 'stride', 'padding', 'dilation', 'groups', 'kernel_size', 'input_type', 'start_dim', 'end_dim']);

function open<T>(path: string, read: (f: Group) => T): T {
  const f = new h5wasm.File(path, 'r');
  try { return read(f); } finally { f.close(); }
}
const ds = (g: Group, path: string): Dataset => g.get(path) as Dataset;
const isVlenUtf8Scalar = (d: Dataset): boolean => d.metadata.type === 3 && d.metadata.vlen && d.metadata.cset === 1 && (d.shape ?? []).length === 0;

test('the export follows nir.write\'s layout and the reader traps of targets.md §1', async () => {
  const path = join(dir, 'conv.nir');
  const summary = await exportNir(checkpointOf(convSpec), path, { dt: 1e-4, allowSubtractReset: false, pooling: 'avg', readout: 'cubali' });
  assert.match(summary, /Input → Conv2d → AvgPool2d → CubaLIF → Conv2d → CubaLIF → Flatten → Linear → LIF → Affine → CubaLI → Output/);
  assert.deepEqual([...readFileSync(path).subarray(0, 8)], [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  const resolved = validateSpec(convSpec);
  open(path, (f) => {
    assert.deepEqual(f.keys().sort(), ['node', 'version']);
    assert.ok(isVlenUtf8Scalar(ds(f, 'version')));
    assert.ok(isVlenUtf8Scalar(ds(f, 'node/type')));
    assert.equal(ds(f, 'node/type').value, 'NIRGraph');
    assert.deepEqual((f.get('node') as Group).keys().sort(), ['edges', 'metadata', 'nodes', 'type']);
    const edges = ds(f, 'node/edges');
    assert.equal(edges.metadata.type, 3);
    assert.equal(edges.metadata.cset, 1);
    const names = ['input', ...resolved.layers.map((r) => r.name), 'output'];
    assert.deepEqual(edges.shape, [names.length - 1, 2]);
    assert.deepEqual(edges.value, names.slice(1).flatMap((n, i) => [names[i], n]));

    const nodes = f.get('node/nodes') as Group;
    assert.deepEqual(nodes.keys().sort(), [...names].sort());
    for (const key of nodes.keys()) {
      const g = nodes.get(key) as Group;
      const type = ds(g, 'type').value as string;
      assert.ok(isVlenUtf8Scalar(ds(g, 'type')), `${key}/type`);
      // No unknown fields (v1.0.x calls cls(**fields)), no v_reset (readers ≤ 1.0.5), no node metadata (1.0.4).
      assert.deepEqual(g.keys().filter((k) => k !== 'type').sort(), [...FIELDS[type]].sort(), `fields of ${key} (${type})`);
      for (const field of g.keys()) {
        if (!INT64_FIELDS.has(field)) continue;
        assert.equal(ds(g, field).dtype, '<q', `${key}/${field} must be int64`);
      }
    }
    assert.deepEqual([...ds(nodes, 'conv2d1/input_shape').value as BigInt64Array], [12n, 12n]);
    assert.deepEqual([...ds(nodes, 'conv2d2/input_shape').value as BigInt64Array], [6n, 6n]);
    assert.deepEqual(ds(nodes, 'conv2d1/stride').shape, [2]);
    assert.deepEqual([...ds(nodes, 'conv2d1/padding').value as BigInt64Array], [1n, 1n]);
    assert.deepEqual(ds(nodes, 'conv2d1/groups').shape, []);
    assert.deepEqual([...ds(nodes, 'flatten1/input_type').value as BigInt64Array], [4n, 4n, 4n]);
    assert.equal(ds(nodes, 'flatten1/start_dim').value, 0n);
    // A conv without bias still carries one (NIR's Conv2d requires it): zeros.
    assert.deepEqual([...ds(nodes, 'conv2d2/bias').value as Float32Array], [0, 0, 0, 0]);

    // Neuron parameters have the upstream output shape, never scalars.
    for (const r of resolved.layers.filter((l) => l.layer.kind === 'clif' || l.layer.kind === 'readout')) {
      const type = r.layer.kind === 'readout' ? 'CubaLI' : (r.layer as { alpha: number }).alpha === 0 ? 'LIF' : 'CubaLIF';
      for (const field of FIELDS[type]) {
        assert.deepEqual(ds(nodes, `${r.name}/${field}`).shape, r.outShape, `${r.name}/${field}`);
      }
    }
    // snnTorch's convention: tau = dt/(1 − decay), r = tau_mem/dt, w_in = tau_syn/dt, v_leak = 0.
    const first = (p: string): number => (ds(nodes, p).value as Float64Array)[0];
    assert.ok(Math.abs(first('clif1/tau_syn') - 1e-3) < 1e-15);
    assert.ok(Math.abs(first('clif1/tau_mem') - 5e-4) < 1e-15);
    assert.equal(first('clif1/r'), first('clif1/tau_mem') / 1e-4);
    assert.equal(first('clif1/w_in'), first('clif1/tau_syn') / 1e-4);
    assert.equal(first('clif1/v_leak'), 0);
    assert.equal(first('clif1/v_threshold'), 1);
    assert.equal(first('clif2/v_threshold'), 0.5);
    // alpha 0: the simplest exact neuron is a LIF, with snnTorch's r = tau/dt (gain 1).
    assert.ok(Math.abs(first('clif3/tau') - 1e-4 / 0.3) < 1e-15);
    assert.equal(first('clif3/r'), first('clif3/tau') / 1e-4);

    const meta = f.get('node/metadata') as Group;
    assert.equal(ds(meta, 'dt').value, 1e-4);
    assert.equal(ds(meta, 'time_unit').value, 's');
    assert.equal(ds(meta, 'integrator').value, 'forward-euler');
    assert.equal(ds(meta, 'reset_mode').value, 'zero');
    assert.match(ds(meta, 'source').value as string, /^snn-export/);
    assert.equal(ds(meta, 'time_steps').value, 7n);
    assert.equal(ds(meta, 'encoder').value, 'rate');
    assert.equal(ds(meta, 'encoder_seed').value, 9n);
  });
});

test('by default the readout is LI → LI (CubaLI\'s two stages), and a network that starts by flattening gets a flat Input and no Flatten', async () => {
  const spec: NetworkSpec = {
    version: 1, name: 'flat', inputShape: [1, 6, 5], encoder: { kind: 'direct' }, timeSteps: 4,
    layers: [{ kind: 'flatten' }, { kind: 'dense', units: 8 }, { kind: 'clif', alpha: 0.9, beta: 0.8, reset: 'zero' }, { kind: 'dense', units: 3 }, { kind: 'readout', alpha: 0.6, beta: 0.75 }],
  };
  const path = join(dir, 'flat.nir');
  const summary = await exportNir(checkpointOf(spec), path, { dt: 1e-4, allowSubtractReset: false, pooling: 'avg' });
  assert.match(summary, /\(Input → Affine → CubaLIF → Affine → LI → LI → Output\)/);
  open(path, (f) => {
    const nodes = f.get('node/nodes') as Group;
    assert.deepEqual([...ds(nodes, 'input/shape').value as BigInt64Array], [30n]);
    assert.deepEqual([...ds(f, 'node/metadata/input_shape').value as BigInt64Array], [1n, 6n, 5n]);
    assert.equal(ds(f, 'node/metadata/readout').value, 'li');
    assert.deepEqual((ds(f, 'node/edges').value as string[]).slice(-6), ['dense2', 'readout1_syn', 'readout1_syn', 'readout1', 'readout1', 'output']);
    const first = (p: string): number => (ds(nodes, p).value as Float64Array)[0];
    for (const key of ['readout1_syn', 'readout1']) {
      assert.deepEqual((nodes.get(key) as Group).keys().filter((k) => k !== 'type').sort(), ['r', 'tau', 'v_leak']);
      assert.equal(ds(nodes, `${key}/type`).value, 'LI');
      assert.deepEqual(ds(nodes, `${key}/tau`).shape, [3]);
    }
    // Stage 1 is the synaptic current (tau_syn, r = w_in), stage 2 the membrane (tau_mem, r): gains of 1.
    assert.ok(Math.abs(first('readout1_syn/tau') - 1e-4 / 0.4) < 1e-15);
    assert.equal(first('readout1_syn/r'), first('readout1_syn/tau') / 1e-4);
    assert.ok(Math.abs(first('readout1/tau') - 1e-4 / 0.25) < 1e-15);
    assert.equal(first('readout1/r'), first('readout1/tau') / 1e-4);
  });
});

test('the cubalif readout form has a power-of-ten threshold above what its membrane can reach', async () => {
  const ck = checkpointOf(convSpec);
  const path = join(dir, 'cubalif.nir');
  await exportNir(ck, path, { dt: 1e-4, allowSubtractReset: false, pooling: 'avg', readout: 'cubalif' });
  // |U| ≤ m·T² with m the largest Σ|w| + |b| of a readout unit (inputs are spikes).
  const w = ck.params.get('dense2.weight')!, b = ck.params.get('dense2.bias')!;
  let m = 0;
  for (let o = 0; o < 3; o++) m = Math.max(m, Math.abs(b.data[o]) + w.data.slice(o * 6, o * 6 + 6).reduce((a, v) => a + Math.abs(v), 0));
  open(path, (f) => {
    const theta = (ds(f, 'node/nodes/readout1/v_threshold').value as Float64Array)[0];
    assert.equal(ds(f, 'node/nodes/readout1/type').value, 'CubaLIF');
    assert.ok(theta >= 1e6 && theta > m * 7 * 7 && Number.isInteger(Math.log10(theta)), `threshold ${theta}`);
    assert.equal(ds(f, 'node/metadata/readout').value, 'cubalif');
  });
});

test('SumPool2d form: the weights before it carry 1/k²', async () => {
  const path = join(dir, 'sum.nir');
  const ck = checkpointOf(convSpec);
  await exportNir(ck, path, { dt: 1e-4, allowSubtractReset: false, pooling: 'sum' });
  open(path, (f) => {
    assert.equal(ds(f, 'node/nodes/avgpool1/type').value, 'SumPool2d');
    const w = ds(f, 'node/nodes/conv2d1/weight').value as Float32Array;
    assert.deepEqual(w, ck.params.get('conv2d1.weight')!.data.map((v) => v / 4));
    assert.deepEqual(ds(f, 'node/nodes/conv2d2/weight').value, ck.params.get('conv2d2.weight')!.data);
  });
});

test('max pooling is refused naming the layer and the alternative; nothing is written', async () => {
  const spec = BUILTIN_ARCHITECTURES.csnn({ alpha: 0.9, beta: 0.8, reset: 'zero', timeSteps: 5, encoder: { kind: 'direct' } });
  const out = join(dir, 'kept.nir');
  writeFileSync(out, 'previous model');
  await assert.rejects(exportNir(checkpointOf(spec), out, { dt: 1e-4, allowSubtractReset: true, pooling: 'avg' }), (err: SnnError) => {
    assert.equal(err.kind, 'doesNotFit');
    assert.match(err.message, /^layer 2 \(maxpool 'maxpool1'\): NIR has no max pooling; retrain with average pooling \(train --target snntorch, norse or lava-dl does that, or a spec with "kind": "avgpool"\)$/);
    return true;
  });
  assert.equal(readFileSync(out, 'utf8'), 'previous model');
});

test('subtract reset is refused unless allowed, then recorded in the metadata', async () => {
  const spec = BUILTIN_ARCHITECTURES.fc({ alpha: 0.9, beta: 0.8, timeSteps: 5, encoder: { kind: 'direct' }, inputShape: [1, 4, 4], classes: 3 });
  const out = join(dir, 'fc.nir');
  await assert.rejects(exportNir(checkpointOf(spec), out, { dt: 1e-4, allowSubtractReset: false, pooling: 'avg' }),
    /layer 'clif1' resets by subtraction, which NIR cannot express .* --allow-subtract-reset/);
  assert.ok(!readdirSync(dir).includes('fc.nir'));
  const summary = await exportNir(checkpointOf(spec), out, { dt: 1e-4, allowSubtractReset: true, pooling: 'avg' });
  assert.match(summary, /subtract reset recorded in metadata only/);
  open(out, (f) => {
    assert.equal(ds(f, 'node/metadata/reset_mode').value, 'subtract');
    assert.equal((f.get('node/nodes/clif1') as Group).keys().includes('v_reset'), false);
  });
  // The atomic write leaves no temporary file beside the output.
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp')), []);
});

test('snn-export export nir through the CLI: the summary on success, one line and exit code 7 on max pooling', () => {
  const root = join(import.meta.dirname, '..');
  const good = join(dir, 'cli.safetensors'), maxpool = join(dir, 'cli-maxpool.safetensors');
  saveCheckpoint(good, checkpointOf(convSpec));
  saveCheckpoint(maxpool, checkpointOf(BUILTIN_ARCHITECTURES.csnn({ alpha: 0.9, beta: 0.8, timeSteps: 5, encoder: { kind: 'direct' } })));
  const run = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'snn-export.js'), 'export', 'nir', ...args], { encoding: 'utf8' });
  const ok = run([good, '-o', join(dir, 'cli.nir'), '--dt', '1e-3']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^wrote .*cli\.nir: NIR graph of 13 nodes .*Affine → LI → LI → Output\), dt = 0\.001 s/);
  open(join(dir, 'cli.nir'), (f) => {
    assert.equal(ds(f, 'node/metadata/dt').value, 1e-3);
    assert.match(ds(f, 'node/metadata/source').value as string, /cli\.safetensors/);
  });
  const bad = run([maxpool, '-o', join(dir, 'never.nir')]);
  assert.equal(bad.status, 7);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /^snn-export: layer 2 \(maxpool 'maxpool1'\): NIR has no max pooling/);
  const badDt = run([good, '-o', join(dir, 'never.nir'), '--dt', 'soon']);
  assert.equal(badDt.status, 2);
  assert.match(badDt.stderr, /^snn-export: option --dt: must be a positive number of seconds, got 'soon'\n$/);
});

test('--reader writes the forms that reader maps, refuses a form flag it contradicts, and lava-dl refuses a bias', async () => {
  const avgConv: NetworkSpec = { ...convSpec, layers: convSpec.layers.map((l) => (l.kind === 'clif' ? { ...l, alpha: 0.5 } : l)) };
  const forms = async (reader: string): Promise<string> => {
    const path = join(dir, `${reader}.nir`);
    const summary = await exportNir(checkpointOf(avgConv), path, nirExportOptions({ reader }, 'ck.safetensors'));
    return summary.match(/\((Input .*Output)\)/)![1];
  };
  assert.equal(await forms('snntorch'), 'Input → Conv2d → AvgPool2d → CubaLIF → Conv2d → CubaLIF → Flatten → Linear → CubaLIF → Affine → CubaLIF → Output');
  assert.equal(await forms('norse'), 'Input → Conv2d → SumPool2d → CubaLIF → Conv2d → CubaLIF → Flatten → Linear → CubaLIF → Affine → LI → LI → Output');
  await assert.rejects(forms('lava-dl'), /^SnnError: layer 1 \(conv2d 'conv2d1'\) has a bias, which lava-dl does not take; train with --target lava-dl \(no bias\), or export without --reader$/);
  assert.throws(() => nirExportOptions({ reader: 'norse', pooling: 'avg' }, 'ck'), /^SnnError: option --pooling avg cannot apply with --reader norse: norse maps only 'sum'; leave --pooling out$/);
  assert.throws(() => nirExportOptions({ reader: 'pytorch' }, 'ck'), /option --reader: must be one of snntorch, norse, lava-dl, got 'pytorch'/);
  assert.deepEqual(nirExportOptions({ reader: 'norse', pooling: 'sum' }, 'ck').pooling, 'sum');
  // Norse ignores r: a neuron without leak (beta 1, tau = ∞) would integrate nothing there.
  const leakless: NetworkSpec = { ...avgConv, layers: avgConv.layers.map((l) => (l.kind === 'clif' ? { ...l, beta: 1 } : l)) };
  await assert.rejects(exportNir(checkpointOf(leakless), join(dir, 'leakless.nir'), nirExportOptions({ reader: 'norse' }, 'ck')), /^SnnError: layer 3 \(clif 'clif1'\) has beta 1 \(no leak: tau = ∞\), which norse cannot run/);
});

test('a network with a spiking output layer is written without a readout form, and refuses --nir-readout', async () => {
  const spiking: NetworkSpec = { ...convSpec, layers: [...convSpec.layers.slice(0, -1), { kind: 'clif', alpha: 0.5, beta: 0.9, reset: 'zero' }] };
  const path = join(dir, 'spiking-out.nir');
  assert.match(await exportNir(checkpointOf(spiking), path, nirExportOptions({}, 'ck')), /Affine → CubaLIF → Output/);
  open(path, (f) => {
    const meta = f.get('node/metadata') as Group;
    assert.equal(ds(meta, 'output').value, 'spikes');
    assert.equal(meta.get('readout'), null);
  });
  await assert.rejects(exportNir(checkpointOf(spiking), path, nirExportOptions({ nirReadout: 'li' }, 'ck')), /option --nir-readout cannot apply: conv ends in the spiking layer 'clif4', not a readout; leave --nir-readout out/);
});
