"""cnnkit's convolution and pooling against PyTorch (CPU), measured in the same run: one table.

Run from the repository root:

    .venv/bin/python benchmarks/bench_layers.py [--threads 1,2] [--repeats 15] [--only conv|pool]

For every case and thread count it prints the median time of cnnkit and of PyTorch
(float32), their ratio (cnnkit / PyTorch: below 1 means cnnkit is faster), the
GFLOP/s of each (convolutions) and that as a percentage of the machine's peak,
measured first as the best float32 matrix product (NumPy's BLAS or PyTorch,
2048 x 2048) at that thread count. The two libraries run alternately, one call
each per repeat, so that a machine loaded by other work slows both alike; on a
shared machine read the ratios, not the absolute times. BLAS threads are set with
threadpoolctl, PyTorch's with ``torch.set_num_threads``.

Without PyTorch installed it prints the cnnkit columns only. Prints figures,
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from cnnkit.conv import conv2d_backward, conv2d_forward
from cnnkit.pool import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

# name, N, C_in, H (= W), C_out, k, stride, pad
CONV_CASES = [
    ("LeNet C1 (128, 1->6, 32x32, k5)", 128, 1, 32, 6, 5, 1, 0),
    ("LeNet C3 (128, 6->16, 14x14, k5)", 128, 6, 14, 16, 5, 1, 0),
    ("64->64 3x3 pad 1 on 32x32 (N=64)", 64, 64, 32, 64, 3, 1, 1),
    ("1x1 256->64 on 28x28 (N=32)", 32, 256, 28, 64, 1, 1, 0),
    ("64->128 3x3 stride 2 pad 1 on 32x32 (N=64)", 64, 64, 32, 128, 3, 2, 1),
]
POOL_SHAPES = [(128, 6, 28, 28), (64, 64, 32, 32)]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per library")
    parser.add_argument("--only", choices=["conv", "pool"], help="one kind of layer")
    return parser.parse_args()


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def interleaved(f_kit, f_torch, repeats):
    """Median seconds of each and the median of the paired ratios, calling them alternately.

    Each repeat times one cnnkit call and then one PyTorch call; the ratio of a pair
    is measured a few milliseconds apart, so it suffers far less from other work on
    the machine than the ratio of two medians taken minutes apart.
    """
    f_kit()
    if f_torch is not None:
        f_torch()
    kit, ref = [], []
    for _ in range(repeats):
        kit.append(timed(f_kit))
        if f_torch is not None:
            ref.append(timed(f_torch))
    if not ref:
        return float(np.median(kit)), None, None
    ratio = float(np.median(np.array(kit) / np.array(ref)))
    return float(np.median(kit)), float(np.median(ref)), ratio


def peak_gflops(threads):
    """Best float32 matrix-product rate at this thread count: the machine's usable FMA peak."""
    n = 2048
    A = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    flops = 2 * n**3
    best = max(flops / timed(lambda: A @ A) for _ in range(4))
    if torch is not None:
        tA = torch.from_numpy(A)
        best = max(best, *(flops / timed(lambda: tA @ tA) for _ in range(4)))
    return best / 1e9


def conv_rows(repeats):
    for name, N, C, H, C_out, k, s, p in CONV_CASES:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((N, C, H, H), dtype=np.float32)
        W = rng.standard_normal((C_out, C, k, k), dtype=np.float32) * 0.1
        b = rng.standard_normal(C_out, dtype=np.float32)
        out, _ = conv2d_forward(X, W, b, s, p)
        dout = rng.standard_normal(out.shape, dtype=np.float32)
        flops = 2 * out.size * C * k * k  # one multiply-add per weight per output value

        def kit_fwd(X=X, W=W, b=b, s=s, p=p):
            conv2d_forward(X, W, b, s, p)

        def kit_fb(X=X, W=W, b=b, s=s, p=p, dout=dout):
            conv2d_backward(dout, conv2d_forward(X, W, b, s, p)[1])

        t_fwd = t_fb = None
        if torch is not None:
            tX, tW, tb = (torch.from_numpy(a).requires_grad_() for a in (X, W, b))
            tdout = torch.from_numpy(dout)

            def t_fwd(tX=tX, tW=tW, tb=tb, s=s, p=p):
                with torch.no_grad():
                    F.conv2d(tX, tW, tb, s, p)

            def t_fb(tX=tX, tW=tW, tb=tb, s=s, p=p, tdout=tdout):
                torch.autograd.grad(F.conv2d(tX, tW, tb, s, p), (tX, tW, tb), tdout)

        yield f"conv {name}", "fwd", flops, kit_fwd, t_fwd
        yield f"conv {name}", "fwd+bwd", 3 * flops, kit_fb, t_fb


