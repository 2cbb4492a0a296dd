import type { Tensor } from '../util/tensor.ts';
import { AttributeType, ONNX_IR_VERSION, ONNX_OPSET, TensorDataType, encodeModel } from './onnx-proto.ts';
import { VERSION } from '../version.ts';

/** A float attribute (plain numbers that are integers are written as INT attributes). */
export class FloatAttr { constructor(readonly value: number) {} }
export const float = (v: number): FloatAttr => new FloatAttr(v);

export type AttrValue = number | FloatAttr | number[] | string | GraphBuilder;
export type Dim = number | string;

interface NodeRecord { opType: string; input: string[]; output: string[]; name: string; attribute: object[] }

/**
 * Builds an ONNX graph node by node. Names are deterministic (a hint plus a running number), and
 * nodes are emitted in creation order, which is a topological order because a node can only use
 * values that exist when it is created.
 */
export class GraphBuilder {
  private readonly nodes: NodeRecord[] = [];
  private readonly initializers: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private readonly constCache = new Map<string, string>();
  private readonly used = new Set<string>();
  private counter = 0;

  /** `prefix` keeps the value names of a subgraph (a Loop body) apart from the outer graph's. */
  constructor(readonly name: string, private readonly prefix = '') {}

  private fresh(hint: string): string {
    let n = `${this.prefix}${hint}_${this.counter++}`;
    while (this.used.has(n)) n = `${this.prefix}${hint}_${this.counter++}`;
    this.used.add(n);
    return n;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`GraphBuilder: value name '${name}' used twice`);
    this.used.add(name);
    return name;
  }

  /** Declares a float graph input. */
  input(name: string, dims: Dim[], elemType: number = TensorDataType.FLOAT): string {
    this.inputs.push(valueInfo(this.claim(name), dims, elemType));
    return name;
  }

  /** Declares `value` as a graph output named `name` (through Identity if the names differ). */
  output(value: string, name: string, dims: Dim[], elemType: number = TensorDataType.FLOAT): string {
    if (value !== name) {
      this.claim(name);
      this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}/Identity`, attribute: [] });
    }
    this.outputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  /** A float initializer holding `t` (raw little-endian bytes). */
  initializer(name: string, t: Tensor): string {
    this.initializers.push({
      name: this.claim(name), dims: t.shape, dataType: TensorDataType.FLOAT,
      rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    });
    return name;
  }

  /** A float constant, shared between uses with the same value and shape. */
  constFloat(values: number[] | Float32Array, dims: number[] = values.length === 1 ? [] : [values.length]): string {
    const data = Float32Array.from(values);
    const key = `f:${dims.join('x')}:${Array.from(data).join(',')}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.fresh('const');
      this.initializers.push({ name, dims, dataType: TensorDataType.FLOAT, rawData: new Uint8Array(data.buffer) });
      this.constCache.set(key, name);
    }
    return name;
  }

  /** An int64 constant (shapes, axes). */
  constInt64(values: number[], dims: number[] = [values.length]): string {
    const key = `i:${dims.join('x')}:${values.join(',')}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.fresh('shape');
      this.initializers.push({ name, dims, dataType: TensorDataType.INT64, int64Data: values });
      this.constCache.set(key, name);
    }
    return name;
  }

  /** A uint8 constant (operands of integer products). */
  constUint8(values: number[], dims: number[] = [values.length]): string {
    const key = `u8:${dims.join('x')}:${values.join(',')}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.fresh('const');
      this.initializers.push({ name, dims, dataType: TensorDataType.UINT8, rawData: Uint8Array.from(values) });
      this.constCache.set(key, name);
    }
    return name;
  }

  /** A boolean scalar constant. */
  constBool(value: boolean): string {
    const key = `b:${value}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.fresh('flag');
      this.initializers.push({ name, dims: [], dataType: TensorDataType.BOOL, int32Data: [value ? 1 : 0] });
      this.constCache.set(key, name);
    }
    return name;
  }

  /** Adds a node with one output; returns the output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint?: string): string {
    return this.opN(opType, inputs, 1, attrs, hint)[0];
  }

  /** Adds a node with `outputs` outputs; returns their names. */
  opN(opType: string, inputs: string[], outputs: number, attrs: Record<string, AttrValue> = {}, hint?: string): string[] {
    const base = this.fresh(hint ?? opType.toLowerCase());
    const output = outputs === 1 ? [base] : Array.from({ length: outputs }, (_, i) => (i === 0 ? base : this.claim(`${base}_${i}`)));
    this.nodes.push({ opType, input: inputs, output, name: `${base}/${opType}`, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return output;
  }

  get nodeCount(): number { return this.nodes.length; }

  /** The GraphProto as a protobufjs plain object. */
  toGraphObject(): Record<string, unknown> {
    return { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }

  /** Serialises a complete model (IR 8, opset 17) with optional metadata properties. */
  toModel(metadata: Record<string, string> = {}, docString = ''): Uint8Array {
    return encodeModel({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'snn-export',
      producerVersion: VERSION,
      docString,
      graph: this.toGraphObject(),
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
  }
}

function valueInfo(name: string, dims: Dim[], elemType: number): object {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute(name: string, v: AttrValue): object {
  if (v instanceof FloatAttr) return { name, type: AttributeType.FLOAT, f: v.value };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return { name, type: AttributeType.FLOAT, f: v };
    return { name, type: AttributeType.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  return { name, type: AttributeType.GRAPH, g: v.toGraphObject() };
}
