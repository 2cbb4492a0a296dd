/**
 * NIR graphs (HDF5): read as `import nir FILE -o CK` reads one (importNir, then the checkpoint
 * saved and loaded back), then exported to ONNX as the next command would. Seeds come from the
 * project's NIR exporter; crafted files are written with h5wasm through the exporter's helpers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportNir } from '../../../exporters/nir/export.ts';
import type { Group } from '../../../exporters/nir/h5.ts';
import { writeFloat32, writeFloat64, writeHdf5, writeInt64, writeString, writeStringTable } from '../../../exporters/nir/h5.ts';
import { importNir } from '../../../exporters/nir/import.ts';
import { onnxExporter } from '../../../exporters/onnx/index.ts';
import { loadCheckpoint, saveCheckpoint } from '../../../src/checkpoint/checkpoint.ts';
import type { CraftedCase, FuzzFormat } from '../format.ts';
import { CONV_SPEC, DENSE_SPEC, checkpointOf } from './models.ts';

/** What a hand-written Input → Affine → CubaLIF → Affine → CubaLI → Output graph may get wrong. */
interface HandGraph {
  timeSteps?: number;
  inputShape?: number[];
  weightShape?: number[];
  hidden?: number;
  /** Extra writes into the root, the graph group or the first Affine node. */
  edit?: (root: Group, graph: Group, affine: Group) => void;
  edges?: string[][];
}

async function handGraph(dir: string, name: string, o: HandGraph = {}): Promise<Uint8Array> {
  const path = join(dir, `${name.replace(/[^\w]+/g, '_')}.nir`);
  const hidden = o.hidden ?? 5;
  await writeHdf5(path, (root) => {
    writeString(root, 'version', '1.0.5');
    const graph = root.create_group('node');
    writeString(graph, 'type', 'NIRGraph');
    writeStringTable(graph, 'edges', o.edges ?? [['input', 'fc1'], ['fc1', 'lif1'], ['lif1', 'fc2'], ['fc2', 'li'], ['li', 'output']]);
    const meta = graph.create_group('metadata');
    writeFloat64(meta, 'dt', [1e-4], []);
    writeInt64(meta, 'time_steps', [o.timeSteps ?? 5], []);
    const nodes = graph.create_group('nodes');
    const input = nodes.create_group('input');
    writeString(input, 'type', 'Input'); writeInt64(input, 'shape', o.inputShape ?? [4]);
    const fc1 = nodes.create_group('fc1');
    writeString(fc1, 'type', 'Affine');
    const ws = o.weightShape ?? [hidden, 4];
    writeFloat32(fc1, 'weight', Float32Array.from({ length: ws.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)), ws);
    writeFloat32(fc1, 'bias', new Float32Array(ws[0]), [ws[0]]);
    const lif = nodes.create_group('lif1');
    writeString(lif, 'type', 'CubaLIF');
    for (const [k, v] of [['tau_syn', 2e-4], ['tau_mem', 5e-4], ['r', 1], ['v_leak', 0], ['w_in', 1], ['v_threshold', 1]] as const) writeFloat64(lif, k, new Array(hidden).fill(v), [hidden]);
    const fc2 = nodes.create_group('fc2');
    writeString(fc2, 'type', 'Linear'); writeFloat32(fc2, 'weight', Float32Array.from({ length: 2 * hidden }, (_, i) => Math.cos(i)), [2, hidden]);
    const li = nodes.create_group('li');
    writeString(li, 'type', 'CubaLI');
    for (const [k, v] of [['tau_syn', 2e-4], ['tau_mem', 5e-4], ['r', 1], ['v_leak', 0], ['w_in', 1]] as const) writeFloat64(li, k, [v, v], [2]);
    const output = nodes.create_group('output');
    writeString(output, 'type', 'Output'); writeInt64(output, 'shape', [2]);
    o.edit?.(root, graph, fc1);
  });
  return readFileSync(path);
}

let crafted: CraftedCase[] = [];

export const nirFormat: FuzzFormat = {
  name: 'nir', entry: 'import nir (importNir), then export onnx', fileName: 'case.nir', text: false,
  seeds: async (dir) => {
    const exported = async (name: string, spec: typeof DENSE_SPEC) => {
      const path = join(dir, `${name}.nir`);
      await exportNir(checkpointOf(spec, 7), path, { dt: 1e-4, allowSubtractReset: false, pooling: 'avg', sourceName: name });
      return { name, bytes: readFileSync(path) };
    };
    const seeds = [await exported('dense export', DENSE_SPEC), await exported('conv export', CONV_SPEC), { name: 'hand-written Affine/CubaLIF', bytes: await handGraph(dir, 'hand') }];
    // Crafted files are written here, while h5wasm is loaded, since crafted() is synchronous.
    const make = async (name: string, o: HandGraph): Promise<void> => {
      try { crafted.push({ name, bytes: await handGraph(dir, name, o) }); } catch (err) { process.stderr.write(`fuzz: nir crafted case '${name}' could not be written: ${(err as Error).message}\n`); }
    };
    crafted = [];
    await make('time_steps 1e9', { timeSteps: 1e9 });
    await make('time_steps 2^53', { timeSteps: 2 ** 53 });
    await make('time_steps −1', { timeSteps: -1 });
    await make('input shape [65536, 65536]', { inputShape: [65536, 65536] });
    await make('weight shape [5, 4, 1, 1, 1, 1, 1, 1]', { weightShape: [5, 4, 1, 1, 1, 1, 1, 1] });
    await make('weight shape [0, 4]', { weightShape: [0, 4] });
    await make('an edge cycle', { edges: [['input', 'fc1'], ['fc1', 'lif1'], ['lif1', 'fc1'], ['fc2', 'li'], ['li', 'output']] });
    await make('edges naming missing nodes', { edges: [['input', 'nowhere'], ['nowhere', 'output']] });
    await make('no edges', { edges: [] });
    await make('an external link to /etc/passwd as a node', { edit: (_r, graph) => { (graph.get('nodes') as Group).create_external_link('/etc/passwd', '/x', 'evil'); } });
    await make('weight as an external link', { edit: (_r, _g, fc1) => { fc1.create_external_link('/etc/hostname', '/weight', 'weight_ext'); } });
    await make('a soft link loop', { edit: (root) => { root.create_soft_link('/loop', 'loop'); } });
    await make('type as an int64 dataset', { edit: (_r, _g, fc1) => { writeInt64(fc1, 'tau', [1]); } });
    return seeds;
  },
  crafted: () => crafted,
  read: async (path, scratch) => {
    const { checkpoint } = await importNir(path);
    const ck = join(scratch, 'imported.safetensors');
    saveCheckpoint(ck, checkpoint);
    await onnxExporter.export(loadCheckpoint(ck), join(scratch, 'model.onnx'), {}, ck);
  },
};