POOLS = {
    "max": (maxpool2d_forward, maxpool2d_backward, "max_pool2d"),
    "avg": (avgpool2d_forward, avgpool2d_backward, "avg_pool2d"),
}


def pool_rows(repeats):
    for kind, (forward, backward, t_name) in POOLS.items():
        for shape in POOL_SHAPES:
            rng = np.random.default_rng(0)
            X = rng.standard_normal(shape, dtype=np.float32)
            dout = rng.standard_normal((*shape[:2], shape[2] // 2, shape[3] // 2), np.float32)

            def kit_fwd(X=X, forward=forward):
                forward(X, 2)

            def kit_fb(X=X, dout=dout, forward=forward, backward=backward):
                backward(dout, forward(X, 2)[1])

            t_fwd = t_fb = None
            if torch is not None:
                t_pool = getattr(F, t_name)
                tX = torch.from_numpy(X).requires_grad_()
                tdout = torch.from_numpy(dout)

                def t_fwd(tX=tX, t_pool=t_pool):
                    with torch.no_grad():
                        t_pool(tX, 2)

                def t_fb(tX=tX, t_pool=t_pool, tdout=tdout):
                    torch.autograd.grad(t_pool(tX, 2), (tX,), tdout)

            yield f"{kind} pool 2x2 {shape}", "fwd", None, kit_fwd, t_fwd
            yield f"{kind} pool 2x2 {shape}", "fwd+bwd", None, kit_fb, t_fb


def fmt(x, spec):
    return format("-", ">" + spec.split(".")[0]) if x is None else format(x, spec)


def main(args):
    thread_counts = [int(t) for t in args.threads.split(",")]
    blas = [f"{i['internal_api']} {i.get('version') or ''}".strip() for i in threadpool_info()]
    print(
        f"NumPy {np.__version__} ({', '.join(blas)}), "
        + (f"PyTorch {torch.__version__}" if torch is not None else "PyTorch not installed")
        + f", {os.cpu_count()} CPUs, load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    print(
        f"float32, median of {args.repeats} alternating calls per library; "
        "ratio = median of the paired cnnkit / PyTorch ratios"
    )
    head = f"{'case':58s} {'pass':8s} {'thr':>3s} {'cnnkit ms':>10s}"
    if torch is not None:
        head += f" {'torch ms':>10s} {'ratio':>6s}"
    head += f" {'cnnkit GF/s':>11s} {'% peak':>6s}"
    if torch is not None:
        head += f" {'torch GF/s':>10s} {'% peak':>6s}"
    for threads in thread_counts:
        with threadpool_limits(limits=threads):
            if torch is not None:
                torch.set_num_threads(threads)
            peak = peak_gflops(threads)
            used = sorted({i["num_threads"] for i in threadpool_info()})
            print(
                f"\n{threads} thread(s): threadpoolctl reports {used} thread(s) per library"
                + (f", torch.get_num_threads() = {torch.get_num_threads()}" if torch else "")
                + f"; peak (best float32 matmul) {peak:.1f} GFLOP/s"
            )
            print(head)
            rows = []
            if args.only in (None, "conv"):
                rows += list(conv_rows(args.repeats))
            if args.only in (None, "pool"):
                rows += list(pool_rows(args.repeats))
            for name, pass_, flops, f_kit, f_torch in rows:
                kit, ref, ratio = interleaved(f_kit, f_torch, args.repeats)
                line = f"{name:58s} {pass_:8s} {threads:3d} {kit * 1e3:10.2f}"
                gk = flops / kit / 1e9 if flops else None
                if torch is not None:
                    gt = flops / ref / 1e9 if flops else None
                    line += f" {ref * 1e3:10.2f} {ratio:6.2f}"
                line += f" {fmt(gk, '11.1f')} {fmt(gk and 100 * gk / peak, '6.0f')}"
                if torch is not None:
                    line += f" {fmt(gt, '10.1f')} {fmt(gt and 100 * gt / peak, '6.0f')}"
                print(line, flush=True)


if __name__ == "__main__":
    main(parse_args())
