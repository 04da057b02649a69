"""A LeNet training epoch in cnnkit against PyTorch (CPU), same network, weights and batches.

Run from the repository root:

    .venv/bin/python benchmarks/bench_lenet.py [--batch 64,128] [--threads 1,2] [--steps 240]

The network is chapter 5's modern LeNet (conv 5x5 1->6, ReLU, max pool, conv 5x5
6->16, ReLU, max pool, 400-120-84-10 with ReLUs), float32, SGD with momentum 0.9
(the same update in both libraries), on real Fashion-MNIST images padded to 32x32.
Both start from the same He-initialised weights and see the same mini-batches. The
first convolution computes no input gradient in either library (PyTorch does not
need one for the data; cnnkit is told with ``need_dX=False``).

Steps run in rounds of ``--round`` steps, cnnkit and PyTorch alternately, so that
load from other work on the machine hits both alike; the table gives the median
time per step, the projected epoch (55,000 images) and the ratio cnnkit / PyTorch,
the median of the per-round ratios. Without PyTorch it prints the cnnkit columns.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from cnnkit.data import load_fashion_mnist
from cnnkit.losses import softmax_cross_entropy
from cnnkit.modules import SGD, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from cnnkit.training import pad_images

try:
    import torch
except ImportError:
    torch = None

N_EPOCH = 55_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", default="64,128", help="comma-separated batch sizes")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--steps", type=int, default=240, help="timed steps per library")
    parser.add_argument("--round", type=int, default=20, help="steps per alternating round")
    return parser.parse_args()


def cnnkit_lenet(rng):
    return Sequential(
        Conv2d(1, 6, 5, rng=rng, need_dX=False), ReLU(), MaxPool2d(2),
        Conv2d(6, 16, 5, rng=rng), ReLU(), MaxPool2d(2),
        Flatten(), Linear(400, 120, rng=rng), ReLU(),
        Linear(120, 84, rng=rng), ReLU(), Linear(84, 10, rng=rng),
    )  # fmt: skip


def torch_lenet(model):
    """The same network in PyTorch, with the cnnkit model's weights."""
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
    with torch.no_grad():
        for mine, theirs in zip(model.layers, net, strict=True):
            if "W" in mine.params:
                W = mine.params["W"]
                theirs.weight.copy_(torch.from_numpy(W.T.copy() if W.ndim == 2 else W))
                theirs.bias.copy_(torch.from_numpy(mine.params["b"]))
    return net


def main(args):
    X, y = load_fashion_mnist("train", normalize=True)
    X = pad_images(X[:N_EPOCH], 2).astype(np.float32)
    y = y[:N_EPOCH].astype(np.int64)
    print(
        f"NumPy {np.__version__}"
        + (f", PyTorch {torch.__version__}" if torch is not None else ", PyTorch not installed")
        + f", {os.cpu_count()} CPUs, load average "
        + ", ".join(f"{v:.1f}" for v in os.getloadavg())
    )
    print(
        f"LeNet training steps, float32, {args.steps} steps per library in rounds of "
        f"{args.round}; epoch = {N_EPOCH:,} images; ratio = cnnkit / PyTorch"
    )
    head = f"{'batch':>5s} {'thr':>3s} {'cnnkit ms/step':>14s} {'epoch s':>8s}"
    if torch is not None:
        head += f" {'torch ms/step':>13s} {'epoch s':>8s} {'ratio':>6s}"
    print(head)
    for threads in [int(t) for t in args.threads.split(",")]:
        with threadpool_limits(limits=threads):
            if torch is not None:
                torch.set_num_threads(threads)
            for batch in [int(b) for b in args.batch.split(",")]:
                rng = np.random.default_rng(0)
                model = cnnkit_lenet(rng)
                opt = SGD(model, lr=0.01, momentum=0.9)
                net = torch_lenet(model) if torch is not None else None
                t_opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9) if net else None
                order = rng.permutation(N_EPOCH)
                batches = [order[i : i + batch] for i in range(0, N_EPOCH - batch + 1, batch)]

                def kit_steps(idx_list, model=model, opt=opt):
                    for idx in idx_list:
                        _, dscores = softmax_cross_entropy(model.forward(X[idx]), y[idx])
                        model.backward(dscores)
                        opt.step()

                def torch_steps(idx_list, net=net, t_opt=t_opt):
                    for idx in idx_list:
                        t_opt.zero_grad()
                        loss = torch.nn.functional.cross_entropy(
                            net(torch.from_numpy(X[idx])), torch.from_numpy(y[idx])
                        )
                        loss.backward()
                        t_opt.step()

                kit_steps(batches[:3])
                if net is not None:
                    torch_steps(batches[:3])
                kit_t, torch_t = [], []
                for r in range(math.ceil(args.steps / args.round)):
                    chunk = batches[(r * args.round) % len(batches) :][: args.round]
                    t0 = time.perf_counter()
                    kit_steps(chunk)
                    kit_t.append((time.perf_counter() - t0) / len(chunk))
                    if net is not None:
                        t0 = time.perf_counter()
                        torch_steps(chunk)
                        torch_t.append((time.perf_counter() - t0) / len(chunk))
                steps_per_epoch = math.ceil(N_EPOCH / batch)
                k = float(np.median(kit_t))
                line = f"{batch:5d} {threads:3d} {k * 1e3:14.2f} {k * steps_per_epoch:8.1f}"
                if net is not None:
                    t = float(np.median(torch_t))
                    ratio = float(np.median(np.array(kit_t) / np.array(torch_t)))
                    line += f" {t * 1e3:13.2f} {t * steps_per_epoch:8.1f} {ratio:6.2f}"
                print(line, flush=True)
    info = ", ".join(f"{i['internal_api']}: {i['num_threads']}" for i in threadpool_info())
    print(f"(threads outside the limits: {info})")


if __name__ == "__main__":
    main(parse_args())
