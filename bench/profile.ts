// Profiles one training graph in onnxruntime-node and prints the time per operator type.
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { initParams } from '../src/spec/params.ts';
import { buildTrainGraph } from '../src/compile/train-graph.ts';
import { DEFAULT_ADAM } from '../src/compile/adam.ts';
const arch = process.argv[2] ?? 'fc';
const mode = (process.argv[3] ?? 'instant') as any;
const spec = BUILTIN_ARCHITECTURES[arch]({ alpha: 0.9, beta: 0.8, timeSteps: 25, encoder: { kind: 'direct' } });
const r = validateSpec(spec);
const params = initParams(r, 1);
const tg = buildTrainGraph({ resolved: r, steps: 25, chunked: false, mode, surrogate: { kind: 'fast-sigmoid', width: 0.04 }, loss: 'per-step', logitsInput: false, firstTrainable: 0, accumulate: false, update: true, adam: DEFAULT_ADAM });
const sess = await ort.InferenceSession.create(tg.model, { intraOpNumThreads: 1, interOpNumThreads: 1, enableProfiling: true, profileFilePrefix: '/tmp/ortprof' });
const B = 128;
const T = (d: Float32Array, s: number[]) => new ort.Tensor('float32', d, s);
const feeds: any = { input: T(new Float32Array(B * 784).map(() => Math.random()), [B, 1, 28, 28]), labels: T(new Float32Array(B * 10).map((_, i) => (i % 10 === 3 ? 1 : 0)), [B, 10]), grad_scale: T(new Float32Array([1 / (25 * B)]), []) };
if (mode === 'trace') feeds.trace_weights = T(new Float32Array(25).fill(1), [25]);
for (const [k, t] of params) { feeds[k] = T(t.data, t.shape); feeds['m.' + k] = T(new Float32Array(t.data.length), t.shape); feeds['v.' + k] = T(new Float32Array(t.data.length), t.shape); }
for (const l of tg.lrLayers) feeds['lr.' + l] = T(new Float32Array([1e-3]), []);
const runs = 6;
for (let i = 0; i < runs; i++) await sess.run(feeds);
sess.endProfiling?.(); const file = '/tmp/' + readdirSync('/tmp').filter((f) => f.startsWith('ortprof')).sort().pop();
const events = JSON.parse(readFileSync(file, 'utf8')) as any[];
const byOp = new Map<string, number>();
const byNode = new Map<string, number>();
for (const e of events) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) {
  byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur / runs / 1000);
  const n = e.name.replace('_kernel_time', '');
  byNode.set(n, (byNode.get(n) ?? 0) + e.dur / runs / 1000);
}
const total = [...byOp.values()].reduce((a, b) => a + b, 0);
console.log('total ms per run', total.toFixed(1));
for (const [k, v] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(k.padEnd(20), v.toFixed(2));
console.log('--- top nodes');
for (const [k, v] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(k.padEnd(50), v.toFixed(2));
unlinkSync(file);
