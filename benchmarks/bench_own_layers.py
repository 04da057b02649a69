"""Chapter 5's LeNet trained on "the student's own layers" next to cnnkit's, in one run.

Run from the repository root:

    .venv/bin/python benchmarks/bench_own_layers.py [--epochs 1] [--images 55000] [--threads 1]

The instructor's answers of chapters 2-4 stand in for a student's package ``mine`` (what
``./course.sh check`` exports is the student's code under the same names). Both networks
start from the same weights and see the same mini-batches, with chapter 5's own
``build_lenet``, ``train_step`` and cosine schedule; the table gives training time,
seconds per step and test accuracy on the 10,000 Fashion-MNIST test images.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.reference import ch05_lenet as ch05  # noqa: E402
from cnnkit.data import load_fashion_mnist  # noqa: E402
from cnnkit.own_layers import use_own_layers  # noqa: E402
from cnnkit.training import minibatches, pad_images  # noqa: E402

MINE = {
    "ch02_padding_stride.py": "conv_forward_im2col",
    "ch03_pooling.py": "maxpool_forward, maxpool_backward",
    "ch04_backpropagation.py": "conv2d_backward, relu_forward, relu_backward",
}


def train(layers, X, y, X_test, y_test, epochs, seed, lr=0.03, momentum=0.9, batch=64):
    rng = np.random.default_rng(seed)
    velocities = ch05.init_velocities(layers)
    total, step = epochs * math.ceil(len(X) / batch), 0
    start = time.perf_counter()
    for _ in range(epochs):
        for idx in minibatches(len(X), batch, rng):
            rate = 0.5 * lr * (1 + math.cos(math.pi * step / total))
            ch05.train_step(layers, velocities, X[idx], y[idx], rate, momentum)
            step += 1
    seconds = time.perf_counter() - start
    scores = np.concatenate(
        [ch05.forward(layers, X_test[i : i + 1000]) for i in range(0, len(X_test), 1000)]
    )
    return seconds, step, ch05.accuracy(scores, y_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--images", type=int, default=55_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    X, y = load_fashion_mnist("train", normalize=True)
    X_test, y_test = load_fashion_mnist("test", normalize=True)
    X, X_test = pad_images(X, 2)[: args.images], pad_images(X_test, 2)
    y = y[: args.images]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(args.threads):
        package = Path(tmp) / "mine"
        package.mkdir()
        for name, functions in MINE.items():
            (package / name).write_text(
                f"from autograder.reference.{name[:-3]} import {functions}\n"
            )
        for who in ("cnnkit", "own"):
            layers = ch05.build_lenet(np.random.default_rng(args.seed), dtype=np.float32)
            if who == "own":
                layers, _ = use_own_layers(layers, package=package, quiet=True)
            seconds, steps, acc = train(layers, X, y, X_test, y_test, args.epochs, args.seed)
            rows.append((who, seconds, steps, acc))
    print(f"LeNet, {args.epochs} epoch(s) on {len(X):,} images, batch 64, {args.threads} thread(s)")
    print(f"{'layers':<8} {'train s':>8} {'ms/step':>8} {'test acc':>9} {'time ratio':>10}")
    base = rows[0][1]
    for who, seconds, steps, acc in rows:
        ms = 1000 * seconds / steps
        print(f"{who:<8} {seconds:8.1f} {ms:8.1f} {acc:9.2%} {seconds / base:10.2f}")


if __name__ == "__main__":
    main()
