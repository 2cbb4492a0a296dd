import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { initParams } from '../src/spec/params.ts';
import { buildTrainGraph } from '../src/compile/train-graph.ts';
import { OrtGraph, feed } from '../src/engine/ort-session.ts';
import { DEFAULT_ADAM } from '../src/compile/adam.ts';
const arch = process.argv[2] ?? 'fc';
const mode = (process.argv[3] ?? 'instant') as any;
const spec = BUILTIN_ARCHITECTURES[arch]({ alpha: 0.9, beta: 0.8, timeSteps: 25, encoder: { kind: 'direct' } });
const r = validateSpec(spec);
const params = initParams(r, 1);
const t0 = performance.now();
const tg = buildTrainGraph({ resolved: r, steps: 25, chunked: false, mode, surrogate: { kind: 'fast-sigmoid', width: 0.04 }, loss: 'per-step', logitsInput: false, firstTrainable: 0, accumulate: false, update: true, adam: DEFAULT_ADAM });
console.log('nodes', tg.nodeCount, 'build ms', performance.now() - t0);
const sess = await OrtGraph.create(tg.model);
console.log('session ms', performance.now() - t0);
const B = 128;
const feeds: any = { ...(mode === 'trace' ? { trace_weights: feed(new Float32Array(25).fill(1), [25]) } : {}), input: feed(new Float32Array(B * 784).map(() => Math.random()), [B, 1, 28, 28]), labels: feed(new Float32Array(B * 10).map((_, i) => (i % 10 === 3 ? 1 : 0)), [B, 10]), grad_scale: feed(new Float32Array([1 / (25 * B)]), []) };
for (const [k, t] of params) { feeds[k] = feed(t.data, t.shape); feeds['m.' + k] = feed(new Float32Array(t.data.length), t.shape); feeds['v.' + k] = feed(new Float32Array(t.data.length), t.shape); }
for (const l of tg.lrLayers) feeds['lr.' + l] = feed(new Float32Array([1e-3]), []);
const times = [];
for (let i = 0; i < 30; i++) { const s = performance.now(); const out = await sess.run(feeds); times.push(performance.now() - s); if (i === 0) console.log('loss', out.loss_sum[0] / (25 * B)); }
times.sort((a, b) => a - b);
console.log('median ms', times[15], 'samples/s', B / times[15] * 1000);
