/**
 * Hardware simulator throughput (and, with --accuracy, quantized vs float accuracy) on MNIST for
 * the built-in `fc` and `csnn` networks.
 *
 *   npm run bench:sim [-- --samples 1000 --targets generic-int8,loihi2 --networks fc,csnn
 *                        --fc PATH --csnn PATH --fc-loihi2 PATH --csnn-loihi2 PATH --accuracy --json]
 *
 * Uses the trained checkpoints runs/fc.safetensors and runs/csnn.safetensors (or --fc/--csnn)
 * when they exist, else the same architectures with seeded random weights (said in the output). Times are split
 * into the host part (the float `direct` encoder, whose spikes are the chip's input) and the chip
 * part (the integer simulator on those events); samples/s counts both, as an ONNX runtime's
 * inference does. `benchSimulator` is exported so that a comparison with onnxruntime-node can
 * call it on the same network and data.
 */
import { existsSync } from 'node:fs';
import { loadProfile } from '../hardware-profiles/index.ts';
import { HwSimulator, argmax, logitsOf } from '../runtimes/hwsim/simulator.ts';
import type { Checkpoint } from '../src/checkpoint/checkpoint.ts';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { FloatReference } from '../src/quantize/float-reference.ts';
import type { StepEvents } from '../src/quantize/input-events.ts';
import { HostEncoder } from '../src/quantize/input-events.ts';
import { quantizeNetwork } from '../src/quantize/quantize.ts';
import { BUILTIN_ARCHITECTURES } from '../src/spec/builtin.ts';
import { initParams } from '../src/spec/params.ts';
import { validateSpec } from '../src/spec/validate.ts';
import { buildInferenceGraph } from '../src/compile/inference-graph.ts';
import { SnnError } from '../src/errors.ts';
import { applyTarget, targetRules } from '../src/train/targets.ts';

/** One network on one target. */
export interface SimBenchResult {
  network: string;
  target: string;
  /** The checkpoint path, or 'random weights'. */
  weights: string;
  /** Reset mode substituted for the trained one (the target lacks it), if any. */
  resetAs?: string;
  samples: number;
  hostMsPerSample: number;
  simMsPerSample: number;
  /** onnxruntime-node float samples/s on the same network and images (filled by the CLI part). */
  ortSamplesPerSecond?: number;
  /** Host encoder + simulator: what replaces a float runtime's inference. */
  samplesPerSecond: number;
  /** Simulator alone, on precomputed input events (as `snn-export simulate` runs a bundle). */
  simSamplesPerSecond: number;
  inputEventsPerSample: number;
  synapticEventsPerSample: number;
  synapticEventsPerSecond: number;
  /** Simulator accuracy on the benchmarked samples. */
  accuracy: number;
  /** With `accuracy: true`: the float model's accuracy on the same samples (FloatReference, docs/neuron.md). */
  floatAccuracy?: number;
  /** With `accuracy: true`: samples whose quantized prediction equals the float one. */
  predictionAgreement?: number;
}

/**
 * The trained checkpoint of a built-in architecture (`path`, else runs/<arch>.safetensors), or a
 * seeded random one built as `train --target <target>` builds it (no bias for loihi2, …).
 */
export function benchCheckpoint(arch: 'fc' | 'csnn', path = `runs/${arch}.safetensors`, target?: string): { checkpoint: Checkpoint; weights: string } {
  if (existsSync(path)) return { checkpoint: loadCheckpoint(path), weights: path };
  const built = BUILTIN_ARCHITECTURES[arch]({ alpha: 0.9, beta: 0.8, timeSteps: 25, encoder: { kind: 'direct' } });
  const spec = target ? applyTarget(built, targetRules(target)) : built;
  return { checkpoint: { spec, params: initParams(validateSpec(spec), 7, 2), history: [] }, weights: 'random weights' };
}

/** Times the host encoder and the simulator on the first `samples` MNIST test images. */
export function benchSimulator(arch: 'fc' | 'csnn', target: string, samples: number, options: { accuracy?: boolean; checkpointPath?: string } = {}): SimBenchResult {
  const { checkpoint, weights } = benchCheckpoint(arch, options.checkpointPath, target);
  const resolved = validateSpec(checkpoint.spec);
  const profile = loadProfile(target);
  // The first block of a `direct` network runs on the host; only the chip's spiking layers need the target's reset.
  const chipBlocks = resolved.blocks.slice(checkpoint.spec.encoder.kind === 'direct' ? 1 : 0);
  const unsupported = chipBlocks.some((b) => b.neuron.layer.kind === 'clif' && !profile.reset.modes.includes(b.neuron.layer.reset ?? 'subtract'));
  const resetAs = unsupported ? profile.reset.modes[0] : undefined;
  const { network, placement } = quantizeNetwork(resolved, checkpoint.params, profile, { resetOverride: resetAs });
  const T = network.timeSteps;
  const host = new HostEncoder(placement.hostBlocks[0], checkpoint.params, T);
  const simulator = new HwSimulator(network);
  const data = loadMnist().test;
  const n = Math.min(samples, data.count);
  const image = new Float32Array(784);

  // Warm-up, so that the timings measure optimized code.
  for (let i = 0; i < Math.min(20, n); i++) { data.writeSample(i, image, 0); simulator.run(host.encode(image)); }

  const events: StepEvents[] = [];
  let start = performance.now();
  for (let i = 0; i < n; i++) { data.writeSample(i, image, 0); events.push(host.encode(image)); }
  const hostMs = performance.now() - start;
  let correct = 0, synaptic = 0, inputs = 0;
  const predictions: number[] = [];
  start = performance.now();
  for (let i = 0; i < n; i++) {
    const r = simulator.run(events[i]);
    synaptic += r.synapticEvents; inputs += r.inputEvents;
    const p = argmax(logitsOf(network, r));
    predictions.push(p);
    if (p === data.labels[i]) correct++;
  }
  const simMs = performance.now() - start;
  const result: SimBenchResult = {
    network: arch, target, weights, resetAs, samples: n,
    hostMsPerSample: hostMs / n,
    simMsPerSample: simMs / n,
    samplesPerSecond: (1000 * n) / (hostMs + simMs),
    simSamplesPerSecond: (1000 * n) / simMs,
    inputEventsPerSample: inputs / n,
    synapticEventsPerSample: synaptic / n,
    synapticEventsPerSecond: (1000 * synaptic) / simMs,
    accuracy: correct / n,
  };
  if (options.accuracy) {
    const ref = new FloatReference(resolved, checkpoint.params);
    let floatCorrect = 0, agree = 0;
    for (let i = 0; i < n; i++) {
      data.writeSample(i, image, 0);
      const p = argmax(ref.run(() => image).logits);
      if (p === data.labels[i]) floatCorrect++;
      if (p === predictions[i]) agree++;
    }
    result.floatAccuracy = floatCorrect / n;
    result.predictionAgreement = agree / n;
  }
  return result;
}

