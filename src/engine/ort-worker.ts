/**
 * Worker side of `OrtWorkerPool`: an onnxruntime-node session per graph it is sent, running the
 * feeds it gets and posting the outputs back (their buffers transferred, not copied).
 */
import { parentPort } from 'node:worker_threads';
import { OrtGraph, feed } from './ort-session.ts';

type Feeds = Record<string, { data: Float32Array; dims: number[] }>;
const graphs = new Map<string, Promise<OrtGraph>>();

parentPort!.on('message', async (msg: { id: number; key: string; model?: Uint8Array; feeds: Feeds }) => {
  try {
    let graph = graphs.get(msg.key);
    if (!graph) {
      if (!msg.model) throw new Error(`graph '${msg.key}' was never sent to this worker`);
      graph = OrtGraph.create(msg.model);
      graphs.set(msg.key, graph);
    }
    const out = await (await graph).run(Object.fromEntries(Object.entries(msg.feeds).map(([k, v]) => [k, feed(v.data, v.dims)])));
    parentPort!.postMessage({ id: msg.id, out }, Object.values(out).map((v) => v.buffer as ArrayBuffer));
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message });
  }
});
