/**
 * Reader and writer of the spike-event bundle (the format is documented in bundle.proto, which is
 * loaded at run time, so the .proto file is the single statement of the format). Decoding and
 * re-encoding a bundle gives the same bytes; a truncated or corrupted file is refused with one
 * line (exit code 3, `malformedInput`), a newer format version with exit code 8.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import protobuf from 'protobufjs';
import { validateProfile } from '../../hardware-profiles/index.ts';
import { SnnError, malformed } from '../../src/errors.ts';
import type { StepEvents } from '../../src/quantize/input-events.ts';
import type { LayerQuantizationReport, QuantizedLayer, QuantizedNetwork } from '../../src/quantize/quantize.ts';
import { weightBits } from '../../src/quantize/profile.ts';
import { checkQuantizedNetwork } from '../../src/quantize/quantize.ts';
import { chipSteps } from '../../src/quantize/chip-time.ts';
import { lavaLayerTerms, lavaMismatch } from '../../src/quantize/lava-terms.ts';
import { SPEC_LIMITS } from '../../src/spec/limits.ts';
import type { Encoder } from '../../src/spec/types.ts';
import { shapeSize } from '../../src/spec/validate.ts';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';
import { GiB, parseUntrustedJson, readInput } from '../../src/util/read-input.ts';

/** Largest bundle file read (README, "Limits on input files"). */
export const MAX_BUNDLE_BYTES = GiB;
/**
 * Step offsets the samples may need in all (sample_count × (time_steps + 1), 4 bytes each): the
 * one allocation of the reader that the file's size does not bound, since an empty sample costs a
 * few bytes on disk and time_steps + 1 offsets in memory. 2^26 is 256 MiB; 10 000 samples of
 * 25 steps need 260 000.
 */
export const MAX_BUNDLE_STEP_OFFSETS = 1 << 26;

export const BUNDLE_FORMAT = 'snn-export-events';
export const BUNDLE_VERSION = 1;
/** Tag byte of the checksum trailer: field 15, wire type 5 (fixed32). */
const TRAILER_TAG = (15 << 3) | 5;

/** What the simulator computed for one sample; a chip run is checked against it. */
export interface ExpectedOutputs {
  /** Σ over t of the readout membrane per readout neuron, integer state units. */
  readoutSum: Float64Array;
  predicted: number;
  /** Spike counts per neuron, per spiking chip layer in order. */
  spikeCounts: Uint32Array[];
  synapticEvents: number;
}

export interface BundleSample {
  index: number;
  label: number;
  events: StepEvents;
  expected: ExpectedOutputs;
}

/** The contents of a bundle file. */
export interface EventBundle {
  generator: string;
  network: QuantizedNetwork;
  /** The quantization error per chip layer, in layer order. */
  report: LayerQuantizationReport[];
  classNames: string[];
  samples: BundleSample[];
}

let bundleType: protobuf.Type | undefined;
function messageType(): protobuf.Type {
  bundleType ??= protobuf.loadSync(join(dirname(fileURLToPath(import.meta.url)), 'bundle.proto')).lookupType('snn_export.events.v1.Bundle');
  return bundleType;
}

const POOL = { none: 0, max: 1, sum: 2 } as const;
const ENCODERS: Encoder['kind'][] = ['direct', 'rate', 'events'];

type Message = Record<string, any>;

function layerMessage(l: QuantizedLayer, r: LayerQuantizationReport, net: QuantizedNetwork): Message {
  return {
    name: l.name,
    weightedName: l.weightedName,
    kind: l.kind === 'dense' ? 0 : 1,
    readout: l.readout,
    inShape: l.inShape,
    mapShape: l.mapShape,
    outShape: l.outShape,
    kernel: l.kernel,
    stride: l.stride,
    padding: l.padding,
    pool: l.pool ? POOL[l.pool.kind] : POOL.none,
    poolSize: l.pool?.size ?? 0,
    weightShape: l.weightShape,
    weights: Array.from(l.weights),
    weightExponent: l.weightExponent,
    bias: l.bias ? Array.from(l.bias) : [],
    currentDecay: l.currentDecay,
    membraneDecay: l.membraneDecay,
    threshold: Array.from(l.threshold),
    reset: l.reset === 'zero' ? 0 : 1,
    scale: Array.from(l.scale),
    channels: l.channels,
    placement: l.placement.segments.map((s) => ({ core: s.core, firstNeuron: s.firstNeuron, count: s.count })),
    outputStage: l.placement.outputStage,
    delaySteps: l.placement.delaySteps,
    error: {
      weightRelativeError: r.weightRelativeError,
      weightMaxError: r.weightMaxError,
      clippedWeights: r.clippedWeights,
      biasMaxError: r.biasMaxError,
      thresholdRelativeError: r.thresholdRelativeError,
      alpha: r.alpha,
      alphaEffective: r.alphaEffective,
      beta: r.beta,
      betaEffective: r.betaEffective,
      scaleMin: r.scaleMin,
      scaleMax: r.scaleMax,
    },
    lava: lavaMismatch(net.profile) === null ? lavaLayerTerms(net, l) : undefined,
  };
}

