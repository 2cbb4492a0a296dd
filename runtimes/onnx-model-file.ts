import { SnnError, malformed } from '../src/errors.ts';
import { decodeModel } from '../src/compile/onnx-proto.ts';
import type { ResolvedSpec } from '../src/spec/validate.ts';
import { inputShapeOf } from '../src/compile/train-graph.ts';
import { GiB, readInput } from '../src/util/read-input.ts';

/**
 * Reads an exported `.onnx` file and checks that it is an ONNX model whose `input` and outputs fit
 * the checkpoint's network, so that a wrong or broken file fails with one clear line instead of a
 * runtime's stack trace.
 */
export function readOnnxModel(path: string, resolved: ResolvedSpec): Uint8Array {
  const bytes = readInput(path, { what: 'ONNX model', maxBytes: GiB });
  let model: Record<string, any>;
  try {
    model = decodeModel(bytes);
  } catch (err) {
    throw malformed(path, `not a readable ONNX model (truncated or not ONNX: ${(err as Error).message})`);
  }
  const graph = model.graph;
  if (!model.irVersion || !graph || !Array.isArray(graph.node) || graph.node.length === 0) {
    throw malformed(path, 'not an ONNX model (no IR version or no graph); is this the right file?');
  }
  const input = (graph.input ?? []).find((i: any) => i.name === 'input');
  if (!input) throw new SnnError('mismatch', `${path}: the model has no input named 'input' (inputs: ${(graph.input ?? []).map((i: any) => i.name).join(', ')}); it was not exported by snn-export export onnx`);
  const dims: (number | string)[] = (input.type?.tensorType?.shape?.dim ?? []).map((d: any) => d.dimValue ?? d.dimParam ?? '?');
  const want = inputShapeOf(resolved, resolved.spec.timeSteps);
  const fits = dims.length === want.length && dims.every((d, i) => typeof want[i] === 'string' || typeof d === 'string' || d === want[i]);
  if (!fits) {
    throw new SnnError('mismatch', `${path}: input 'input' has shape [${dims.join(', ')}], the checkpoint's network needs [${want.join(', ')}] (T = ${resolved.spec.timeSteps}, encoder ${resolved.spec.encoder.kind})`);
  }
  const outputs: string[] = (graph.output ?? []).map((o: any) => o.name);
  if (!outputs.includes('logits')) throw new SnnError('mismatch', `${path}: the model has no output 'logits' (outputs: ${outputs.join(', ')})`);
  return bytes;
}
