/**
 * `snn-export export lava CHECKPOINT -o net.net`: the chip part of a network quantized for a
 * profile with Lava's arithmetic (loihi2) as a lava-dl `netx` HDF5 file, which
 * `lava.lib.dl.netx.hdf5.Network` loads into Lava Dense and LIF processes that compute exactly what
 * the bundle of `export events --target loihi2` expects (README.md here; exporters/lava/run-lava.py runs it).
 *
 * Layout, as netx reads it (lava-nc/lava-dl, netx/hdf5.py and netx/utils.py `NetDict`): groups
 * `/layer/0`, `/layer/1`, … in order, with `type` (fixed-length ASCII) and `shape` (channels
 * first). A chip whose first layer is a conv starts with an `input` layer (its shape only); a
 * `dense` layer has `inFeatures`, `outFeatures`, `weight` (float32 integers, [out, in]); a `conv`
 * layer `inChannels`, `outChannels`, `kernelSize`, `stride`, `padding`, `dilation`, `groups` and
 * `weight` [out, in, ky, kx] (netx flips the kernel for Lava's convolution, so it correlates as
 * we do); a `flatten` layer between a conv and a dense layer (netx flattens channels first, as
 * we do). Each weighted layer has a `neuron` group (`type` "CUBA", `iDecay`, `vDecay`, `vThMant`,
 * `refDelay`, `gradedSpike`). netx makes every CUBA neuron a Lava LIF with du = iDecay − 1,
 * dv = vDecay, vth = vThMant and no bias, and passes dense weights through
 * `optimize_weight_bits`, which keeps even 8-bit weights exactly at exponent 0. The host layer of
 * a `direct` network is not in the file: its spikes are the input.
 */
import { loadProfile } from '../../hardware-profiles/index.ts';
import { SnnError } from '../../src/errors.ts';
import { chipSteps } from '../../src/quantize/chip-time.ts';
import { lavaLayerTerms, lavaMismatch } from '../../src/quantize/lava-terms.ts';
import type { QuantizedNetwork } from '../../src/quantize/quantize.ts';
import { accumulatorBound, quantizeNetwork } from '../../src/quantize/quantize.ts';
import type { ResetMode } from '../../src/spec/types.ts';
import { shapeSize, validateSpec } from '../../src/spec/validate.ts';
import type { Exporter } from '../exporter.ts';
import type { Group } from '../nir/h5.ts';
import { writeFloat32, writeHdf5, writeInt64, writeString } from '../nir/h5.ts';
import { VERSION } from '../../src/version.ts';

/** A fixed-length ASCII string of shape (1,), the form netx's `NetDict` decodes (`value[0].decode('ascii')`). */
function writeAscii(g: Group, name: string, value: string): void {
  g.create_dataset({ name, data: [value], shape: [1], dtype: `A${value.length}` });
}

/** Refuses what netx cannot express, naming the layer. */
function checkNetx(net: QuantizedNetwork, where: string): void {
  const why = lavaMismatch(net.profile);
  if (why) throw new SnnError('doesNotFit', `${where}: profile '${net.profile.name}' does not compute what Lava's bit-accurate processes compute: ${why}; use --target loihi2`);
  net.layers.forEach((l, i) => {
    const at = `${where}: chip layer ${i + 1} ('${l.name}')`;
    // Lava's fixed-point Conv saturates its sums at 24 bits and computes them in float32 (exact below 2^24).
    if (l.kind === 'conv2d' && accumulatorBound(l) >= 2 ** 23) throw new SnnError('doesNotFit', `${at}: its weighted sums can reach ${accumulatorBound(l)}, where Lava's conv saturates at 24 bits`);
    if (l.pool) throw new SnnError('doesNotFit', `${at} pools its synaptic input, which no netx layer does`);
    if (new Set(l.threshold).size > 1) throw new SnnError('doesNotFit', `${at} has per-channel thresholds; netx's vThMant is one per layer`);
    // netx's optimize_weight_bits gives an all-zero matrix no finite exponent (log2 of 255/0).
    if (l.weights.every((w) => w === 0)) throw new SnnError('doesNotFit', `${at} has only zero weights, which netx cannot load`);
  });
}