function reportFrom(m: Message, l: QuantizedLayer, net: QuantizedNetwork): LayerQuantizationReport {
  const e = m.error ?? {};
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  return {
    name: l.name,
    weightBits: weightBits(net.profile),
    weightExponent: l.weightExponent,
    weightRelativeError: num(e.weightRelativeError),
    weightMaxError: num(e.weightMaxError),
    clippedWeights: num(e.clippedWeights),
    biasMaxError: num(e.biasMaxError),
    thresholdRelativeError: num(e.thresholdRelativeError),
    alpha: num(e.alpha),
    alphaEffective: num(e.alphaEffective),
    beta: num(e.beta),
    betaEffective: num(e.betaEffective),
    scaleMin: num(e.scaleMin),
    scaleMax: num(e.scaleMax),
    reset: l.reset,
  };
}

function sampleMessage(s: BundleSample, layerNames: string[]): Message {
  const { events } = s;
  const time: number[] = [];
  for (let t = 0; t < events.timeSteps; t++) for (let e = events.offsets[t]; e < events.offsets[t + 1]; e++) time.push(t);
  return {
    index: s.index,
    label: s.label,
    time,
    address: Array.from(events.addresses),
    payload: events.payloads ? Array.from(events.payloads) : [],
    expected: {
      readoutSum: Array.from(s.expected.readoutSum),
      predicted: s.expected.predicted,
      spikeCounts: s.expected.spikeCounts.map((counts, i) => ({ layer: layerNames[i], counts: Array.from(counts) })),
      synapticEvents: s.expected.synapticEvents,
    },
  };
}

/** Encodes a bundle: the protobuf message, then the checksum trailer. */
export function encodeBundle(bundle: EventBundle): Uint8Array {
  const net = bundle.network;
  if (bundle.report.length !== net.layers.length) throw new RangeError(`encodeBundle: ${bundle.report.length} layer reports for ${net.layers.length} layers`);
  const spiking = net.layers.filter((l) => !l.readout).map((l) => l.name);
  const message = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_VERSION,
    generator: bundle.generator,
    profile: { name: net.profile.name, json: JSON.stringify(net.profile) },
    network: {
      name: net.name,
      timeSteps: net.timeSteps,
      encoder: net.encoder,
      classes: net.classes,
      classNames: bundle.classNames,
      hostLayers: net.hostLayers,
      inputShape: net.inputShape,
      layers: net.layers.map((l, i) => layerMessage(l, bundle.report[i], net)),
      coresUsed: net.coresUsed,
      output: net.output,
      chipSteps: chipSteps(net),
    },
    sampleCount: bundle.samples.length,
    samples: bundle.samples.map((s) => sampleMessage(s, spiking)),
  };
  const type = messageType();
  const body = type.encode(type.fromObject(message)).finish();
  const out = new Uint8Array(body.length + 5);
  out.set(body, 0);
  out[body.length] = TRAILER_TAG;
  new DataView(out.buffer).setUint32(body.length + 1, crc32(body), true);
  return out;
}

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : Number((v as { toString(): string }).toString()));

