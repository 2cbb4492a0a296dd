import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';

/** ONNX target of every graph the project writes (docs/formats.md): IR 8, default-domain opset 17. */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

const root = protobuf.loadSync(fileURLToPath(new URL('./onnx.proto', import.meta.url)));
/** The protobufjs type of `onnx.ModelProto`. */
export const ModelProto = root.lookupType('onnx.ModelProto');

export const TensorDataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9 } as const;
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7 } as const;

export function encodeModel(model: Record<string, unknown>): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

export function decodeModel(bytes: Uint8Array): Record<string, any> {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Uint8Array, defaults: false });
}
