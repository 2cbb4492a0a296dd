/**
 * `snn-export export events CHECKPOINT --target NAME -o net.bundle`: quantizes the checkpoint for a
 * hardware profile, encodes test samples into input events (the `direct` encoder runs here, on the
 * host) and stores them with the simulator's expected outputs in a spike-event bundle.
 */
import { loadProfile } from '../../hardware-profiles/index.ts';
import type { Checkpoint } from '../../src/checkpoint/checkpoint.ts';
import type { Dataset } from '../../src/data/dataset.ts';
import { encodeBatch } from '../../src/data/encode.ts';
import type { DatasetOptions } from '../../src/data/registry.ts';
import { loadDataset } from '../../src/data/registry.ts';
import { SnnError } from '../../src/errors.ts';
import type { StepEvents } from '../../src/quantize/input-events.ts';
import { checkInputPayloads } from '../../src/quantize/feasibility.ts';
import { HostEncoder, eventsFromDense } from '../../src/quantize/input-events.ts';
import { quantizeNetwork } from '../../src/quantize/quantize.ts';
import type { ResetMode } from '../../src/spec/types.ts';
import { shapeSize, validateSpec } from '../../src/spec/validate.ts';
import { HwSimulator, argmax, logitsOf } from '../../runtimes/hwsim/simulator.ts';
import type { Exporter } from '../exporter.ts';
import type { BundleSample } from './bundle.ts';
import { writeBundle } from './bundle.ts';
import { VERSION } from '../../src/version.ts';

const GENERATOR = `snn-export ${VERSION}`;

/** The checkpoint's test split, as `verify` finds it: the data set recorded at training, else MNIST. */
function testSet(checkpoint: Checkpoint, dataDir: string | undefined): Dataset {
  const recorded = checkpoint.dataset as { name?: string; dir?: string; options?: DatasetOptions } | undefined;
  return loadDataset(recorded?.name ?? 'mnist', dataDir ?? recorded?.dir, recorded?.options).test;
}

export const eventsExporter: Exporter = {
  name: 'events',
  description: 'spike-event bundle for a neuromorphic target: quantized network, core placement, input events and expected outputs',
  options: [
    { flags: '--target <name>', description: 'hardware profile (see `snn-export profiles`) or a profile .json file' },
    { flags: '--samples <n>', description: 'test samples to include as input event streams', defaultValue: '100' },
    { flags: '--reset-as <mode>', description: "run spiking layers with this reset when the target lacks the trained one ('zero' or 'subtract'; changes the dynamics)" },
    { flags: '--data-dir <dir>', description: "folder of the checkpoint's data set (default: where it was trained from; MNIST is embedded)" },
  ],
  async export(checkpoint, outPath, options): Promise<string> {
    const target = options.target as string | undefined;
    if (!target) throw new SnnError('usage', 'export events: --target <name> is required (see `snn-export profiles`)');
    const count = Number(options.samples ?? 100);
    if (!Number.isInteger(count) || count < 0) throw new SnnError('usage', `export events: --samples must be a non-negative integer, got '${String(options.samples)}'`);
    const resetAs = options.resetAs as ResetMode | undefined;
    if (resetAs !== undefined && resetAs !== 'zero' && resetAs !== 'subtract') throw new SnnError('usage', `export events: --reset-as must be 'zero' or 'subtract', got '${String(resetAs)}'`);

    const profile = loadProfile(target);
    const resolved = validateSpec(checkpoint.spec);
    const { network, placement, report } = quantizeNetwork(resolved, checkpoint.params, profile, { resetOverride: resetAs });
    const T = network.timeSteps;
    const host = placement.hostBlocks.length ? new HostEncoder(placement.hostBlocks[0], checkpoint.params, T) : undefined;
    const simulator = new HwSimulator(network);
    const samples: BundleSample[] = [];
    if (count > 0) {
      const data = testSet(checkpoint, options.dataDir as string | undefined);
      const size = shapeSize(resolved.spec.inputShape);
      for (let i = 0; i < Math.min(count, data.count); i++) {
        // The runtimes' own encoding (seeded rate spikes, event frames), so that a bundle sample is what `verify` feeds.
        const input = encodeBatch(resolved.spec, data, [i]).data;
        const events: StepEvents = host ? host.encode(input) : eventsFromDense(input, T, size, 0, size);
        checkInputPayloads(profile, events.payloads, `test sample ${i}`);
        const result = simulator.run(events);
        samples.push({
          index: i,
          label: data.labels[i],
          events,
          expected: { readoutSum: result.readoutSum, predicted: argmax(logitsOf(network, result)), spikeCounts: result.spikeCounts, synapticEvents: result.synapticEvents },
        });
      }
    }
    const bytes = writeBundle(outPath, { generator: GENERATOR, network, report, classNames: checkpoint.spec.classNames ?? [], samples });
    const correct = samples.filter((s) => s.expected.predicted === s.label).length;
    const events = samples.reduce((n, s) => n + s.events.addresses.length, 0);
    const worst = Math.max(...report.map((r) => r.weightRelativeError));
    const accuracy = samples.length ? `, simulator accuracy ${((100 * correct) / samples.length).toFixed(1)} % on them` : '';
    return `wrote ${outPath} (${bytes.length} bytes): ${network.name} for ${profile.name}, ${network.layers.length} chip layers on ${network.coresUsed} core(s)${network.hostLayers.length ? `, host encoder ${network.hostLayers.join(', ')}` : ''}; ${samples.length} samples, ${events} input events${accuracy}; weight error ≤ ${(100 * worst).toFixed(2)} %`;
  },
};