/** Checks the trailer and returns the protobuf body. */
function checkTrailer(bytes: Uint8Array, where: string): Uint8Array {
  const n = bytes.length;
  if (n < 5) throw malformed(where, `${n} bytes is too short for an snn-export events bundle (truncated?)`);
  if (bytes[n - 5] !== TRAILER_TAG) {
    throw malformed(where, `no checksum trailer at offset ${n - 5} (expected byte 0x7d, found 0x${bytes[n - 5].toString(16).padStart(2, '0')}): the file is truncated or not an snn-export events bundle`);
  }
  const body = bytes.subarray(0, n - 5);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + n - 4, 4).getUint32(0, true);
  const computed = crc32(body);
  if (stored !== computed) {
    throw malformed(where, `checksum mismatch (stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')} over bytes 0–${n - 6}): the file is corrupted or truncated`);
  }
  return body;
}

function layerFrom(m: Message, where: string): QuantizedLayer {
  const pool = m.pool === POOL.max ? 'max' : m.pool === POOL.sum ? 'sum' : m.pool === POOL.none ? null : undefined;
  if (pool === undefined) throw malformed(where, `unknown pool kind ${m.pool}`);
  if (m.kind !== 0 && m.kind !== 1) throw malformed(where, `unknown layer kind ${m.kind}`);
  if (m.reset !== 0 && m.reset !== 1) throw malformed(where, `unknown reset ${m.reset}`);
  return {
    name: m.name,
    weightedName: m.weightedName,
    kind: m.kind === 0 ? 'dense' : 'conv2d',
    inShape: [...m.inShape],
    mapShape: [...m.mapShape],
    outShape: [...m.outShape],
    kernel: m.kernel,
    stride: m.stride,
    padding: m.padding,
    pool: pool ? { kind: pool, size: m.poolSize } : null,
    weights: Int32Array.from(m.weights),
    weightShape: [...m.weightShape],
    weightExponent: m.weightExponent,
    bias: m.bias.length ? Int32Array.from(m.bias) : null,
    readout: m.readout,
    currentDecay: m.currentDecay,
    membraneDecay: m.membraneDecay,
    threshold: Int32Array.from(m.threshold),
    reset: m.reset === 0 ? 'zero' : 'subtract',
    scale: Float64Array.from(m.scale),
    channels: m.channels,
    placement: {
      name: m.name,
      segments: m.placement.map((s: Message) => ({ core: s.core, firstNeuron: s.firstNeuron, count: s.count })),
      outputStage: m.outputStage,
      delaySteps: m.delaySteps,
    },
  };
}

function sampleFrom(m: Message, net: QuantizedNetwork, where: string): BundleSample {
  const n = m.address.length;
  const at = `${where}: sample ${m.index}`;
  if (m.time.length !== n) throw malformed(at, `${m.time.length} event times for ${n} addresses`);
  if (m.payload.length !== 0 && m.payload.length !== n) throw malformed(at, `${m.payload.length} payloads for ${n} events`);
  const inputSize = shapeSize(net.inputShape);
  const offsets = new Uint32Array(net.timeSteps + 1);
  let t = 0;
  for (let e = 0; e < n; e++) {
    const time = m.time[e], address = m.address[e];
    if (time >= net.timeSteps) throw malformed(at, `event ${e} at step ${time}, the network runs ${net.timeSteps} steps`);
    if (address >= inputSize) throw malformed(at, `event ${e} at address ${address}, the input has ${inputSize} addresses`);
    if (time < t || (e > 0 && time === m.time[e - 1] && address <= m.address[e - 1])) throw malformed(at, `event ${e} is out of (time, address) order`);
    while (t < time) offsets[++t] = e;
  }
  while (t < net.timeSteps) offsets[++t] = n;
  const spiking = net.layers.filter((l) => !l.readout);
  const ex = m.expected ?? {};
  const counts: Message[] = ex.spikeCounts ?? [];
  if (counts.length !== spiking.length) throw malformed(at, `expected spike counts for ${counts.length} layers, the network has ${spiking.length} spiking chip layers`);
  counts.forEach((c, i) => {
    if (c.counts.length !== shapeSize(spiking[i].outShape)) throw malformed(at, `expected spike counts of layer '${c.layer}' hold ${c.counts.length} values for ${shapeSize(spiking[i].outShape)} neurons`);
  });
  const readoutValues = net.output === 'spikes' ? 0 : net.classes;
  if ((ex.readoutSum ?? []).length !== readoutValues) throw malformed(at, `expected readout of ${(ex.readoutSum ?? []).length} values, the network's ${net.output} output has ${readoutValues}`);
  return {
    index: m.index,
    label: m.label,
    events: { timeSteps: net.timeSteps, offsets, addresses: Uint32Array.from(m.address), payloads: m.payload.length ? Int32Array.from(m.payload) : null },
    expected: {
      readoutSum: Float64Array.from(ex.readoutSum),
      predicted: ex.predicted ?? 0,
      spikeCounts: counts.map((c) => Uint32Array.from(c.counts)),
      synapticEvents: toNumber(ex.synapticEvents ?? 0),
    },
  };
}

