"""Timings of cnnkit's im2col convolution against the loop oracle and PyTorch, and a LeNet epoch.

Run from the repository root:

    .venv/bin/python benchmarks/bench_layers.py [--quick] [--blas-threads K]

Everything is measured in this run, on this machine, in float32; ratios compare
numbers from the same run. The loop oracle is far too slow to run on a whole
batch, so it runs on one image and is scaled by N (its cost is exactly linear in
N); those lines say "extrapolated". Prints figures only, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument(
        "--blas-threads",
        type=int,
        metavar="K",
        help="limit OpenBLAS/OpenMP (and torch) to K threads; default: the libraries' own choice",
    )
    return parser.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.blas_threads:
    # Must be set before NumPy loads OpenBLAS, which reads it once at start-up.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.blas_threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from loop_oracles import conv2d_backward_loop, conv2d_forward_loop  # noqa: E402

from cnnkit.conv import conv2d_backward, conv2d_forward  # noqa: E402
from cnnkit.losses import softmax_cross_entropy  # noqa: E402
from cnnkit.modules import SGD, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

N_TRAIN = 60_000
BATCH = 128
# name, C_in, H (= W), C_out, k
LAYERS = [("C1 1->6 32x32 k5", 1, 32, 6, 5), ("C3 6->16 14x14 k5", 6, 14, 16, 5)]


def best_of(f, repeats):
    """Fastest of ``repeats`` timed calls after one warm-up: the least noisy estimate."""
    f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def fmt(seconds):
    return f"{seconds * 1e3:9.2f} ms"


def bench_conv_layer(name, C, H, C_out, k, repeats, rng):
    X = rng.standard_normal((BATCH, C, H, H), dtype=np.float32)
    W = rng.standard_normal((C_out, C, k, k), dtype=np.float32)
    b = rng.standard_normal(C_out, dtype=np.float32)
    out, cache = conv2d_forward(X, W, b)
    dout = rng.standard_normal(out.shape, dtype=np.float32)

    fwd = best_of(lambda: conv2d_forward(X, W, b), repeats)
    bwd = best_of(lambda: conv2d_backward(dout, cache), repeats)

    # One image through the loops, scaled to the batch.
    X1, d1 = X[:1], dout[:1]
    loop_fwd = best_of(lambda: conv2d_forward_loop(X1, W, b), 1) * BATCH
    loop_bwd = best_of(lambda: conv2d_backward_loop(d1, X1, W), 1) * BATCH

    print(f"  {name}")
    print(f"    im2col  forward {fmt(fwd)}   backward {fmt(bwd)}")
    print(
        f"    loops   forward {fmt(loop_fwd)}   backward {fmt(loop_bwd)}"
        f"   (extrapolated from 1 image)  -> im2col is {loop_fwd / fwd:,.0f}x / "
        f"{loop_bwd / bwd:,.0f}x faster"
    )
    if torch is None:
        return
    tX, tW, tb = (torch.from_numpy(a).requires_grad_() for a in (X, W, b))
    t_dout = torch.from_numpy(dout)

    def t_fwd():
        with torch.no_grad():
            return torch.nn.functional.conv2d(tX, tW, tb)

    t_out = torch.nn.functional.conv2d(tX, tW, tb)

    def t_bwd():  # the same three gradients as conv2d_backward
        torch.autograd.grad(t_out, (tX, tW, tb), t_dout, retain_graph=True)

    tf = best_of(t_fwd, repeats)
    tbw = best_of(t_bwd, repeats)
    print(
        f"    torch   forward {fmt(tf)}   backward {fmt(tbw)}"
        f"   -> im2col takes {fwd / tf:.1f}x / {bwd / tbw:.1f}x torch's time"
    )


def bench_conv(repeats):
    rng = np.random.default_rng(0)
    print(f"\nConvolution, N={BATCH}, float32 (best of {repeats})")
    for name, C, H, C_out, k in LAYERS:
        bench_conv_layer(name, C, H, C_out, k, repeats, rng)


def lenet(rng):
    """Modern LeNet-5 on 32x32 inputs (28x28 Fashion-MNIST padded by 2)."""
    return Sequential(
        Conv2d(1, 6, 5, rng=rng), ReLU(), MaxPool2d(2),
        Conv2d(6, 16, 5, rng=rng), ReLU(), MaxPool2d(2),
        Conv2d(16, 120, 5, rng=rng), ReLU(), Flatten(),
        Linear(120, 84, rng=rng), ReLU(), Linear(84, 10, rng=rng),
    )  # fmt: skip


def bench_lenet(steps):
    rng = np.random.default_rng(0)
    model = lenet(rng)
    opt = SGD(model, lr=0.01, momentum=0.9)
    X = rng.standard_normal((BATCH, 1, 32, 32), dtype=np.float32)
    y = rng.integers(0, 10, size=BATCH)
    fwd_t = np.zeros(len(model))
    bwd_t = np.zeros(len(model))

    def step(record):
        out = X
        for i, layer in enumerate(model.layers):
            t0 = time.perf_counter()
            out = layer.forward(out)
            fwd_t[i] += record * (time.perf_counter() - t0)
        _, d = softmax_cross_entropy(out, y)
        for i in reversed(range(len(model))):
            t0 = time.perf_counter()
            d = model.layers[i].backward(d)
            bwd_t[i] += record * (time.perf_counter() - t0)
        opt.step()

    step(0)  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        step(1)
    per_step = (time.perf_counter() - t0) / steps
    n_steps = -(-N_TRAIN // BATCH)
    print(f"\nLeNet-5 (ReLU, max pool), batch {BATCH}, float32, mean of {steps} SGD steps")
    print(f"  one step (forward, loss, backward, update): {fmt(per_step)}")
    print(f"  estimated epoch of {N_TRAIN:,} images ({n_steps} steps): {per_step * n_steps:.1f} s")
    print("  where the time goes (per step):")
    for i, layer in enumerate(model.layers):
        print(
            f"    {i:2d} {type(layer).__name__:10s} forward {fmt(fwd_t[i] / steps)}"
            f"   backward {fmt(bwd_t[i] / steps)}"
        )

    if torch is not None:
        nn = torch.nn
        t_model = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )  # fmt: skip
        t_opt = torch.optim.SGD(t_model.parameters(), lr=0.01, momentum=0.9)
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)

        def t_step():
            t_opt.zero_grad()
            nn.functional.cross_entropy(t_model(tX), ty).backward()
            t_opt.step()

        t_step()
        t0 = time.perf_counter()
        for _ in range(steps):
            t_step()
        t_per_step = (time.perf_counter() - t0) / steps
        print(
            f"  torch, same network and batch: {fmt(t_per_step)} per step, "
            f"epoch ~{t_per_step * n_steps:.1f} s; "
            f"cnnkit takes {per_step / t_per_step:.1f}x as long"
        )


def main(args):
    repeats, steps = (3, 5) if args.quick else (10, 20)
    if torch is not None and args.blas_threads:
        torch.set_num_threads(args.blas_threads)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"NumPy {np.__version__}, {os.cpu_count()} CPUs, BLAS threads: {threads}", end="")
    if torch is not None:
        print(f", torch {torch.__version__} ({torch.get_num_threads()} threads)")
    else:
        print(", torch not installed (no torch comparison)")
    bench_conv(repeats)
    bench_lenet(steps)


if __name__ == "__main__":
    main(ARGS)
