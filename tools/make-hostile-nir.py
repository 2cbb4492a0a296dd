#!/usr/bin/python3
"""Writes the hostile NIR files of test/nir-hostile.test.ts into test/fixtures/nir-hostile/.

h5py (Debian's python3-h5py) is the writer because it can make what h5wasm cannot: datasets in
HDF5 external storage, virtual datasets and link cycles. Run: /usr/bin/python3 tools/make-hostile-nir.py
"""
import os
import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'nir-hostile')
DT = 1e-4
rng = np.random.default_rng(7)


def cuba(g, n, alpha=0.9, beta=0.8, threshold=None):
    tau_syn, tau_mem = DT / (1 - alpha), DT / (1 - beta)
    for name, v in [('tau_syn', tau_syn), ('tau_mem', tau_mem), ('r', tau_mem / DT), ('v_leak', 0.0), ('w_in', tau_syn / DT)]:
        g[name] = np.full(n, v)
    if threshold is not None:
        g['v_threshold'] = np.full(n, threshold)


def dense_graph(path, weight=None, bias=None):
    """input(30) → fc1 → lif1 → fc2 → out (CubaLI) → output(4). `weight(group)` may write fc1.weight its own way."""
    with h5py.File(path, 'w') as f:
        f['version'] = '1.0.4'
        node = f.create_group('node')
        node['type'] = 'NIRGraph'
        edges = [('input', 'fc1'), ('fc1', 'lif1'), ('lif1', 'fc2'), ('fc2', 'out'), ('out', 'output')]
        node['edges'] = np.array(edges, dtype=h5py.string_dtype())
        nodes = node.create_group('nodes')
        types = {'input': 'Input', 'fc1': 'Affine', 'lif1': 'CubaLIF', 'fc2': 'Affine', 'out': 'CubaLI', 'output': 'Output'}
        groups = {}
        for key, t in types.items():
            groups[key] = nodes.create_group(key)
            groups[key]['type'] = t
        groups['input']['shape'] = np.array([30], dtype=np.int64)
        if weight:
            weight(groups['fc1'])
        else:
            groups['fc1']['weight'] = rng.uniform(-0.5, 0.5, (12, 30)).astype(np.float32)
        if bias:
            bias(groups['fc1'])
        else:
            groups['fc1']['bias'] = rng.uniform(-0.1, 0.1, 12).astype(np.float32)
        cuba(groups['lif1'], 12, threshold=1.0)
        groups['fc2']['weight'] = rng.uniform(-0.5, 0.5, (4, 12)).astype(np.float32)
        groups['fc2']['bias'] = rng.uniform(-0.1, 0.1, 4).astype(np.float32)
        cuba(groups['out'], 4)
        groups['output']['shape'] = np.array([4], dtype=np.int64)


def external(target, offset=0):
    """fc1.weight whose raw data lives in another file (HDF5 external storage)."""
    return lambda g: g.create_dataset('weight', shape=(12, 30), dtype='<f4', external=[(target, offset, 12 * 30 * 4)])


def virtual(source):
    def write(g):
        layout = h5py.VirtualLayout(shape=(12, 30), dtype='<f4')
        layout[:] = h5py.VirtualSource(source, '/node/nodes/fc1/weight', shape=(12, 30))
        g.create_virtual_dataset('weight', layout, fillvalue=0)
    return write


def main():
    os.makedirs(OUT, exist_ok=True)
    at = lambda name: os.path.join(OUT, name)
    dense_graph(at('valid.nir'))
    # Raw weights read from a system file, from the file itself, and from a sibling file.
    dense_graph(at('external-storage-passwd.nir'), weight=external('/etc/passwd'))
    dense_graph(at('external-storage-self.nir'), weight=external('external-storage-self.nir', 0))
    dense_graph(at('external-storage-sibling.nir'), weight=external('valid.nir', 0))
    dense_graph(at('virtual-dataset.nir'), weight=virtual('valid.nir'))
    # fc1 is an external link to the valid file's fc1 group.
    dense_graph(at('external-link.nir'))
    with h5py.File(at('external-link.nir'), 'a') as f:
        del f['node/nodes/fc1']
        f['node/nodes/fc1'] = h5py.ExternalLink('valid.nir', '/node/nodes/fc1')
    # The whole graph behind an external link.
    with h5py.File(at('external-link-root.nir'), 'w') as f:
        f['version'] = '1.0.4'
        f['node'] = h5py.ExternalLink('valid.nir', '/node')
    # A hard link from inside a node back to the graph: walking it never ends.
    dense_graph(at('link-cycle.nir'))
    with h5py.File(at('link-cycle.nir'), 'a') as f:
        f['node/nodes/fc1/loop'] = f['node']
    # A graph that asks to be run for 10^9 time steps.
    dense_graph(at('time-steps-1e9.nir'))
    with h5py.File(at('time-steps-1e9.nir'), 'a') as f:
        f['node/metadata/time_steps'] = np.int64(10 ** 9)
    # A bias declared with 2^28 float64 values (2 GiB) of which no chunk is stored: a 4 kB file.
    dense_graph(at('value-bomb.nir'), bias=lambda g: g.create_dataset('bias', shape=(2 ** 28,), dtype='<f8', chunks=(2 ** 20,)))


if __name__ == '__main__':
    main()