/** Decodes and checks a bundle; `where` names the file in errors. */
export function decodeBundle(bytes: Uint8Array, where: string): EventBundle {
  const body = checkTrailer(bytes, where);
  let m: Message;
  try {
    m = messageType().decode(body);
  } catch (err) {
    throw malformed(where, `not a readable events bundle (protobuf: ${(err as Error).message})`);
  }
  if (m.format !== BUNDLE_FORMAT) throw malformed(where, `field 'format' is ${JSON.stringify(m.format ?? '')}, expected '${BUNDLE_FORMAT}' (a protobuf file, but not an snn-export events bundle)`);
  if (m.formatVersion !== BUNDLE_VERSION) throw new SnnError('incompatibleVersion', `${where}: events bundle format version ${m.formatVersion} is not supported by this snn-export (reads version ${BUNDLE_VERSION})`);
  if (!m.profile || !m.network) throw malformed(where, `the bundle lacks its ${m.profile ? 'network' : 'profile'}`);
  const profileData = parseUntrustedJson(m.profile.json, `${where}: field 'profile.json'`);
  const profile = validateProfile(profileData, `${where}: embedded profile '${m.profile.name}'`);
  const nm = m.network;
  checkBundleLimits(m, where);
  if (!ENCODERS.includes(nm.encoder)) throw malformed(where, `network encoder ${JSON.stringify(nm.encoder)} is not one of ${ENCODERS.join(', ')}`);
  const output = nm.output === '' || nm.output === 'membrane' ? 'membrane' : nm.output === 'spikes' ? 'spikes' : undefined;
  if (output === undefined) throw malformed(where, `network output ${JSON.stringify(nm.output)} is not 'membrane' or 'spikes'`);
  const network: QuantizedNetwork = {
    profile,
    name: nm.name,
    timeSteps: nm.timeSteps,
    encoder: nm.encoder,
    classes: nm.classes,
    output,
    hostLayers: [...nm.hostLayers],
    inputShape: [...nm.inputShape],
    layers: nm.layers.map((l: Message, i: number) => layerFrom(l, `${where}: layer ${i + 1}`)),
    coresUsed: nm.coresUsed,
  };
  if (network.timeSteps < 1) throw malformed(where, 'the network runs 0 time steps');
  checkQuantizedNetwork(network, where);
  checkDerivedFields(nm, network, where);
  if (m.samples.length !== m.sampleCount) throw malformed(where, `holds ${m.samples.length} samples, its header says ${m.sampleCount}`);
  return {
    generator: m.generator,
    network,
    report: network.layers.map((l, i) => reportFrom(nm.layers[i], l, network)),
    classNames: [...nm.classNames],
    samples: m.samples.map((s: Message) => sampleFrom(s, network, where)),
  };
}

/**
 * Refuses a file whose derived fields (chip steps, the Lava terms) disagree with its network, so
 * that a Lava run set up from them runs the network the samples' expected outputs come from.
 */
function checkDerivedFields(nm: Message, net: QuantizedNetwork, where: string): void {
  if (nm.chipSteps !== 0 && nm.chipSteps !== chipSteps(net)) throw malformed(where, `field 'network.chip_steps' is ${nm.chipSteps}, the layers' delays give ${chipSteps(net)}`);
  const lava = lavaMismatch(net.profile) === null;
  net.layers.forEach((l, i) => {
    const m = nm.layers[i].lava;
    if (!m) return;
    if (!lava) throw malformed(where, `layer ${i + 1} ('${l.name}') states Lava terms, but the embedded profile's arithmetic is not Lava's`);
    const want = lavaLayerTerms(net, l);
    const got = { du: m.du, dv: m.dv, vth: [...m.vth], biasMant: m.biasMant, biasExp: m.biasExp, weightExp: m.weightExp, firstReadStep: m.firstReadStep, lastReadStep: m.lastReadStep };
    if (JSON.stringify(got) !== JSON.stringify(want)) throw malformed(where, `layer ${i + 1} ('${l.name}'): its Lava terms ${JSON.stringify(got)} disagree with its integers, which give ${JSON.stringify(want)}`);
  });
}

