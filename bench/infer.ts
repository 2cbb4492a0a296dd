/**
 * `npm run bench:infer`: inference samples/s in onnxruntime-node (1 intra-op thread, batch 128,
 * T = 25, the 10 000 MNIST test images) of our exported `fc` and, in the same process, of
 * snnTorch's own `torch.onnx` export of the same network (../shared/data/peers), plus our `csnn`.
 * Our networks use the peer settings (alpha 0.9, beta 0.8, direct input); their weights come from
 * a short training run (weights do not change the work an ONNX graph does).
 *
 *   npm run bench:infer [-- --peer PATH]
 */
import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { subset } from '../src/data/dataset.ts';
import { encodeBatch } from '../src/data/encode.ts';
import { train } from '../src/train/trainer.ts';
import { DEFAULT_SETTINGS } from '../src/train/defaults.ts';
import { buildInferenceGraph } from '../src/compile/inference-graph.ts';
import { countCorrect } from '../src/train/engine.ts';

const args = process.argv.slice(2);
const peerPath = args.includes('--peer') ? args[args.indexOf('--peer') + 1] : fileURLToPath(new URL('../../shared/data/peers/snntorch_fc_T25.onnx', import.meta.url));
const { train: trainSet, test } = loadMnist();
const B = 128;
const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };

/** Batches of the test set as [B, 784]-compatible float arrays, built once so both models read the same data. */
const batches: { data: Float32Array; labels: Uint8Array; n: number }[] = [];
for (let s = 0; s < test.count; s += B) {
  const idx = Array.from({ length: Math.min(B, test.count - s) }, (_, i) => s + i);
  const b = encodeBatch(BUILTIN_ARCHITECTURES.fc({ alpha: 0.9, beta: 0.8, timeSteps: 25, encoder: { kind: 'direct' } }), test, idx);
  batches.push({ data: b.data, labels: b.labels, n: idx.length });
}

async function timeModel(session: ort.InferenceSession, feedOf: (b: typeof batches[number]) => Record<string, ort.Tensor>, correctOf: (out: ort.InferenceSession.OnnxValueMapType, b: typeof batches[number]) => number, rounds = 3): Promise<{ samplesPerSecond: number; accuracy: number }> {
  await session.run(feedOf(batches[0]));
  let best = Infinity, correct = 0;
  for (let r = 0; r < rounds; r++) {
    correct = 0;
    const t0 = performance.now();
    for (const b of batches) correct += correctOf(await session.run(feedOf(b)), b);
    best = Math.min(best, performance.now() - t0);
  }
  return { samplesPerSecond: test.count / (best / 1000), accuracy: correct / test.count };
}

async function ours(arch: 'fc' | 'csnn') {
  const spec = BUILTIN_ARCHITECTURES[arch]({ alpha: 0.9, beta: 0.8, timeSteps: 25, encoder: { kind: 'direct' } });
  const { checkpoint } = await train({ spec, settings: { ...DEFAULT_SETTINGS, epochs: 1 }, data: { train: subset(trainSet, arch === 'fc' ? 12800 : 1280), test: subset(test, 500) }, out: `/tmp/bench-infer-${arch}.safetensors`, progress: false });
  const model = buildInferenceGraph({ resolved: validateSpec(spec), steps: 25, params: checkpoint.params }).model;
  const session = await ort.InferenceSession.create(model, options);
  const r = await timeModel(session, (b) => ({ input: new ort.Tensor('float32', b.data, [b.n, 1, 28, 28]) }), (out, b) => countCorrect(out.logits.data as Float32Array, b.labels, 10), arch === 'fc' ? 3 : 1);
  await session.release();
  return r;
}

console.log('inference, onnxruntime-node 1 intra-op thread, batch 128, T = 25, 10 000 MNIST test images (best of the rounds)');
const fc = await ours('fc');
let peer: { samplesPerSecond: number; accuracy: number } | undefined;
if (existsSync(peerPath)) {
  const session = await ort.InferenceSession.create(peerPath, options);
  peer = await timeModel(session, (b) => ({ x: new ort.Tensor('float32', b.data, [b.n, 784]) }), (out, b) => {
    // The peer's prediction: argmax of the output spike counts summed over the 25 steps.
    const spk = out.spk.data as Float32Array;
    const counts = new Float32Array(b.n * 10);
    for (let t = 0; t < 25; t++) for (let i = 0; i < b.n * 10; i++) counts[i] += spk[t * b.n * 10 + i];
    return countCorrect(counts, b.labels, 10);
  });
  await session.release();
}
const csnn = await ours('csnn');
console.log(`ours fc (exported ONNX)        ${fc.samplesPerSecond.toFixed(0).padStart(8)} samples/s   (accuracy ${(fc.accuracy * 100).toFixed(2)} % after a short run)`);
if (peer) console.log(`snnTorch fc (torch.onnx)       ${peer.samplesPerSecond.toFixed(0).padStart(8)} samples/s   (accuracy ${(peer.accuracy * 100).toFixed(2)} %)`);
else console.log(`snnTorch fc: ${peerPath} not found`);
if (peer) console.log(`ratio ours / snnTorch: ${(fc.samplesPerSecond / peer.samplesPerSecond).toFixed(2)}×   (target ≥ 1.5×: ${fc.samplesPerSecond >= 1.5 * peer.samplesPerSecond ? 'met' : 'NOT met'})`);
console.log(`ours csnn (exported ONNX)      ${csnn.samplesPerSecond.toFixed(0).padStart(8)} samples/s`);
