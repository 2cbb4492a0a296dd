/**
 * NIR graphs (HDF5): read as `import nir FILE -o CK` reads one (importNir, then the checkpoint
 * saved and loaded back), then exported to ONNX as the next command would. Seeds come from the
 * project's NIR exporter and from a tree written like snnTorch's export; mutations reach the
 * bytes and, through the tree, the graph's structure and values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportNir } from '../../../exporters/nir/export.ts';
import { importNir } from '../../../exporters/nir/import.ts';
import { onnxExporter } from '../../../exporters/onnx/index.ts';
import { loadCheckpoint, saveCheckpoint } from '../../../src/checkpoint/checkpoint.ts';
import type { CraftedCase, FuzzFormat, Seed } from '../format.ts';
import { CONV_SPEC, DENSE_SPEC, checkpointOf } from './models.ts';
import type { NirTree } from './nir-tree.ts';
import { f32, handGraphTree, i64, loadH5wasm, str, writeTree } from './nir-tree.ts';

function treeSeed(name: string, tree: NirTree): Seed {
  return {
    name, bytes: writeTree(tree),
    views: [{ kind: 'json', name: 'HDF5 tree', value: tree, wrap: (text) => writeTree(JSON.parse(Buffer.from(text).toString('utf8'))) }],
  };
}

/** The hand-written graph with one edit. */
function edited(edit: (t: any) => void, o: Parameters<typeof handGraphTree>[0] = {}): Uint8Array {
  const t = handGraphTree(o) as any;
  edit(t);
  return writeTree(t);
}

export const nirFormat: FuzzFormat = {
  name: 'nir', entry: 'import nir (importNir), then export onnx', fileName: 'case.nir', text: false,
  seeds: async (dir) => {
    const exported = async (name: string, spec: typeof DENSE_SPEC): Promise<Seed> => {
      const path = join(dir, `${name}.nir`);
      await exportNir(checkpointOf(spec, 7), path, { dt: 1e-4, allowSubtractReset: false, pooling: 'avg', sourceName: name });
      return { name, bytes: readFileSync(path) };
    };
    const seeds = [await exported('dense export', DENSE_SPEC), await exported('conv export', CONV_SPEC)];
    await loadH5wasm();
    return [...seeds, treeSeed('snnTorch-like Affine/CubaLIF', handGraphTree())];
  },
  crafted: (): CraftedCase[] => [
    { name: 'time_steps 1e9', bytes: edited(() => {}, { timeSteps: 1e9 }) },
    { name: 'time_steps 2^53', bytes: edited(() => {}, { timeSteps: 2 ** 53 }) },
    { name: 'time_steps −1', bytes: edited(() => {}, { timeSteps: -1 }) },
    { name: 'input shape [65536, 65536]', bytes: edited((t) => { t.node.nodes.input.shape = i64([65536, 65536]); }) },
    { name: 'weight shape [5, 4, 1, 1, 1, 1, 1, 1]', bytes: edited((t) => { t.node.nodes.fc1.weight = f32(new Array(20).fill(0.5), [5, 4, 1, 1, 1, 1, 1, 1]); }) },
    { name: 'weight shape [0, 4]', bytes: edited((t) => { t.node.nodes.fc1.weight = f32([], [0, 4]); }) },
    { name: 'hidden layer of 1e7 neurons declared by its parameters only', bytes: edited((t) => { t.node.nodes.lif1.tau_syn = { $dtype: 'f64', shape: [1], data: [2e-4] }; t.node.nodes.fc1.weight = f32([1], [1, 1]); t.node.nodes.input.shape = i64([10_000_000]); }) },
    { name: 'an edge cycle', bytes: edited((t) => { t.node.edges.data = ['input', 'fc1', 'fc1', 'lif1', 'lif1', 'fc1', 'fc2', 'li', 'li', 'output']; }) },
    { name: 'edges naming missing nodes', bytes: edited((t) => { t.node.edges = { $dtype: 'str', shape: [2, 2], data: ['input', 'nowhere', 'nowhere', 'output'] }; }) },
    { name: 'no edges', bytes: edited((t) => { t.node.edges = { $dtype: 'str', shape: [0, 2], data: [] }; }) },
    { name: 'a nested NIRGraph', bytes: edited((t) => { t.node.nodes.lif1 = { type: str('NIRGraph'), nodes: {}, edges: { $dtype: 'str', shape: [0, 2], data: [] } }; }) },
    { name: 'node type as an int64', bytes: edited((t) => { t.node.nodes.fc1.type = i64([1], []); }) },
    { name: 'an external link to /etc/passwd as a node', bytes: edited((t) => { t.node.nodes.evil = { $link: 'external', file: '/etc/passwd', target: '/x' }; }) },
    { name: 'weight as an external link', bytes: edited((t) => { t.node.nodes.fc1.weight = { $link: 'external', file: '/etc/hostname', target: '/weight' }; }) },
    { name: 'a soft link loop', bytes: edited((t) => { t.node.nodes.loop = { $link: 'soft', target: '/node/nodes/loop' }; }) },
    { name: '5 000 nodes', bytes: edited((t) => { for (let i = 0; i < 5_000; i++) t.node.nodes[`n${i}`] = { type: str('Output'), shape: i64([2]) }; }) },
  ],
  read: async (path, scratch) => {
    const { checkpoint } = await importNir(path);
    const ck = join(scratch, 'imported.safetensors');
    saveCheckpoint(ck, checkpoint);
    await onnxExporter.export(loadCheckpoint(ck), join(scratch, 'model.onnx'), {}, ck);
  },
};