/**
 * Refuses counts that would make the reader or the simulator allocate more than the documented
 * maxima (src/spec/limits.ts, the same as a spec's), before any array is made from them. Counts
 * of stored values (weights, events, spike counts) need no limit: the file holds them.
 */
function checkBundleLimits(m: Message, where: string): void {
  const nm = m.network;
  const over = (field: string, value: number, limit: number): never => {
    throw malformed(where, `field '${field}' is ${value}, more than the limit of ${limit}`);
  };
  if (nm.timeSteps > SPEC_LIMITS.timeSteps) over('network.time_steps', nm.timeSteps, SPEC_LIMITS.timeSteps);
  if (nm.layers.length > SPEC_LIMITS.layers) over('network.layers', nm.layers.length, SPEC_LIMITS.layers);
  const shape = (field: string, dims: number[]): number => {
    if (dims.length > 3) throw malformed(where, `field '${field}' has ${dims.length} dimensions, at most 3`);
    const n = shapeSize(dims);
    if (n > SPEC_LIMITS.neuronsPerLayer) throw malformed(where, `field '${field}' [${dims}] holds ${n} values, more than the limit of ${SPEC_LIMITS.neuronsPerLayer} per layer`);
    return n;
  };
  shape('network.input_shape', nm.inputShape);
  let neurons = 0, connections = 0;
  nm.layers.forEach((l: Message, i: number) => {
    const at = `network.layers[${i}]`;
    shape(`${at}.in_shape`, l.inShape);
    const map = shape(`${at}.map_shape`, l.mapShape);
    neurons += shape(`${at}.out_shape`, l.outShape);
    for (const field of ['kernel', 'stride', 'poolSize'] as const) {
      if (l[field] > SPEC_LIMITS.kernel) over(`${at}.${field.replace('S', '_s')}`, l[field], SPEC_LIMITS.kernel);
    }
    if (l.padding > SPEC_LIMITS.kernel) over(`${at}.padding`, l.padding, SPEC_LIMITS.kernel);
    if (l.kind === 1 && (l.kernel < 1 || l.stride < 1)) throw malformed(where, `field '${at}': a conv layer needs kernel and stride ≥ 1, got ${l.kernel} and ${l.stride}`);
    if (l.pool !== POOL.none && l.poolSize < 1) throw malformed(where, `field '${at}.pool_size' is 0 for a pooled layer`);
    // A conv layer also costs the simulator's synapse table: every input position visits k × k taps.
    connections += l.kind === 1 ? Math.max(map * (l.inShape[0] ?? 0), shapeSize(l.inShape)) * l.kernel * l.kernel : l.weights.length;
  });
  if (neurons > SPEC_LIMITS.totalNeurons) throw malformed(where, `the layers hold ${neurons} neurons, more than the limit of ${SPEC_LIMITS.totalNeurons}`);
  if (connections > SPEC_LIMITS.connections) throw malformed(where, `the layers make ${connections} synaptic connections per step, more than the limit of ${SPEC_LIMITS.connections}`);
  const offsets = m.samples.length * (nm.timeSteps + 1);
  if (offsets > MAX_BUNDLE_STEP_OFFSETS) {
    throw malformed(where, `${m.samples.length} samples × ${nm.timeSteps + 1} step offsets = ${offsets}, more than the limit of ${MAX_BUNDLE_STEP_OFFSETS}`);
  }
}

/** Reads a bundle file (a regular file of at most 1 GiB) and checks it (`decodeBundle`). */
export function readBundle(path: string): EventBundle {
  return decodeBundle(readInput(path, { what: 'events bundle', maxBytes: MAX_BUNDLE_BYTES }), path);
}

/** Writes a bundle atomically. */
export function writeBundle(path: string, bundle: EventBundle): Uint8Array {
  const bytes = encodeBundle(bundle);
  writeFileAtomic(path, bytes);
  return bytes;
}
