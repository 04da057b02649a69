"""Reference answers for chapter 7: the solution cells of ``solutions/07_transposed_dilated.py``.

Each answer lives once: the functions below are taken from the instructor notebook
(``autograder.reference.solutions``), not written a second time. What follows them is
what the hidden tests need beyond the answers: the wrong results of named
misconceptions, built from a plain scatter loop.
"""

from __future__ import annotations

import numpy as np

from autograder.reference.solutions import answers

_ANSWERS = answers(
    "07_transposed_dilated",
    [
        "as_int",
        "transposed_output_size",
        "transposed_conv2d_loops",
        "transposed_conv2d",
        "transposed_conv2d_backward",
        "dilated_conv2d",
        "dilated_conv2d_backward",
        "receptive_field",
    ],
    __name__,
)
as_int = _ANSWERS["as_int"]
transposed_output_size = _ANSWERS["transposed_output_size"]
transposed_conv2d_loops = _ANSWERS["transposed_conv2d_loops"]
transposed_conv2d = _ANSWERS["transposed_conv2d"]
transposed_conv2d_backward = _ANSWERS["transposed_conv2d_backward"]
dilated_conv2d = _ANSWERS["dilated_conv2d"]
dilated_conv2d_backward = _ANSWERS["dilated_conv2d_backward"]
receptive_field = _ANSWERS["receptive_field"]


# ------------------------------------------------------------------ misconceptions


def scatter_full(X, W, step):
    """Every input pixel stamps its scaled kernel ``step`` cells after its neighbour.

    Returns the uncropped sum of shape (N, C_out, step*(H - 1) + kH, step*(W - 1) + kW).
    """
    N, C_in, H, Wd = X.shape
    _, C_out, kH, kW = W.shape
    full = np.zeros((N, C_out, step * (H - 1) + kH, step * (Wd - 1) + kW))
    for i in range(H):
        for j in range(Wd):
            block = np.einsum("nc,coij->noij", X[:, :, i, j], W)
            full[:, :, step * i : step * i + kH, step * j : step * j + kW] += block
    return full


def finish(full, b, crop, front=0, back=0):
    """Add ``front``/``back`` zero rows and columns, crop ``crop`` from each side, add b.

    ``crop < 0`` pads instead (the padding sign inverted).
    """
    full = np.pad(full, ((0, 0), (0, 0), (front, back), (front, back)))
    if crop < 0:
        full = np.pad(full, ((0, 0), (0, 0), (-crop, -crop), (-crop, -crop)))
    elif crop > 0:
        full = full[:, :, crop : full.shape[2] - crop, crop : full.shape[3] - crop]
    return full + b[None, :, None, None]


def transposed_variants(X, W, b, stride, pad, output_padding=0):
    """{message: wrong output} for the transposed convolution's named mistakes."""
    a = output_padding
    k = W.shape[2]
    out = {}
    if stride > 1:
        out[
            "the stride was applied to the output (the kernel moved stride steps, as in an "
            "ordinary strided convolution) instead of spacing the input: insert stride - 1 "
            "zeros between the input pixels and move the kernel 1 step at a time"
        ] = stride_on_output(X, W, b, stride, pad)
    if X.shape[2] > 1 or X.shape[3] > 1:
        out[
            "stride zeros were inserted between neighbouring input pixels; insert stride - 1 "
            "(input pixel i lands at stride * i)"
        ] = finish(scatter_full(X, W, stride + 1), b, pad, back=a)
    if pad > 0:
        out[
            "the padding was added to the output instead of removed from it (the padding "
            "sign is inverted): o = s(i - 1) + k - 2p"
        ] = finish(scatter_full(X, W, stride), b, -pad, back=a)
    if a > 0:
        out["the output padding was ignored: it adds output_padding rows and columns"] = finish(
            scatter_full(X, W, stride), b, pad
        )
        if pad > 0:
            out[
                "the output padding was added at the top and left; it goes at the bottom and right"
            ] = finish(scatter_full(X, W, stride), b, pad, front=a)
    if k > 1:
        out["the kernel was rotated by 180 degrees: scattering stamps W as it is"] = finish(
            scatter_full(X, W[:, :, ::-1, ::-1], stride), b, pad, back=a
        )
    if W.shape[0] == W.shape[1] and W.shape[0] > 1:
        out[
            "the channel axes of W were swapped: W has shape (C_in, C_out, kH, kW), and "
            "input channel c stamps W[c]"
        ] = finish(scatter_full(X, W.transpose(1, 0, 2, 3), stride), b, pad, back=a)
    out["the bias b was not added"] = finish(scatter_full(X, W, stride), 0 * b, pad, back=a)
    return out


