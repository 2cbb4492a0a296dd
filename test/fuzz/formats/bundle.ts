/**
 * Spike-event bundles: read as `simulate BUNDLE` reads one (readBundle, then every sample run in
 * the integer simulator). Mutations reach the raw file and the protobuf body under the checksum
 * trailer (the trailer is recomputed, so the decoder itself is exercised).
 */
import { crc32 } from 'node:zlib';
import { loadProfile } from '../../../hardware-profiles/index.ts';
import type { EventBundle } from '../../../exporters/events/bundle.ts';
import { encodeBundle, readBundle } from '../../../exporters/events/bundle.ts';
import { HwSimulator, argmax, logitsOf } from '../../../runtimes/hwsim/simulator.ts';
import { HostEncoder } from '../../../src/quantize/input-events.ts';
import { quantizeNetwork } from '../../../src/quantize/quantize.ts';
import { validateSpec } from '../../../src/spec/validate.ts';
import { Random } from '../../../src/util/random.ts';
import type { CraftedCase, FuzzFormat, Seed } from '../format.ts';
import { DENSE_SPEC, checkpointOf } from './models.ts';

const TRAILER_TAG = (15 << 3) | 5;

/** Body plus the checksum trailer the reader checks. */
function withTrailer(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 5);
  out.set(body);
  out[body.length] = TRAILER_TAG;
  new DataView(out.buffer).setUint32(body.length + 1, crc32(body), true);
  return out;
}

/** A bundle of `spec` for `target` with three samples, made as `export events` makes one. */
function makeBundle(spec: typeof DENSE_SPEC, target: string, payloads: boolean): EventBundle {
  const ck = checkpointOf(spec, 5);
  const resolved = validateSpec(spec);
  const { network, placement, report } = quantizeNetwork(resolved, ck.params, loadProfile(target));
  const host = new HostEncoder(placement.hostBlocks[0], ck.params, spec.timeSteps);
  const sim = new HwSimulator(network);
  const rng = new Random(6);
  const size = spec.inputShape.reduce((a, b) => a * b, 1);
  const samples = Array.from({ length: 3 }, (_, index) => {
    const events = host.encode(Float32Array.from({ length: size }, () => rng.next()));
    if (payloads) events.payloads = Int32Array.from(events.addresses, () => 1 + Math.floor(rng.next() * 3));
    const r = sim.run(events);
    return { index, label: index % network.classes, events, expected: { readoutSum: r.readoutSum, predicted: argmax(logitsOf(network, r)), spikeCounts: r.spikeCounts, synapticEvents: r.synapticEvents } };
  });
  return { generator: 'snn-export fuzzer', network, report, classNames: spec.classNames ?? Array.from({ length: network.classes }, (_, i) => String(i)), samples };
}

let bundles: EventBundle[] = [];

function seedOf(name: string, bundle: EventBundle): Seed {
  const bytes = encodeBundle(bundle);
  return { name, bytes, views: [{ kind: 'binary', name: 'protobuf body', inner: bytes.subarray(0, bytes.length - 5), wrap: withTrailer }] };
}

export const bundleFormat: FuzzFormat = {
  name: 'bundle', entry: 'simulate (readBundle, HwSimulator)', fileName: 'case.bundle', text: false,
  seeds: async () => {
    bundles = [makeBundle(DENSE_SPEC, 'loihi2', false), makeBundle(DENSE_SPEC, 'generic-int8', true)];
    return [seedOf('dense loihi2', bundles[0]), seedOf('dense generic-int8 with payloads', bundles[1])];
  },
  crafted: () => {
    const b = bundles[0];
    const variant = (edit: (x: EventBundle) => void): Uint8Array => {
      const copy: EventBundle = structuredClone(b);
      edit(copy);
      return encodeBundle(copy);
    };
    const cases: CraftedCase[] = [
      { name: 'time_steps 2^32−1', bytes: variant((x) => { x.network.timeSteps = 0xffffffff; }) },
      { name: 'time_steps 1e9', bytes: variant((x) => { x.network.timeSteps = 1e9; }) },
      { name: 'classes 2^31', bytes: variant((x) => { x.network.classes = 2 ** 31; }) },
      { name: 'input shape [65536, 65536]', bytes: variant((x) => { x.network.inputShape = [65536, 65536]; }) },
      { name: 'an event address 2^31−1', bytes: variant((x) => { x.samples[0].events.addresses[0] = 0x7fffffff; }) },
      { name: 'no samples, sample_count 1000', bytes: variant((x) => { x.samples = []; }) },
      { name: 'a layer with 2^30 neurons', bytes: variant((x) => { (x.network.layers[0] as any).outShape = [2 ** 30]; }) },
    ];
    return cases;
  },
  read: async (path) => {
    const bundle = readBundle(path);
    const sim = new HwSimulator(bundle.network);
    for (const sample of bundle.samples) logitsOf(bundle.network, sim.run(sample.events));
  },
};
