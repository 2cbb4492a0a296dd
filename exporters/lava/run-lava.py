#!/usr/bin/env python3
"""Runs an snn-export spike-event bundle in Lava's bit-accurate CPU simulation and compares it with
the bundle's expected outputs (the integer simulator's).

    python3 exporters/lava/run-lava.py net.bundle                 # Lava Dense/Conv + LIF processes built from the bundle
    python3 exporters/lava/run-lava.py net.bundle --net net.net   # the netx file of `snn-export export lava`

Both run with Loihi2SimCfg(select_tag="fixed_pt"): Lava's PyDenseModelBitAcc (or PyConvModelFixed) and
PyLifResetModelBitAcc (the bit-accurate LIF, plus a reset of u and v at each sample's start, so
that all samples run in one Lava run). Sample s occupies Lava steps s*P + 1 ... (s + 1)*P with
P = the bundle's chip_steps; its input events of logical step t are sent at Lava step s*P + t + 1
by a RingBuffer; chip layer d (1-based) computes logical step t at Lava step s*P + t + d + 1, and
its spikes (and a readout's v) are summed over t = 0 ... T - 1. Prints one line per check and a
JSON summary; exits 0 when every sample is bit-identical, 1 otherwise, 2 on a usage error.

Needs Lava and, for --net, lava-dl (README.md of the package, "Loihi 2 through Lava").
"""
import argparse
import json
import struct
import sys
import zlib

import numpy as np


# ---- the bundle (exporters/events/bundle.proto), read with a minimal protobuf decoder ----------

def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _fields(buf):
    """Field number -> list of (wire type, value): ints for varints, bytes for length-delimited."""
    out = {}
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value = buf[i:i + 8]
            i += 8
        elif wire == 2:
            length, i = _varint(buf, i)
            value = buf[i:i + length]
            i += length
        elif wire == 5:
            value = buf[i:i + 4]
            i += 4
        else:
            raise ValueError(f'unsupported wire type {wire}')
        out.setdefault(field, []).append((wire, value))
    return out


def _zigzag(v):
    return (v >> 1) ^ -(v & 1)


def _ints(f, field, signed=False):
    values = []
    for wire, v in f.get(field, []):
        if wire == 0:
            values.append(v)
        else:
            i = 0
            while i < len(v):
                x, i = _varint(v, i)
                values.append(x)
    return [_zigzag(v) for v in values] if signed else values


def _int(f, field, signed=False, default=0):
    v = _ints(f, field, signed)
    return v[-1] if v else default


def _str(f, field):
    return bytes(f[field][-1][1]).decode('utf-8') if field in f else ''


def _msgs(f, field):
    return [_fields(v) for _, v in f.get(field, [])]


def _doubles(f, field):
    data = b''.join(bytes(v) for wire, v in f.get(field, []))
    return list(struct.unpack(f'<{len(data) // 8}d', data))


def read_bundle(path):
    raw = open(path, 'rb').read()
    if len(raw) < 5 or raw[-5] != 0x7D or struct.unpack('<I', raw[-4:])[0] != zlib.crc32(raw[:-5]):
        raise SystemExit(f'{path}: not an snn-export events bundle, or its checksum does not match')
    top = _fields(memoryview(raw[:-5]))
    if _str(top, 1) != 'snn-export-events' or _int(top, 2) != 1:
        raise SystemExit(f'{path}: not an snn-export events bundle of format version 1')
    net = _msgs(top, 5)[0]
    layers = []
    for m in _msgs(net, 8):
        lava = _msgs(m, 27)
        if not lava:
            raise SystemExit(f"{path}: layer '{_str(m, 1)}' states no Lava terms: the bundle's profile does not compute what Lava does (export it with --target loihi2)")
        lv = lava[0]
        layers.append({
            'name': _str(m, 1), 'readout': bool(_int(m, 4)), 'kind': _int(m, 3),
            'in_shape': _ints(m, 5), 'out_shape': _ints(m, 7),
            'in': int(np.prod(_ints(m, 5))), 'out': int(np.prod(_ints(m, 7))),
            'kernel': _int(m, 8), 'stride': _int(m, 9), 'padding': _int(m, 10),
            'weights': np.array(_ints(m, 14, signed=True), dtype=np.int64).reshape(_ints(m, 13)),
            'du': _int(lv, 1, signed=True), 'dv': _int(lv, 2), 'vth': _ints(lv, 3),
            'bias_mant': _int(lv, 4, signed=True), 'bias_exp': _int(lv, 5), 'weight_exp': _int(lv, 6, signed=True),
            'first': _int(lv, 7), 'last': _int(lv, 8),
        })
    samples = []
    for s in _msgs(top, 7):
        ex = _msgs(s, 6)[0] if 6 in s else {}
        samples.append({
            'index': _int(s, 1), 'label': _int(s, 2), 'time': _ints(s, 3), 'address': _ints(s, 4),
            'payload': _ints(s, 5, signed=True),
            'readout_sum': _doubles(ex, 1), 'predicted': _int(ex, 2),
            'spike_counts': [_ints(c, 2) for c in _msgs(ex, 3)],
        })
    return {
        'name': _str(net, 1), 'T': _int(net, 2), 'input': int(np.prod(_ints(net, 7))), 'input_shape': _ints(net, 7),
        'output': _str(net, 10) or 'membrane', 'chip_steps': _int(net, 11), 'layers': layers, 'samples': samples,
    }