function writeNetx(root: Group, net: QuantizedNetwork, generator: string): void {
  const layers = root.create_group('layer');
  let index = 0;
  const next = () => layers.create_group(String(index++));
  if (net.layers[0].kind === 'conv2d') {
    const input = next();
    writeAscii(input, 'type', 'input');
    writeInt64(input, 'shape', net.layers[0].inShape);
  }
  net.layers.forEach((l, i) => {
    if (i > 0 && l.kind === 'dense' && net.layers[i - 1].kind === 'conv2d') writeAscii(next(), 'type', 'flatten');
    const g = next();
    const lava = lavaLayerTerms(net, l);
    if (l.kind === 'dense') {
      writeAscii(g, 'type', 'dense');
      writeInt64(g, 'shape', [l.channels]);
      writeInt64(g, 'inFeatures', [shapeSize(l.inShape)], []);
      writeInt64(g, 'outFeatures', [l.channels], []);
      writeFloat32(g, 'weight', Float32Array.from(l.weights), [l.channels, shapeSize(l.inShape)]);
    } else {
      writeAscii(g, 'type', 'conv');
      writeInt64(g, 'shape', l.outShape);
      writeInt64(g, 'inChannels', [l.inShape[0]], []);
      writeInt64(g, 'outChannels', [l.channels], []);
      writeInt64(g, 'kernelSize', [l.kernel, l.kernel]);
      writeInt64(g, 'stride', [l.stride, l.stride]);
      writeInt64(g, 'padding', [l.padding, l.padding]);
      writeInt64(g, 'dilation', [1, 1]);
      writeInt64(g, 'groups', [1], []);
      writeFloat32(g, 'weight', Float32Array.from(l.weights), l.weightShape);
    }
    const n = g.create_group('neuron');
    writeAscii(n, 'type', 'CUBA');
    // netx passes du = iDecay − 1 to Lava; iDecay is the profile's current decay code (lava-dl's convention).
    writeInt64(n, 'iDecay', [lava.du + 1], []);
    writeInt64(n, 'vDecay', [lava.dv], []);
    writeInt64(n, 'vThMant', [lava.vth[0]], []);
    writeInt64(n, 'refDelay', [1], []);
    writeInt64(n, 'gradedSpike', [0], []);
  });
  const sim = root.create_group('simulation');
  writeInt64(sim, 'Ts', [1], []);
  writeInt64(sim, 'tSample', [chipSteps(net)], []);
  // Not read by netx: what exporters/lava/run-lava.py and a reader need to run and read the file as the bundle does.
  const meta = root.create_group('snnExport');
  writeString(meta, 'generator', generator);
  writeString(meta, 'profile', net.profile.name);
  writeString(meta, 'network', net.name);
  writeString(meta, 'output', net.output);
  writeInt64(meta, 'timeSteps', [net.timeSteps], []);
  writeInt64(meta, 'chipSteps', [chipSteps(net)], []);
  writeInt64(meta, 'firstReadStep', net.layers.map((l) => lavaLayerTerms(net, l).firstReadStep));
  writeInt64(meta, 'lastReadStep', net.layers.map((l) => lavaLayerTerms(net, l).lastReadStep));
}

export const lavaExporter: Exporter = {
  name: 'lava',
  description: "lava-dl netx HDF5 of the chip layers, quantized for loihi2: lava.lib.dl.netx.hdf5.Network loads it into Lava's bit-accurate Dense and LIF processes (exporters/lava/run-lava.py runs it on a bundle's events)",
  options: [
    { flags: '--target <name>', description: "hardware profile with Lava's arithmetic", defaultValue: 'loihi2' },
    { flags: '--reset-as <mode>', description: "run spiking layers with this reset when the network was trained with another ('zero'; changes the dynamics)" },
  ],
  async export(checkpoint, outPath, options): Promise<string> {
    const resetAs = options.resetAs as ResetMode | undefined;
    if (resetAs !== undefined && resetAs !== 'zero' && resetAs !== 'subtract') throw new SnnError('usage', `export lava: --reset-as must be 'zero' or 'subtract', got '${String(resetAs)}'`);
    const profile = loadProfile(String(options.target as string | undefined ?? 'loihi2'));
    const { network } = quantizeNetwork(validateSpec(checkpoint.spec), checkpoint.params, profile, { resetOverride: resetAs });
    checkNetx(network, 'export lava');
    const generator = `snn-export ${VERSION}`;
    const bytes = await writeHdf5(outPath, (root) => writeNetx(root, network, generator));
    const layers = network.layers.map((l) => `${l.name} ${l.kind === 'dense' ? `${shapeSize(l.inShape)}→${l.channels}` : `conv [${l.inShape}]→[${l.outShape}]`}${l.readout ? ' (readout)' : ''}`).join(', ');
    return `wrote ${outPath} (${bytes} bytes): netx network of ${network.layers.length} layer(s) for ${profile.name} (${layers})${network.hostLayers.length ? `; input: the spikes of host layer ${network.hostLayers.join(', ')}` : ''}; run ${chipSteps(network)} Lava steps per sample`;
  },
};