def stride_on_output(X, W, b, stride, pad):
    """An ordinary strided convolution of the input padded by k - 1 - pad, rotated kernel."""
    k = W.shape[2]
    border = W.shape[2] - 1 - pad
    if border < 0 or W.shape[3] != k:
        return np.zeros((0,))
    Xp = np.pad(X, ((0, 0), (0, 0), (border, border), (border, border)))
    # the forward pass of a convolution with weights (C_out, C_in, k, k) = rotated W
    K = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    Ho = (Xp.shape[2] - k) // stride + 1
    Wo = (Xp.shape[3] - k) // stride + 1
    if Ho < 1 or Wo < 1:
        return np.zeros((0,))
    out = np.zeros((X.shape[0], K.shape[0], Ho, Wo))
    for y in range(Ho):
        for x in range(Wo):
            window = Xp[:, :, y * stride : y * stride + k, x * stride : x * stride + k]
            out[:, :, y, x] = np.einsum("ncij,ocij->no", window, K)
    return out + b[None, :, None, None]


def transposed_backward_variants(dout, cache):
    """{part: {message: wrong gradient}} for the transposed convolution's backward pass."""
    X, W, b, stride, pad, a = cache
    dX, dW, db = transposed_conv2d_backward(dout, cache)
    N = X.shape[0]
    mis = {"dX": {}, "dW": {}, "db": {}}
    if W.shape[2] > 1 or W.shape[3] > 1:
        mis["dX"][
            "dX used the kernel rotated by 180 degrees: the backward pass of the transposed "
            "convolution is an ordinary convolution (cross-correlation) of dout with W"
        ] = transposed_conv2d_backward(dout, (X, W[:, :, ::-1, ::-1], b, stride, pad, a))[0]
        mis["dW"]["dW is not rotated: dW[c, o, u, v] pairs X[c] with dout at s*i + u"] = dW[
            :, :, ::-1, ::-1
        ]
    if stride > 1:
        msg = (
            "the stride was ignored in the backward pass: input (i, j) met dout at "
            "(stride*i + u, stride*j + v), so read dout's windows stride apart"
        )
        mis["dX"][msg], mis["dW"][msg] = windows_backward(dout, X, W, pad, step=1)
    if N > 1:
        mis["dW"]["dW is a sum over the batch: do not divide it by N"] = dW / N
        mis["db"]["db is a sum over the batch: do not divide it by N"] = db / N
    mis["db"]["db sums dout over N, H_out and W_out (axes (0, 2, 3)), not a mean"] = dout.mean(
        axis=(0, 2, 3)
    )
    mis["db"]["db sums over the batch too: axes (0, 2, 3)"] = dout.sum(axis=(2, 3))
    return {"dX": dX, "dW": dW, "db": db}, mis


