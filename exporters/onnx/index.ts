import type { Exporter } from '../exporter.ts';
import { validateSpec } from '../../src/spec/validate.ts';
import { checkParams } from '../../src/spec/params.ts';
import { buildInferenceGraph } from '../../src/compile/inference-graph.ts';
import { buildLoopInferenceGraph } from '../../src/compile/loop-graph.ts';
import { fileSha256 } from '../../src/checkpoint/hash.ts';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';
import { modelMetadata } from './metadata.ts';
import { describeOutput } from '../../src/spec/prediction.ts';

/**
 * ONNX (docs/formats.md): IR 8, opset 17, the time steps unrolled (or an ONNX Loop over time with
 * `--time-loop`), dynamic batch size. Built by the same lowering that trained the network.
 */
export const onnxExporter: Exporter = {
  name: 'onnx',
  description: 'ONNX model for onnxruntime (node, web): IR 8, opset 17, time steps unrolled',
  options: [{ flags: '--time-loop', description: 'write an ONNX Loop over time instead of unrolled steps (the graph does not grow with T)' }],
  async export(ck, outPath, options, checkpointPath) {
    const resolved = validateSpec(ck.spec);
    checkParams(resolved, ck.params, checkpointPath);
    const loop = Boolean(options.timeLoop);
    const metadata = modelMetadata(ck, resolved, fileSha256(checkpointPath), loop ? 'loop' : 'unrolled');
    const doc = `${resolved.spec.name}: C-LIF SNN exported by snn-export from ${checkpointPath}`;
    const graph = loop
      ? buildLoopInferenceGraph({ resolved, params: ck.params, metadata, docString: doc })
      : buildInferenceGraph({ resolved, steps: resolved.spec.timeSteps, params: ck.params, metadata, docString: doc });
    writeFileAtomic(outPath, graph.model);
    return `wrote ${outPath} (${(graph.model.length / 1e6).toFixed(2)} MB, ${graph.nodeCount} nodes, T = ${resolved.spec.timeSteps}, ${loop ? 'Loop over time' : 'unrolled'}; outputs logits (${describeOutput(resolved)}), ${graph.spikingLayers.map((l) => `spike_count_${l}`).join(', ')})`;
  },
};
