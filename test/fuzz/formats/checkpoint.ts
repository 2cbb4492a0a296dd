/**
 * Checkpoints (safetensors): read as `export onnx CK` reads one (loadCheckpoint, then the ONNX
 * exporter, which checks the parameters against the spec and builds the model), with the recorded
 * training settings checked as `train --resume CK` checks them. Mutations reach the raw bytes,
 * the safetensors JSON header and the spec and training settings inside its metadata.
 */
import { join } from 'node:path';
import { onnxExporter } from '../../../exporters/onnx/index.ts';
import { encodeCheckpoint, loadCheckpoint } from '../../../src/checkpoint/checkpoint.ts';
import type { Checkpoint } from '../../../src/checkpoint/checkpoint.ts';
import { checkSettings } from '../../../src/train/settings.ts';
import type { CraftedCase, FuzzFormat, Seed } from '../format.ts';
import { CONV_SPEC, DENSE_SPEC, checkpointOf } from './models.ts';

const concat = (parts: Uint8Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** Splits a safetensors file into its header JSON and its data. */
function split(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const len = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + len)).toString('utf8')), data: bytes.subarray(8 + len) };
}

/** A safetensors file from header text and data bytes, the length prefix recomputed. */
function join8(headerText: Uint8Array, data: Uint8Array): Uint8Array {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerText.length));
  return concat([len, headerText, data]);
}

function seedOf(name: string, ck: Checkpoint): Seed {
  const bytes = concat(encodeCheckpoint(ck));
  const { header, data } = split(bytes);
  const withMetadata = (field: string) => (text: Uint8Array) => join8(Buffer.from(JSON.stringify({ ...header, __metadata__: { ...header.__metadata__, [field]: Buffer.from(text).toString('utf8') } })), data);
  const views: Seed['views'] = [
    { kind: 'json', name: 'safetensors header', value: header, wrap: (text) => join8(text, data) },
    { kind: 'json', name: 'spec metadata', value: JSON.parse(header.__metadata__.spec), wrap: withMetadata('spec') },
  ];
  if (header.__metadata__.training) views.push({ kind: 'json', name: 'training metadata', value: JSON.parse(header.__metadata__.training), wrap: withMetadata('training') });
  return { name, bytes, views };
}

export const checkpointFormat: FuzzFormat = {
  name: 'checkpoint', entry: 'export onnx (loadCheckpoint, ONNX exporter)', fileName: 'case.safetensors', text: false,
  seeds: async () => {
    const conv = checkpointOf(CONV_SPEC, 2);
    conv.optimizer = { step: 7, m: new Map(conv.params), v: new Map(conv.params) };
    conv.training = { epochs: 1, lr: 0.003 };
    conv.progress = { epoch: 1, batch: 0 };
    return [seedOf('dense', checkpointOf(DENSE_SPEC, 1)), seedOf('conv with optimizer state', conv)];
  },
  crafted: (seeds) => {
    const { header, data } = split(seeds[0].bytes);
    const spec = JSON.parse(header.__metadata__.spec);
    const withHeader = (h: unknown) => join8(Buffer.from(JSON.stringify(h)), data);
    const withSpec = (s: unknown) => withHeader({ ...header, __metadata__: { ...header.__metadata__, spec: JSON.stringify(s) } });
    const firstTensor = Object.keys(header).find((k) => k !== '__metadata__')!;
    const tensor = (t: unknown) => withHeader({ ...header, [firstTensor]: t });
    const cases: CraftedCase[] = [
      { name: 'header null', bytes: join8(Buffer.from('null'), data) },
      { name: 'header []', bytes: join8(Buffer.from('[]'), data) },
      { name: 'header length 2^64−1', bytes: concat([Buffer.from([255, 255, 255, 255, 255, 255, 255, 255]), seeds[0].bytes.subarray(8)]) },
      { name: 'negative data_offsets', bytes: tensor({ ...header[firstTensor], data_offsets: [-64, header[firstTensor].data_offsets[1] - 64] }) },
      { name: 'data_offsets beyond the file', bytes: tensor({ ...header[firstTensor], data_offsets: [0, 2 ** 40] }) },
      { name: 'shape [2^31, 2^31]', bytes: tensor({ ...header[firstTensor], shape: [2 ** 31, 2 ** 31] }) },
      { name: 'dtype F64', bytes: tensor({ ...header[firstTensor], dtype: 'F64' }) },
      { name: 'metadata null', bytes: withHeader({ ...header, __metadata__: null }) },
      { name: 'spec timeSteps 1e5', bytes: withSpec({ ...spec, timeSteps: 100_000 }) },
      { name: 'spec timeSteps 1e9', bytes: withSpec({ ...spec, timeSteps: 1e9 }) },
      { name: 'spec with a null layer', bytes: withSpec({ ...spec, layers: [null, ...spec.layers] }) },
      { name: 'spec units 1e6', bytes: withSpec({ ...spec, layers: spec.layers.map((l: any) => (l.kind === 'dense' ? { ...l, units: 1e6 } : l)) }) },
      { name: 'spec inputShape [1, 65536, 65536]', bytes: withSpec({ ...spec, inputShape: [1, 65536, 65536] }) },
      { name: 'spec 1000 layers', bytes: withSpec({ ...spec, layers: [...spec.layers.slice(0, 2), ...Array.from({ length: 1000 }, () => ({ kind: 'clif', alpha: 0.5, beta: 0.5 })), ...spec.layers.slice(2)] }) },
      { name: 'optimizer_step "NaN"', bytes: withHeader({ ...header, __metadata__: { ...header.__metadata__, optimizer_step: 'NaN' } }) },
      // At the time-step limit (T 10 000) the unrolled export must still fit in memory.
      { name: 'spec at the time-step limit: T 10 000', bytes: withSpec({ ...spec, timeSteps: 10_000 }) },
      { name: "training settings with a 'toString' key", bytes: withHeader({ ...header, __metadata__: { ...header.__metadata__, training: JSON.stringify({ epochs: 1, toString: 1 }), progress: '{"epoch":1,"batch":0}' } }) },
      { name: "training settings with a '__proto__' key", bytes: withHeader({ ...header, __metadata__: { ...header.__metadata__, training: '{"epochs":1,"__proto__":{"lr":-1}}', progress: '{"epoch":1,"batch":0}' } }) },
      { name: 'format_version 2', bytes: withHeader({ ...header, __metadata__: { ...header.__metadata__, format_version: '2' } }) },
    ];
    return cases;
  },
  read: async (path, scratch) => {
    const ck = loadCheckpoint(path);
    // What `train --resume CK` checks before training (src/cli/train.ts): the recorded settings, by the rules of the flags.
    if (ck.training) checkSettings(ck.training, (name) => `${path}: training.${name}`, false, 'malformedInput');
    await onnxExporter.export(ck, join(scratch, 'model.onnx'), {}, path);
  },
};
