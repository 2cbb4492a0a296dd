/**
 * `npm run bench:infer`: inference samples/s in onnxruntime-node (1 intra-op thread, batch 128,
 * T = 25, the 10 000 MNIST test images) of our exported `fc` and, in the same process, of
 * snnTorch's own `torch.onnx` export of the same network (../shared/data/peers), plus our `csnn`,
 * and two ceilings on the throughput of any export that keeps the trained model's arithmetic.
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
import { GraphBuilder } from '../src/compile/graph-builder.ts';
import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import type { Tensor } from '../src/util/tensor.ts';

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

interface Timed { name: string; session: ort.InferenceSession; feed: (b: typeof batches[number]) => Record<string, ort.Tensor>; correct?: (out: ort.InferenceSession.OnnxValueMapType, b: typeof batches[number]) => number; best: number; accuracy: number }

/** Times the models in alternating rounds over the whole test set (so machine noise hits all alike); keeps each one's best round. */
async function timeSideBySide(models: Timed[], rounds: number): Promise<void> {
  for (const m of models) await m.session.run(m.feed(batches[0]));
  for (let r = 0; r < rounds; r++) {
    for (const m of models) {
      let correct = 0;
      const t0 = performance.now();
      for (const b of batches) {
        const out = await m.session.run(m.feed(b));
        if (m.correct) correct += m.correct(out, b);
      }
      m.best = Math.min(m.best, performance.now() - t0);
      m.accuracy = correct / test.count;
    }
  }
}
const samplesPerSecond = (m: Timed) => test.count / (m.best / 1000);

async function ours(arch: 'fc' | 'csnn'): Promise<{ model: Uint8Array; checkpoint: Checkpoint }> {
  const spec = BUILTIN_ARCHITECTURES[arch]({ alpha: 0.9, beta: 0.8, timeSteps: 25, encoder: { kind: 'direct' } });
  const { checkpoint } = await train({ spec, settings: { ...DEFAULT_SETTINGS, epochs: 1 }, data: { train: subset(trainSet, arch === 'fc' ? 12800 : 1280), test: subset(test, 500) }, out: `/tmp/bench-infer-${arch}.safetensors`, progress: false });
  return { model: buildInferenceGraph({ resolved: validateSpec(spec), steps: 25, params: checkpoint.params }).model, checkpoint };
}

/**
 * What bounds any export that keeps the trained model's float32 arithmetic: the fc's first-layer
 * product alone, and that product followed by the hidden C-LIF layer's T steps (the seven
 * element-wise operations per step of src/neuron/clif.ts), with no outputs beyond the last membrane.
 */
function throughputCeilings(params: Map<string, Tensor>): [string, Uint8Array][] {
  const build = (steps: number) => {
    const g = new GraphBuilder('bound');
    const x = g.op('Flatten', [g.input('input', ['batch', 1, 28, 28])], { axis: 1 });
    const z = g.op('Gemm', [x, g.initializer('w', params.get('dense1.weight')!), g.initializer('b', params.get('dense1.bias')!)], { transB: 1 });
    let I = '', V = '';
    for (let t = 0; t < steps; t++) {
      I = I ? g.op('Add', [g.op('Mul', [I, g.constFloat([0.9])]), z]) : z;
      const U = V ? g.op('Add', [g.op('Mul', [V, g.constFloat([0.8])]), I]) : I;
      V = g.op('Sub', [U, g.op('Cast', [g.op('Greater', [U, g.constFloat([1])])], { to: 1 })]);
    }
    g.output(steps ? V : z, 'out', ['batch', 800]);
    return g.toModel();
  };
  return [['ceiling: first-layer product only', build(0)], ['ceiling: + hidden C-LIF layer, no outputs', build(25)]];
}

console.log('inference, onnxruntime-node 1 intra-op thread, batch 128, T = 25, 10 000 MNIST test images (best of the rounds, models in alternation)');
const fcTrained = await ours('fc');
const imageFeed = (b: typeof batches[number]) => ({ input: new ort.Tensor('float32', b.data, [b.n, 1, 28, 28]) });
const oursCorrect = (out: ort.InferenceSession.OnnxValueMapType, b: typeof batches[number]) => countCorrect(out.logits.data as Float32Array, b.labels, 10);
const fc: Timed = { name: 'ours fc (exported ONNX)', session: await ort.InferenceSession.create(fcTrained.model, options), feed: imageFeed, correct: oursCorrect, best: Infinity, accuracy: 0 };
const models: Timed[] = [fc];
let peer: Timed | undefined;
if (existsSync(peerPath)) {
  peer = {
    name: 'snnTorch fc (torch.onnx)', session: await ort.InferenceSession.create(peerPath, options), best: Infinity, accuracy: 0,
    feed: (b) => ({ x: new ort.Tensor('float32', b.data, [b.n, 784]) }),
    correct: (out, b) => {
      // The peer's prediction: argmax of the output spike counts summed over the 25 steps.
      const spk = out.spk.data as Float32Array;
      const counts = new Float32Array(b.n * 10);
      for (let t = 0; t < 25; t++) for (let i = 0; i < b.n * 10; i++) counts[i] += spk[t * b.n * 10 + i];
      return countCorrect(counts, b.labels, 10);
    },
  };
  models.push(peer);
}
for (const [name, model] of throughputCeilings(fcTrained.checkpoint.params)) models.push({ name, session: await ort.InferenceSession.create(model, options), feed: imageFeed, best: Infinity, accuracy: 0 });
await timeSideBySide(models, 5);
const csnn: Timed = { name: 'ours csnn (exported ONNX)', session: await ort.InferenceSession.create((await ours('csnn')).model, options), feed: imageFeed, correct: oursCorrect, best: Infinity, accuracy: 0 };
await timeSideBySide([csnn], 1);
for (const m of [...models, csnn]) {
  console.log(`${m.name.padEnd(42)} ${samplesPerSecond(m).toFixed(0).padStart(8)} samples/s${m.correct ? `   (accuracy ${(m.accuracy * 100).toFixed(2)} %${m === peer ? '' : ' after a short run'})` : ''}`);
  await m.session.release();
}
if (peer) console.log(`ratio ours / snnTorch: ${(samplesPerSecond(fc) / samplesPerSecond(peer)).toFixed(2)}×   (target ≥ 1.5×, ${(1.5 * samplesPerSecond(peer)).toFixed(0)} samples/s: ${samplesPerSecond(fc) >= 1.5 * samplesPerSecond(peer) ? 'met' : 'NOT met'})`);
else console.log(`snnTorch fc: ${peerPath} not found`);