# ---- the Lava network ------------------------------------------------------------------------

def lava_conv_weight(w):
    """[out, in, ky, kx] correlation kernel -> Lava's (out, x, y, in) convolution kernel (flipped, as netx does)."""
    return np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(0, 3, 2, 1))


def whc(shape):
    """A channels-first shape [C, H, W] (or [N]) in Lava's order (W, H, C)."""
    return tuple(shape[::-1])


def from_bundle(bundle, period):
    """Lava Dense or Conv and LIF processes with the bundle's integers."""
    from lava.proc.conv.process import Conv
    from lava.proc.dense.process import Dense
    from lava.proc.lif.process import LIFReset
    blocks = []
    for d, l in enumerate(bundle['layers'], start=1):
        if l['kind'] == 0:
            synapse = Dense(weights=l['weights'], weight_exp=l['weight_exp'], num_weight_bits=8)
        else:
            synapse = Conv(weight=lava_conv_weight(l['weights']), weight_exp=l['weight_exp'], input_shape=whc(l['in_shape']),
                           stride=l['stride'], padding=l['padding'])
        lif = LIFReset(shape=whc(l['out_shape']), du=l['du'], dv=l['dv'], vth=l['vth'][0], bias_mant=l['bias_mant'],
                       bias_exp=l['bias_exp'], reset_interval=period, reset_offset=d + 1)
        synapse.a_out.connect(lif.a_in)
        if blocks:
            previous = blocks[-1][1].s_out
            # A conv layer's (W, H, C) spikes reach a dense layer flattened channels first, as netx connects them.
            (previous.transpose([2, 1, 0]).flatten() if len(previous.shape) == 3 and l['kind'] == 0 else previous).connect(synapse.s_in)
        blocks.append((synapse, lif))
    return blocks[0][0].s_in, [lif for _, lif in blocks]


def from_netx(path, bundle, period):
    """The netx file, loaded by lava-dl; its weights must be the bundle's."""
    from lava.lib.dl.netx import hdf5
    # reset_offset 1: netx resets layer i (0-based) at Lava steps = i + 2 (mod period), its logical step 0.
    net = hdf5.Network(net_config=path, reset_interval=period, reset_offset=1)
    if len(net.layers) != len(bundle['layers']):
        raise SystemExit(f'{path}: {len(net.layers)} layers, the bundle has {len(bundle["layers"])}')
    for block, l in zip(net.layers, bundle['layers']):
        if l['kind'] == 0:
            w = np.asarray(block.synapse.weights.init)
            exp = int(block.synapse.proc_params.get('weight_exp', 0))
            # netx's optimize_weight_bits may shift the weights left and set weight_exp to undo it.
            effective = w.astype(np.int64) * 2 ** exp if exp >= 0 else w.astype(np.int64) >> -exp
            same = np.array_equal(effective, l['weights'])
        else:
            same = np.array_equal(np.asarray(block.synapse.weight.init).astype(np.int64), lava_conv_weight(l['weights']))
        if not same:
            raise SystemExit(f"{path}: layer '{l['name']}': the weights differ from the bundle's (a file from another checkpoint?)")
    return net.inp, [block.neuron for block in net.layers]


