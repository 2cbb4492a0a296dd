import type { Command } from 'commander';
import { readBundle } from '../../exporters/events/bundle.ts';
import { HwSimulator, argmax, logitsOf } from '../../runtimes/hwsim/simulator.ts';
import { SnnError } from '../errors.ts';
import { chipSteps, readWindow } from '../quantize/chip-time.ts';
import { lavaLayerTerms, lavaMismatch } from '../quantize/lava-terms.ts';
import { shapeSize } from '../spec/validate.ts';
import { action, int } from './run.ts';

/** Per-layer spike statistics over the simulated samples. */
interface LayerStats { name: string; neurons: number; spikes: number }

/**
 * `snn-export simulate BUNDLE`: runs a spike-event bundle's samples through the hardware
 * simulator, prints accuracy and spike statistics, and checks the results against the outputs
 * stored in the bundle (exit code 6 if they differ).
 */
export function registerSimulate(program: Command): void {
  program.command('simulate')
    .description('run a spike-event bundle in the bit-exact hardware simulator: accuracy, spike statistics, agreement with its expected outputs')
    .argument('<bundle>', 'spike-event bundle (snn-export export events)')
    .option('--limit <n>', 'simulate only the first n samples', int('limit'))
    .option('--json', 'print the figures as one JSON object')
    .action(action(async (path: string, opts: { limit?: number; json?: boolean }) => {
      const bundle = readBundle(path);
      const net = bundle.network;
      const simulator = new HwSimulator(net);
      const samples = opts.limit !== undefined ? bundle.samples.slice(0, opts.limit) : bundle.samples;
      if (samples.length === 0) throw new SnnError('usage', `${path}: the bundle holds no samples to simulate (export it with --samples N)`);
      const spiking = net.layers.filter((l) => !l.readout);
      const stats: LayerStats[] = [
        { name: `input${net.hostLayers.length ? ` (${net.hostLayers.join(', ')})` : ''}`, neurons: shapeSize(net.inputShape), spikes: 0 },
        ...spiking.map((l) => ({ name: l.name, neurons: shapeSize(l.outShape), spikes: 0 })),
      ];
      let correct = 0, matching = 0, synapticEvents = 0;
      const mismatches: number[] = [];
      const start = performance.now();
      for (const sample of samples) {
        const result = simulator.run(sample.events);
        if (argmax(logitsOf(net, result)) === sample.label) correct++;
        const same = result.readoutSum.every((v, i) => v === sample.expected.readoutSum[i])
          && result.spikeCounts.every((counts, l) => counts.every((v, i) => v === sample.expected.spikeCounts[l][i]));
        if (same) matching++; else mismatches.push(sample.index);
        stats[0].spikes += result.inputEvents;
        result.spikeCounts.forEach((counts, l) => { stats[l + 1].spikes += counts.reduce((a, b) => a + b, 0); });
        synapticEvents += result.synapticEvents;
      }
      const seconds = (performance.now() - start) / 1000;
      const n = samples.length, T = net.timeSteps;
      const last = net.layers[net.layers.length - 1];
      const lava = lavaMismatch(net.profile) === null;
      const chipLayers = net.layers.map((l) => ({ name: l.name, readWindow: readWindow(net, l), ...(lava ? { lava: lavaLayerTerms(net, l) } : {}) }));
      const figures = {
        bundle: path,
        network: net.name,
        target: net.profile.name,
        samples: n,
        timeSteps: T,
        output: net.output,
        chipSteps: chipSteps(net),
        chipLayers,
        accuracy: correct / n,
        expectedOutputsMatched: matching,
        quantization: bundle.report,
        layers: stats.map((s) => ({ name: s.name, neurons: s.neurons, spikesPerSample: s.spikes / n, ratePerNeuronPerStep: s.spikes / (n * s.neurons * T) })),
        synapticEventsPerSample: synapticEvents / n,
        samplesPerSecond: n / seconds,
        synapticEventsPerSecond: synapticEvents / seconds,
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(figures)}\n`);
      } else {
        const out: string[] = [];
        out.push(`${path}: ${net.name} for ${net.profile.name}, ${net.layers.length} chip layers on ${net.coresUsed} core(s), ${n} samples, T = ${T}`);
        out.push(`class scores      ${net.output === 'spikes' ? `spike counts of '${last.name}'` : `summed membrane of readout '${last.name}'`} (ties to the lowest class)`);
        out.push(`chip time         ${chipSteps(net)} chip steps per sample; ${chipLayers.map((c) => `${c.name} at steps ${c.readWindow.first}–${c.readWindow.last}`).join(', ')}`);
        if (lava) {
          out.push(`in Lava's terms   (PyLifModelBitAcc, PyDenseModelBitAcc; Lava step = chip step + 1)`);
          for (const c of chipLayers) {
            const t = c.lava!;
            out.push(`  ${c.name.padEnd(26)}du ${t.du}, dv ${t.dv}, vth ${[...new Set(t.vth)].join('/')}, bias_mant ${t.biasMant}, bias_exp ${t.biasExp}, weight_exp ${t.weightExp}, read Lava steps ${t.firstReadStep}–${t.lastReadStep}`);
          }
        }
        out.push(`accuracy          ${(100 * figures.accuracy).toFixed(2)} % (${correct}/${n})`);
        out.push(`expected outputs  ${matching}/${n} samples identical (readout sums and spike counts)`);
        out.push(`${'layer'.padEnd(28)}${'neurons'.padStart(9)}${'spikes/sample'.padStart(16)}${'rate/neuron/step'.padStart(18)}`);
        for (const l of figures.layers) out.push(`${l.name.padEnd(28)}${String(l.neurons).padStart(9)}${l.spikesPerSample.toFixed(1).padStart(16)}${l.ratePerNeuronPerStep.toFixed(4).padStart(18)}`);
        out.push(`synaptic events   ${figures.synapticEventsPerSample.toFixed(0)} per sample, ${(figures.synapticEventsPerSecond / 1e6).toFixed(1)} M/s`);
        out.push(`speed             ${figures.samplesPerSecond.toFixed(1)} samples/s`);
        out.push(`${'quantization'.padEnd(28)}${'w exp'.padStart(6)}${'weight err'.padStart(12)}${'thr err'.padStart(10)}${'alpha → target'.padStart(20)}${'beta → target'.padStart(20)}`);
        for (const r of bundle.report) {
          const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
          out.push(`${r.name.padEnd(28)}${String(r.weightExponent).padStart(6)}${pct(r.weightRelativeError).padStart(12)}${(net.layers.find((l) => l.name === r.name)?.readout ? '-' : pct(r.thresholdRelativeError)).padStart(10)}${`${r.alpha.toFixed(4)} → ${r.alphaEffective.toFixed(4)}`.padStart(20)}${`${r.beta.toFixed(4)} → ${r.betaEffective.toFixed(4)}`.padStart(20)}`);
        }
        process.stdout.write(`${out.join('\n')}\n`);
      }
      if (matching !== n) {
        throw new SnnError('parityFailed', `${path}: ${n - matching} of ${n} samples differ from the bundle's expected outputs (first: sample ${mismatches[0]}); the bundle was written by a simulator with other arithmetic`);
      }
    }));
}