def windows_backward(dout, X, W, pad, step):
    """(dX, dW) from dout's windows ``step`` apart (step 1: the stride forgotten)."""
    N, C_in, H, Wd = X.shape
    _, C_out, kH, kW = W.shape
    dfull = np.pad(dout, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dX = np.zeros(X.shape)
    dW = np.zeros(W.shape)
    for i in range(H):
        for j in range(Wd):
            block = dfull[:, :, step * i : step * i + kH, step * j : step * j + kW]
            if block.shape[2:] != (kH, kW):
                continue
            dX[:, :, i, j] = np.einsum("noij,coij->nc", block, W)
            dW += np.einsum("noij,nc->coij", block, X[:, :, i, j])
    return dX, dW


def dilated_variants(X, W, b, stride, pad, dilation):
    """{message: wrong output} for the dilated convolution's named mistakes."""
    out = {}
    gap = _maybe(dilated_conv2d, X, W, b, stride, pad, dilation + 1)
    if gap is not None and dilation > 1:
        out[
            f"a dilation gap of d instead of d - 1: with dilation {dilation} the taps are "
            f"{dilation} pixels apart ({dilation - 1} holes between them), so the kernel "
            "spans d(k - 1) + 1 pixels"
        ] = gap
    if dilation > 1:
        out["the dilation was ignored (an ordinary convolution)"] = dilated_conv2d(
            X, W, b, stride, pad, 1
        )[0]
        if stride == 1:
            out[
                "the dilation was used as a stride: it spaces the kernel's taps, not the windows"
            ] = dilated_conv2d(X, W, b, dilation, pad, 1)[0]
    if W.shape[2] > 1 or W.shape[3] > 1:
        out["the kernel was rotated: deep-learning convolutions are cross-correlations"] = (
            dilated_conv2d(X, W[:, :, ::-1, ::-1], b, stride, pad, dilation)[0]
        )
    out["the bias b was not added"] = dilated_conv2d(X, W, 0 * b, stride, pad, dilation)[0]
    return out


def _maybe(fn, *args):
    try:
        return fn(*args)[0]
    except ValueError:
        return None


def dilated_backward_variants(dout, cache):
    """{part: {message: wrong gradient}} for the dilated convolution's backward pass."""
    X, W, b, stride, pad, dilation = cache
    dX, dW, db = dilated_conv2d_backward(dout, cache)
    N = X.shape[0]
    mis = {"dX": {}, "dW": {}, "db": {}}
    mis["dX"][
        "the taps' blocks of dX overlap (they share input pixels): add each one with +=, "
        "do not overwrite"
    ] = overwriting_dilated_dX(dout, cache)
    if W.shape[2] > 1 or W.shape[3] > 1:
        mis["dX"]["dX used the kernel rotated by 180 degrees"] = dilated_conv2d_backward(
            dout, (X, W[:, :, ::-1, ::-1], b, stride, pad, dilation)
        )[0]
        mis["dW"]["dW is the cross-correlation of the input with dout: it is not rotated"] = dW[
            :, :, ::-1, ::-1
        ]
    if N > 1:
        mis["dW"]["dW is a sum over the batch: do not divide it by N"] = dW / N
        mis["db"]["db is a sum over the batch: do not divide it by N"] = db / N
    mis["db"]["db sums dout over N, H_out and W_out (axes (0, 2, 3)), not a mean"] = dout.mean(
        axis=(0, 2, 3)
    )
    return {"dX": dX, "dW": dW, "db": db}, mis


def overwriting_dilated_dX(dout, cache):
    """dX when each tap's block is assigned (=) instead of added (+=)."""
    X, W, _, stride, pad, dilation = cache
    N, C_in, H, Wd = X.shape
    _, _, kH, kW = W.shape
    Ho, Wo = dout.shape[2:]
    dXp = np.zeros((N, C_in, H + 2 * pad, Wd + 2 * pad))
    for u in range(kH):
        for v in range(kW):
            rows = slice(dilation * u, dilation * u + stride * (Ho - 1) + 1, stride)
            cols = slice(dilation * v, dilation * v + stride * (Wo - 1) + 1, stride)
            dXp[:, :, rows, cols] = np.einsum("nohw,oc->nchw", dout, W[:, :, u, v])
    return dXp[:, :, pad : pad + H, pad : pad + Wd]