def run(bundle, net_path=None, limit=None):
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.io.source import RingBuffer
    from lava.proc.monitor.process import Monitor

    samples = bundle['samples'][:limit] if limit else bundle['samples']
    T, P = bundle['T'], bundle['chip_steps']
    steps = P * len(samples)
    data = np.zeros((bundle['input'], steps), dtype=np.int32)
    for s, sample in enumerate(samples):
        payload = sample['payload'] or [1] * len(sample['address'])
        for t, a, p in zip(sample['time'], sample['address'], payload):
            data[a, s * P + t] += p
    if data.max(initial=0) > 1:
        raise SystemExit('the bundle carries graded input events; this script sends binary spikes only')
    inp, lifs = from_netx(net_path, bundle, P) if net_path else from_bundle(bundle, P)
    if len(inp.shape) == 3:
        # A conv input takes (W, H, C): the events' addresses are channels first.
        data = np.ascontiguousarray(data.reshape(*bundle['input_shape'], steps).transpose(2, 1, 0, 3))
    source = RingBuffer(data=data)
    source.s_out.connect(inp)
    monitors = []
    for lif, l in zip(lifs, bundle['layers']):
        m = Monitor()
        if l['readout']:
            m.probe(target=lif.v, num_steps=steps)
        else:
            m.probe(target=lif.s_out, num_steps=steps)
        monitors.append(m)
    source.run(condition=RunSteps(num_steps=steps), run_cfg=Loihi2SimCfg(select_tag='fixed_pt'))
    traces = []
    for m, lif, l in zip(monitors, lifs, bundle['layers']):
        data_m = np.asarray(m.get_data()[lif.name]['v' if l['readout'] else 's_out'], dtype=np.int64)
        if len(l['out_shape']) == 3:
            # (W, H, C) back to the bundle's channels-first order.
            data_m = data_m.reshape(steps, *whc(l['out_shape'])).transpose(0, 3, 2, 1)
        traces.append(data_m.reshape(steps, -1))
    source.stop()

    results = []
    for s, sample in enumerate(samples):
        counts, readout = [], None
        for trace, l in zip(traces, bundle['layers']):
            # Lava step k is row k - 1; the layer's window is Lava steps first ... last of this sample.
            window = trace[s * P + l['first'] - 1: s * P + l['last']]
            if l['readout']:
                readout = window.sum(axis=0)
            else:
                counts.append(window.sum(axis=0))
        results.append((counts, readout))
    return samples, results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('bundle')
    ap.add_argument('--net', help='netx HDF5 file written by `snn-export export lava` from the same checkpoint')
    ap.add_argument('--samples', type=int, help='run only the first N samples')
    ap.add_argument('--json', action='store_true', help='print only the JSON summary')
    args = ap.parse_args()
    bundle = read_bundle(args.bundle)
    samples, results = run(bundle, args.net, args.samples)
    names = [l['name'] for l in bundle['layers'] if not l['readout']]
    layer_equal = {n: 0 for n in names}
    readout_equal = all_equal = pred_equal = correct = 0
    for sample, (counts, readout) in zip(samples, results):
        ok = True
        for n, got, want in zip(names, counts, sample['spike_counts']):
            same = np.array_equal(got, np.asarray(want, dtype=np.int64))
            layer_equal[n] += same
            ok &= same
        if readout is not None:
            same = np.array_equal(readout, np.asarray(sample['readout_sum'], dtype=np.int64))
            readout_equal += same
            ok &= same
            scores = readout
        else:
            scores = counts[-1]
        predicted = int(np.argmax(scores))  # the first of equal scores: ties go to the lowest class
        pred_equal += predicted == sample['predicted']
        correct += predicted == sample['label']
        all_equal += ok
    n = len(samples)
    summary = {
        'bundle': args.bundle, 'net': args.net, 'network': bundle['name'], 'samples': n, 'time_steps': bundle['T'],
        'lava_steps_per_sample': bundle['chip_steps'], 'output': bundle['output'],
        'spike_counts_identical': layer_equal,
        'readout_sums_identical': readout_equal if any(l['readout'] for l in bundle['layers']) else None,
        'samples_bit_identical': all_equal, 'predictions_equal': pred_equal, 'lava_accuracy': correct / n if n else None,
        'run_config': 'Loihi2SimCfg(select_tag="fixed_pt"): PyDenseModelBitAcc, PyConvModelFixed, PyLifResetModelBitAcc',
    }
    if not args.json:
        print(f"{bundle['name']}: {n} samples in Lava ({'netx ' + args.net if args.net else 'Dense/Conv + LIF processes from the bundle'}), "
              f"{bundle['chip_steps']} Lava steps each")
        for name in names:
            print(f'  spike counts of {name}: {layer_equal[name]}/{n} samples identical')
        if summary['readout_sums_identical'] is not None:
            print(f'  readout sums: {readout_equal}/{n} samples identical')
        print(f'  bit-identical samples: {all_equal}/{n}; predictions equal {pred_equal}/{n}; Lava accuracy {100 * correct / max(n, 1):.1f} %')
    print(json.dumps(summary))
    return 0 if all_equal == n else 1


if __name__ == '__main__':
    sys.exit(main())