/** onnxruntime-node float inference (1 intra-op thread, batch 128) of the same network on the same images. */
export async function benchOrtFloat(arch: 'fc' | 'csnn', samples: number, checkpointPath?: string): Promise<number> {
  const { checkpoint } = benchCheckpoint(arch, checkpointPath);
  const resolved = validateSpec(checkpoint.spec);
  const ort = await import('onnxruntime-node');
  const model = buildInferenceGraph({ resolved, steps: resolved.spec.timeSteps, params: checkpoint.params }).model;
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const data = loadMnist().test;
  const n = Math.min(samples, data.count);
  const per = 784;
  const input = new Float32Array(n * per);
  for (let i = 0; i < n; i++) data.writeSample(i, input, i * per);
  const run = async () => {
    for (let s = 0; s < n; s += 128) {
      const b = Math.min(128, n - s);
      await session.run({ input: new ort.Tensor('float32', input.subarray(s * per, (s + b) * per), [b, 1, 28, 28]) });
    }
  };
  await run();
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  await session.release();
  return (1000 * n) / ms;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const samples = Number(argValue('samples') ?? 1000);
  const targets = (argValue('targets') ?? 'generic-int8,loihi2').split(',');
  const archs = (argValue('networks') ?? 'fc,csnn').split(',') as ('fc' | 'csnn')[];
  const accuracy = process.argv.includes('--accuracy');
  const json = process.argv.includes('--json');
  for (const arch of archs) {
    const ortRate = await benchOrtFloat(arch, samples, argValue(arch));
    if (!json) process.stdout.write(`${arch}: onnxruntime-node float inference ${ortRate.toFixed(0)} samples/s (1 thread, batch 128, same images)\n`);
    for (const target of targets) {
      // A target may need its own training (loihi2 refuses biases): --<arch>-<target> PATH gives that checkpoint.
      let r: SimBenchResult;
      try {
        r = benchSimulator(arch, target, samples, { accuracy, checkpointPath: argValue(`${arch}-${target}`) ?? argValue(arch) });
      } catch (err) {
        if (!(err instanceof SnnError)) throw err;
        process.stdout.write(`${arch} on ${target}: skipped: ${err.message} (give --${arch}-${target} PATH, a checkpoint trained with --target ${target})\n`);
        continue;
      }
      r.ortSamplesPerSecond = ortRate;
      if (json) { process.stdout.write(`${JSON.stringify(r)}\n`); continue; }
      const acc = r.floatAccuracy !== undefined
        ? `accuracy ${(100 * r.accuracy).toFixed(2)} % vs float ${(100 * r.floatAccuracy).toFixed(2)} % (Δ ${(100 * (r.accuracy - r.floatAccuracy)).toFixed(2)} pp, same prediction ${(100 * r.predictionAgreement!).toFixed(2)} %)`
        : `accuracy ${(100 * r.accuracy).toFixed(2)} %`;
      process.stdout.write([
        `${arch} on ${target} (${r.weights}${r.resetAs ? `, reset run as '${r.resetAs}'` : ''}), ${r.samples} MNIST test samples`,
        `  host encoder ${r.hostMsPerSample.toFixed(3)} ms/sample, simulator ${r.simMsPerSample.toFixed(3)} ms/sample`,
        `  ${r.samplesPerSecond.toFixed(0)} samples/s end to end, ${r.simSamplesPerSecond.toFixed(0)} samples/s simulator alone; simulator time / ORT time ${(ortRate / r.simSamplesPerSecond).toFixed(2)} (target ≤ 1: ${r.simSamplesPerSecond >= ortRate ? 'met' : 'NOT met'}), end to end ${(ortRate / r.samplesPerSecond).toFixed(2)}`,
        `  ${r.inputEventsPerSample.toFixed(0)} input events and ${r.synapticEventsPerSample.toFixed(0)} synaptic events per sample, ${(r.synapticEventsPerSecond / 1e6).toFixed(1)} M synaptic events/s`,
        `  ${acc}`,
      ].join('\n') + '\n');
    }
  }
}
