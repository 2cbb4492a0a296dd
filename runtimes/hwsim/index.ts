/**
 * The hardware simulator as a `verify` runtime: quantizes the checkpoint for `context.target`,
 * runs the host encoder (for `direct` input) in float and the chip layers in the target's integer
 * arithmetic, and reports de-quantized logits and spike counts like every other runtime.
 */
import { loadProfile } from '../../hardware-profiles/index.ts';
import { SnnError } from '../../src/errors.ts';
import { checkInputPayloads } from '../../src/quantize/feasibility.ts';
import type { StepEvents } from '../../src/quantize/input-events.ts';
import { HostEncoder, eventsFromDense } from '../../src/quantize/input-events.ts';
import { quantizeNetwork } from '../../src/quantize/quantize.ts';
import { shapeSize, validateSpec } from '../../src/spec/validate.ts';
import type { ModelInput, PreparedRuntime, Runtime, RuntimeContext, RuntimeOutput } from '../runtime.ts';
import { HwSimulator, logitsOf } from './simulator.ts';

export const hwsimRuntime: Runtime = {
  name: 'hwsim',
  description: 'bit-exact integer simulator of a hardware profile (needs --target)',
  async prepare(context: RuntimeContext): Promise<PreparedRuntime> {
    if (!context.target) throw new SnnError('usage', "the 'hwsim' runtime needs a hardware target (--target NAME; see `snn-export profiles`)");
    const profile = loadProfile(context.target);
    const { checkpoint } = context;
    const resolved = validateSpec(checkpoint.spec);
    const { network, placement } = quantizeNetwork(resolved, checkpoint.params, profile, { resetOverride: context.resetAs });
    const T = network.timeSteps;
    const host = placement.hostBlocks.length ? new HostEncoder(placement.hostBlocks[0], checkpoint.params, T) : undefined;
    const simulator = new HwSimulator(network);
    const sampleSize = shapeSize(resolved.spec.inputShape);
    const spiking = network.layers.filter((l) => !l.readout);

    return {
      async run(input: ModelInput): Promise<RuntimeOutput> {
        const B = input.batchSize;
        const temporal = resolved.spec.encoder.kind !== 'direct';
        const expected = temporal ? T * B * sampleSize : B * sampleSize;
        if (input.data.length !== expected) {
          throw new SnnError('malformedInput', `hwsim: input of ${input.data.length} values, expected ${expected} (${temporal ? `[${T}, ${B}, ${resolved.spec.inputShape}]` : `[${B}, ${resolved.spec.inputShape}]`})`);
        }
        const logits = new Float32Array(B * network.classes);
        const spikeCounts = new Map<string, Float32Array>();
        if (host) spikeCounts.set(host.name, new Float32Array(B * host.size));
        for (const l of spiking) spikeCounts.set(l.name, new Float32Array(B * shapeSize(l.outShape)));
        for (let b = 0; b < B; b++) {
          let events: StepEvents;
          if (host) {
            const counts = spikeCounts.get(host.name)!.subarray(b * host.size, (b + 1) * host.size);
            events = host.encode(input.data.subarray(b * sampleSize, (b + 1) * sampleSize), counts);
          } else {
            events = eventsFromDense(input.data, T, sampleSize, b * sampleSize, B * sampleSize);
            checkInputPayloads(profile, events.payloads, `hwsim: batch sample ${b}`);
          }
          const result = simulator.run(events);
          logitsOf(network, result, logits, b * network.classes);
          spiking.forEach((l, i) => {
            const n = shapeSize(l.outShape);
            spikeCounts.get(l.name)!.set(result.spikeCounts[i], b * n);
          });
        }
        return { logits, spikeCounts };
      },
      async dispose(): Promise<void> { /* nothing held outside the JS heap */ },
    };
  },
};
