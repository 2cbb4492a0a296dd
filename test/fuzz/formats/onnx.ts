/**
 * Exported ONNX models, read as `verify CK --onnx MODEL` reads one: the model file checked
 * against the checkpoint (readOnnxModel), a session made in onnxruntime-node and one batch run.
 * A model that passes the file checks reaches onnxruntime's native loader, so mutants also go
 * through the model as JSON (ModelProto's fields: node types, attributes, shapes, initializers),
 * re-encoded, to reach it with models that decode but make no sense.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { onnxExporter } from '../../../exporters/onnx/index.ts';
import { onnxruntimeNodeRuntime } from '../../../runtimes/onnxruntime-node.ts';
import { ModelProto, encodeModel } from '../../../src/compile/onnx-proto.ts';
import { saveCheckpoint } from '../../../src/checkpoint/checkpoint.ts';
import type { CraftedCase, FuzzFormat, Seed } from '../format.ts';
import { DENSE_SPEC, checkpointOf } from './models.ts';

/** The checkpoint every case is verified against (the seeds are its exports). */
const checkpoint = () => checkpointOf(DENSE_SPEC, 1);

function modelJson(bytes: Uint8Array): Record<string, any> {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: String, defaults: false });
}

let jsonModels: Record<string, any>[] = [];

export const onnxFormat: FuzzFormat = {
  name: 'onnx', entry: 'verify --onnx (readOnnxModel, onnxruntime-node session, one batch)', fileName: 'case.onnx', text: false,
  seeds: async (dir) => {
    const ckPath = join(dir, 'ck.safetensors');
    saveCheckpoint(ckPath, checkpoint());
    const seeds: Seed[] = [];
    for (const [name, timeLoop] of [['unrolled', false], ['time loop', true]] as const) {
      const out = join(dir, `${name.replace(' ', '-')}.onnx`);
      await onnxExporter.export(checkpoint(), out, { timeLoop }, ckPath);
      const bytes = readFileSync(out);
      const json = modelJson(bytes);
      seeds.push({ name, bytes, views: [{ kind: 'json', name: 'ModelProto', value: json, wrap: (text) => encodeModel(JSON.parse(Buffer.from(text).toString('utf8'))) }] });
    }
    jsonModels = seeds.map((s) => modelJson(s.bytes));
    return seeds;
  },
  crafted: (): CraftedCase[] => {
    const edit = (f: (m: any) => void): Uint8Array => { const m = structuredClone(jsonModels[0]); f(m); return encodeModel(m); };
    const firstOf = (m: any, op: string) => m.graph.node.find((n: any) => n.opType === op);
    return [
      { name: 'an unknown operator', bytes: edit((m) => { m.graph.node[0].opType = 'NoSuchOp'; }) },
      { name: 'opset 999', bytes: edit((m) => { m.opsetImport = [{ domain: '', version: 999 }]; }) },
      { name: 'IR version 99', bytes: edit((m) => { m.irVersion = 99; }) },
      { name: 'a node input nobody produces', bytes: edit((m) => { m.graph.node[1].input[0] = 'nowhere'; }) },
      { name: 'an initializer with dims [2^31, 2^31] and 4 bytes', bytes: edit((m) => { m.graph.initializer[0].dims = [2 ** 31, 2 ** 31]; }) },
      { name: 'a Gemm with transB 7', bytes: edit((m) => { const n = firstOf(m, 'Gemm') ?? firstOf(m, 'MatMul') ?? m.graph.node[0]; n.attribute = [{ name: 'transB', type: 2, i: 7 }]; }) },
      { name: 'the graph as its own node cycle', bytes: edit((m) => { const n = m.graph.node; n[0].input = [...n[0].input, n[n.length - 1].output[0]]; }) },
      { name: 'no nodes but the input and logits declared', bytes: edit((m) => { m.graph.node = [m.graph.node[0]]; }) },
    ];
  },
  read: async (path) => {
    const prepared = await onnxruntimeNodeRuntime.prepare({ checkpoint: checkpoint(), onnxPath: path });
    try {
      const size = DENSE_SPEC.inputShape.reduce((a, b) => a * b, 1);
      await prepared.run({ batchSize: 2, shape: [2, ...DENSE_SPEC.inputShape], data: new Float32Array(2 * size).fill(0.5) });
    } finally {
      await prepared.dispose();
    }
  },
};
