# %% [markdown]
# # Chapter 2 · Padding and stride (填充与步长)
#
# In chapter 1 every convolution shrank the image and moved the kernel one pixel at a time.
# Real convolution layers have two more knobs: **padding (填充)**, a border of extra values
# around the input, and **stride (步长)**, the step between two kernel positions. They also
# work on many channels at once and are computed as one big matrix product. This chapter
# covers all four.
#
# **You will learn to**
# - pad an image (and a batch of images) with a constant, on the right axes;
# - compute the output size $\lfloor (n + 2p - k)/s \rfloor + 1$ for any padding, stride
#   and dilation, and recognise impossible settings;
# - write a multi-channel convolution layer with bias, and count its parameters;
# - vectorize it with `im2col` and measure the speed-up.
#
# **How this notebook works.** Cells marked `# YOUR CODE HERE` are yours: replace
# `raise NotImplementedError()` with your code. The cell after each exercise runs the
# *visible tests*; when you submit, *hidden tests* also run on random inputs of many shapes
# (stride > 1, padding, non-square inputs and kernels, one channel, several images,
# kernels as large as the padded input). Each check is worth its own points, so partial
# work earns partial credit, and a failing check says what it expected and what it got.
# Later exercises may call your earlier functions (`pad2d`, `conv_output_size`,
# `im2col`); the hidden tests grade each exercise on its own, with correct versions of
# those earlier functions swapped in, so one mistake costs points only once. Run the
# cells from top to bottom.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from cnnkit.arithmetic_widget import (
    conv_arithmetic_explorer,
    conv_arithmetic_figure,
    conv_arithmetic_gallery,
)
from cnnkit.checks import call, expect_array, expect_equal, expect_raises, expect_shape
from cnnkit.plots import draw_matrix, show_worked_example

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 2.1 Padding
#
# Without padding, an $n \times n$ input and a $k \times k$ kernel give an output of
# $n - k + 1$ per side (chapter 1). Two things go wrong in a deep network:
#
# - **the image shrinks** at every layer: a 32×32 image through six 5×5 layers is
#   $32 \to 28 \to 24 \to 20 \to 16 \to 12 \to 8$;
# - **the border is under-used**: a corner pixel lies under the kernel once, a central
#   pixel $k^2$ times.
#
# **Padding** adds $p$ rows above and below and $p$ columns left and right, usually of
# zeros, before the kernel slides. The output then has $n + 2p - k + 1$ values per side.
#
# - **Valid convolution** (窄卷积): $p = 0$, output $n - k + 1$.
# - **Same convolution** (等宽卷积): choose $p$ so the output keeps the input size,
#   $n + 2p - k + 1 = n$, i.e. $p = (k-1)/2$. For odd kernels that is an integer:
#
# | kernel $k$ | 3 | 5 | 7 |
# |---|---|---|---|
# | same padding $p = (k-1)/2$ | 1 | 2 | 3 |
#
# For an even kernel $(k-1)/2$ is not an integer: the padding would have to differ
# between the two sides (one more reason why kernels are odd).
#
# > **A common mistake.** Some slides label the padding $p = (k-1)/2$ "valid". It is the
# > *same* padding: "valid" means no padding at all ($p = 0$), so that the kernel only visits
# > valid positions, inside the input.
#
# **Worked example.** Pad the 4×4 input of chapter 1 with one ring of zeros and
# cross-correlate it with the same 3×3 kernel: the 6×6 padded input gives a 4×4 output,
# the size of the input. The four central values are chapter 1's answer
# `[[15, 16], [6, 15]]`; the border values use the zeros. Top-left:
# $0\cdot2 + 0\cdot0 + 0\cdot1 + 0\cdot0 + 1\cdot1 + 2\cdot2 + 0\cdot1 + 0\cdot0 + 1\cdot2 = 7$.

# %%
X_example = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]])
K_example = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]])
Y_zero_padded = np.array([[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]])
Y_one_padded = np.array([[11, 15, 13, 9], [7, 15, 16, 15], [13, 6, 15, 11], [13, 13, 7, 9]])

fig = show_worked_example(np.pad(X_example, 1), K_example, Y_zero_padded)
fig.axes[0].set_title("input X, padded with zeros")
plt.show()

# %% [markdown]
# Padding does not have to use zeros. Pad the same input with **ones** instead and every
# border value grows by the kernel weights that now fall on a 1 instead of a 0:
#
# $$\begin{bmatrix}11&15&13&9\\7&15&16&15\\13&6&15&11\\13&13&7&9\end{bmatrix}
# \quad\text{instead of}\quad
# \begin{bmatrix}7&12&10&2\\4&15&16&10\\10&6&15&6\\8&10&4&3\end{bmatrix}.$$
#
# The central 2×2 block does not change: those windows never touch the border.
#
# NumPy has `np.pad`, and it has a trap. On a batch of shape $(N, C, H, W)$,
# `np.pad(X, 1)` pads **all four axes**: you get $(N+2, C+2, H+2, W+2)$, two invented
# images and two invented channels. Only $H$ and $W$ should be padded:
# `np.pad(X, ((0, 0), (0, 0), (1, 1), (1, 1)))`.
#
# ### Exercise 1 — padding
# Write `pad2d(X, pad, value=0)` that pads the **last two axes** of `X` (an image of shape
# $(H, W)$ or a batch of shape $(N, C, H, W)$) with `pad` rows above and below and `pad`
# columns left and right, all equal to `value`. Return a float array of shape
# $(H + 2p, W + 2p)$, or $(N, C, H + 2p, W + 2p)$.
#
# Write it **without `np.pad`** (the hidden tests check): make an array full of `value`
# and copy `X` into its middle with slicing. Raise a `ValueError` if `pad` is negative or
# not an integer, or if `X` is neither 2-D nor 4-D. (Later exercises may use `np.pad` or
# your `pad2d`, as you like.)


# %% nbgrader={"solution": true, "grade_id": "pad2d"}
def pad2d(X, pad, value=0):
    """Pad the last two axes (H, W) of X by `pad` on every side with `value`.

    Parameters
    ----------
    X : array_like of shape (H, W) or (N, C, H, W)
    pad : int
        Rows added above and below, and columns added left and right; >= 0.
    value : float
        The constant written into the border.

    Returns
    -------
    ndarray of shape (H + 2*pad, W + 2*pad) or (N, C, H + 2*pad, W + 2*pad)
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    if X.ndim not in (2, 4):
        raise ValueError(f"X must be 2-D (H, W) or 4-D (N, C, H, W), got shape {X.shape}")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"pad must be a non-negative integer, got {pad!r}")
    H, W = X.shape[-2:]
    out = np.full(X.shape[:-2] + (H + 2 * pad, W + 2 * pad), value, dtype=float)
    out[..., pad : pad + H, pad : pad + W] = X
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "pad2d_worked_example", "points": 1}
# Visible tests: the worked example padded with zeros, and a batch (only H and W grow).
expect_array(
    "pad2d(X_example, 1)",
    call(pad2d, (X_example, 1)),
    [
        [0, 0, 0, 0, 0, 0],
        [0, 1, 2, 3, 0, 0],
        [0, 0, 1, 2, 3, 0],
        [0, 3, 0, 1, 2, 0],
        [0, 2, 3, 0, 1, 0],
        [0, 0, 0, 0, 0, 0],
    ],
    misconceptions={
        "pad on both sides: pad rows above AND below, pad columns left AND right": np.zeros((5, 5)),
        "only the rows were padded; pad the columns too": np.zeros((6, 4)),
        "only the columns were padded; pad the rows too": np.zeros((4, 6)),
    },
)
expect_shape(
    "pad2d(np.ones((2, 3, 4, 5)), 1)",
    call(pad2d, (np.ones((2, 3, 4, 5)), 1)),
    (2, 3, 6, 7),
    misconceptions={
        "only H and W are padded; N (images) and C (channels) stay as they are": np.zeros(
            (4, 5, 6, 7)
        ),
        "pad the LAST two axes (H, W) of a batch (N, C, H, W)": np.zeros((4, 5, 4, 5)),
    },
)
print("pad2d: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "pad2d_random", "points": 1}
# Hidden tests (1 point): images and batches of several shapes, pads 0 to 3, other values.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.pad2d_random(pad2d)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "pad2d_edge_cases", "points": 1}
# Hidden tests (1 point): pad = 0, one image of one channel, float64 values, and bad input
# (negative or non-integer pad, a 3-D X) rejected with ValueError.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.pad2d_edge_cases(pad2d)
### END HIDDEN TESTS

# %% [markdown]
# ## 2.2 Stride, and the output size
#
# The **stride** $s$ is how far the kernel moves between two positions. With $s = 2$ the
# kernel visits every other position, and the output is about half as large in each
# direction: strides are a cheap way to downsample.
#
# Along one axis the padded input has $n + 2p$ cells and the kernel starts at positions
# $0, s, 2s, \dots$ as long as it fits, i.e. while the start is at most $n + 2p - k$.
# Counting those starts gives the **output size**
#
# $$m = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1 .$$
#
# The floor matters: when $s$ does not divide $n + 2p - k$, the last
# $(n + 2p - k) \bmod s$ rows and columns of the padded input are never under the kernel
# and are simply ignored.
#
# **Worked examples.**
#
# | input $n$ | kernel $k$ | padding $p$ | stride $s$ | output $m$ |
# |---|---|---|---|---|
# | 7 | 3 | 1 | 2 | $\lfloor (7 + 2 - 3)/2 \rfloor + 1 = 4$ |
# | 5 | 3 | 0 | 2 | $\lfloor (5 - 3)/2 \rfloor + 1 = 2$ |
# | 5 | 3 | 0 | 1 | $\lfloor (5 - 3)/1 \rfloor + 1 = 3$ |
# | 32 | 5 | 0 | 1 | $32 - 5 + 1 = 28$ |
# | $n$ | $k$ odd | $(k-1)/2$ | 1 | $n$ (same padding) |
#
# > **A common mistake.** Some lecture notes print the formula as
# > $\lfloor (n + 2p - k)/2 \rfloor + 1$, with a 2 where the stride belongs. It only
# > looks right for stride 2. With $n = 5$, $k = 3$, $p = 0$, $s = 1$ it gives 2, but the
# > kernel fits in 3 positions. The divisor is the stride $s$.
#
# **Dilation (空洞卷积 / 扩张卷积).** A dilated kernel leaves $d - 1$ cells between its
# taps, so a $k \times k$ kernel covers $d(k-1) + 1$ cells per side (a 3×3 kernel with
# $d = 2$ covers 5×5) with the same 9 weights. Replace $k$ by that *effective* size:
#
# $$m = \left\lfloor \frac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1 .$$
#
# **TensorFlow's `padding=` strings.** TensorFlow (and Keras) do not take $p$ but a word.
# `"VALID"` means no padding and gives $m = \lceil (n - k + 1)/s \rceil$, the same number as
# our formula with $p = 0$. `"SAME"` gives $m = \lceil n/s \rceil$: TensorFlow adds in total
# $\max((m - 1)s + k - n, 0)$ zeros and puts the odd one, if any, at the bottom/right. With
# $s = 1$ this is the same padding above; with $s > 1$ "same" only means "$n/s$, rounded up".
#
# ### Exercise 2 — output size
# Write `conv_output_size(n, k, pad=0, stride=1, dilation=1)` returning $m$ as an `int`.
# Raise a `ValueError` with a clear message when the setting is impossible:
# - an argument is not an integer (sizes come from array shapes; reject floats, even `3.0`);
# - `n`, `k`, `stride` or `dilation` is not positive, or `pad` is negative;
# - the (dilated) kernel is larger than the padded input, $d(k-1) + 1 > n + 2p$.
#
# Python ints and NumPy integers (such as `np.int64`) are both fine as input.


# %% nbgrader={"solution": true, "grade_id": "conv_output_size"}
def conv_output_size(n, k, pad=0, stride=1, dilation=1):
    """Output length along one axis of a convolution with padding, stride and dilation.

    Parameters
    ----------
    n : int
        Input length, >= 1.
    k : int
        Kernel length, >= 1.
    pad : int
        Padding on each side, >= 0.
    stride : int
        Step between kernel positions, >= 1.
    dilation : int
        Spacing between kernel taps, >= 1 (1 is an ordinary kernel).

    Returns
    -------
    int
        floor((n + 2*pad - dilation*(k - 1) - 1) / stride) + 1
    """
    ### BEGIN SOLUTION
    values = {"n": n, "k": k, "pad": pad, "stride": stride, "dilation": dilation}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        lowest = 0 if name == "pad" else 1
        if value < lowest:
            raise ValueError(f"{name} must be at least {lowest}, got {value}")
    span = dilation * (k - 1) + 1
    if span > n + 2 * pad:
        raise ValueError(
            f"the kernel (covering {span} cells) is larger than the padded input "
            f"(n + 2*pad = {n + 2 * pad})"
        )
    return int((n + 2 * pad - span) // stride + 1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_output_size_worked_examples", "points": 2}
# Visible tests: the worked examples, same padding, and a kernel that does not fit.
OFF_BY_ONE = "off by one: add 1 after the floor division"
for label, args, kwargs, want, wrong in [
    (
        "conv_output_size(7, 3, pad=1, stride=2)",
        (7, 3),
        {"pad": 1, "stride": 2},
        4,
        {OFF_BY_ONE: 3, "the stride was ignored: divide n + 2p - k by s": 7},
    ),
    (
        "conv_output_size(5, 3, stride=2)",
        (5, 3),
        {"stride": 2},
        2,
        {OFF_BY_ONE: 1, "the stride was ignored: divide n + 2p - k by s": 3},
    ),
    (
        "conv_output_size(5, 3, stride=1)",
        (5, 3),
        {"stride": 1},
        3,
        {"the divisor is the stride s (here 1), not 2; and add 1 after the division": 2},
    ),
    ("conv_output_size(32, 5)", (32, 5), {}, 28, {OFF_BY_ONE: 27}),
    (
        "conv_output_size(7, 3, dilation=2)",
        (7, 3),
        {"dilation": 2},
        3,
        {
            "with dilation 2 a 3-tap kernel spans d(k-1)+1 = 5 cells": 5,
            "the span of a dilated kernel is d(k-1)+1 = 5, not d*k = 6": 2,
        },
    ),
]:
    expect_equal(label, call(conv_output_size, args, kwargs), want, misconceptions=wrong)
for k, p in [(3, 1), (5, 2), (7, 3)]:
    expect_equal(
        f"conv_output_size(9, {k}, pad={p})",
        call(conv_output_size, (9, k), {"pad": p}),
        9,
        misconceptions={"padding goes on both sides: n + 2p, not n + p": 9 - p},
    )
expect_raises(conv_output_size, (3, 5), why="a kernel of 5 does not fit in 3 inputs")
expect_raises(conv_output_size, (7, 3), {"stride": 0}, why="the stride must be positive")
print("conv_output_size: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "conv_output_size_random", "points": 1}
# Hidden tests (1 point): many sizes, paddings, strides and dilations, including kernels
# exactly as large as the padded input.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.conv_output_size_random(conv_output_size)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv_output_size_errors", "points": 1}
# Hidden tests (1 point): every impossible setting listed above raises ValueError, and
# NumPy integers are accepted.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.conv_output_size_errors(conv_output_size)
### END HIDDEN TESTS

# %% [markdown]
# ## 2.3 Convolution arithmetic, in pictures
#
# The classic cases from Dumoulin & Visin's *A guide to convolution arithmetic for deep
# learning*. In each picture the blue cells are the input, the dashed grey cells the
# padding, and each number says how many kernel positions use that cell. Look for:
# the border cells used less often than the centre (no padding); full padding
# ($p = k - 1$), where every input cell, corners included, is used $k^2$ times; and the
# **hatched** cells that no kernel position ever uses, because the stride skips them
# (the floor in the formula). Hatched red cells are input that is lost.

# %%
gallery = conv_arithmetic_gallery(
    [
        "no padding, no strides",
        "half (same) padding",
        "full padding",
        "no padding, strides",
        "padding, strides (odd)",
        "strides, last row/column skipped",
    ],
    ncols=3,
    size=4.2,
)
gallery

# %% [markdown]
# ### Explorer
# Move the sliders or pick a preset. Untick *all kernel positions* to step through the
# positions one by one (or press ▶ to animate them): the orange cells are the kernel's
# taps, the dark green cell the output they produce. Your `conv_output_size` is called on
# every setting, and the line under the picture says if it disagrees with the picture.
#
# Things to try: find $p$ for a "same" output with $k = 5$; find a setting where the last
# two input rows are skipped; see how dilation 2 turns a 3×3 kernel into a 5×5 footprint;
# make the kernel larger than the padded input.

# %%
conv_arithmetic_explorer(output_size_fn=conv_output_size, preset="padding, strides (odd)")

# %% [markdown]
# The syllabus example, 7×7 input, $k = 3$, $p = 1$, $s = 2$, with its last kernel position
# highlighted: it reaches the bottom-right corner of the padded input exactly, so $m = 4$.

# %%
conv_arithmetic_figure(7, 3, p=1, s=2, position=15)

# %% [markdown]
# ## 2.4 Cross-correlation with stride and padding
#
# Putting it together, the output of a 2-D cross-correlation with padding $p$ and stride
# $s$ is (indices from 0, $X^{p}$ the padded input)
#
# $$Y_{yx} = \sum_{i=0}^{k_H-1} \sum_{j=0}^{k_W-1} K_{ij}\, X^{p}_{ys + i,\; xs + j},
# \qquad 0 \le y < H',\; 0 \le x < W',$$
#
# with $H' = \lfloor (H + 2p - k_H)/s \rfloor + 1$ and $W' = \lfloor (W + 2p - k_W)/s
# \rfloor + 1$. The window for output $(y, x)$ starts at row $ys$, column $xs$: that is
# where the stride enters. Height and width may differ, for the input and for the kernel.
#
# ### Exercise 3 — `corr2d` with stride and padding
# Write `corr2d(X, K, stride=1, pad=0)` for a 2-D `X` and `K`, zero padding, **with loops
# over the output positions** (NumPy inside the loop body is fine). Use your
# `conv_output_size` for $H'$ and $W'$, so impossible settings raise its `ValueError`.
# This exercise is about the loops: the hidden tests reject library convolutions and
# window tricks (`sliding_window_view`, `as_strided`); §2.6 vectorizes.


# %% nbgrader={"solution": true, "grade_id": "corr2d"}
def corr2d(X, K, stride=1, pad=0):
    """2-D cross-correlation with zero padding and a stride.

    Parameters
    ----------
    X : array_like of shape (H, W)
    K : array_like of shape (kH, kW)
    stride : int, >= 1
    pad : int, >= 0

    Returns
    -------
    ndarray of shape (H', W'), H' = conv_output_size(H, kH, pad, stride), W' likewise
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    K = np.asarray(K, dtype=float)
    kH, kW = K.shape
    Ho = conv_output_size(X.shape[0], kH, pad, stride)
    Wo = conv_output_size(X.shape[1], kW, pad, stride)
    Xp = pad2d(X, pad)
    Y = np.zeros((Ho, Wo))
    for y in range(Ho):
        for x in range(Wo):
            window = Xp[y * stride : y * stride + kH, x * stride : x * stride + kW]
            Y[y, x] = np.sum(window * K)
    return Y
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "corr2d_worked_example", "points": 2}
# Visible tests: the worked example with zero padding and with one-padding (padded here
# by np.pad, so this test does not depend on your pad2d), and the strided examples.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.alone(corr2d)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
expect_array(
    "corr2d(X_example, K_example, pad=1)",
    call(corr2d, (X_example, K_example), {"pad": 1}),
    Y_zero_padded,
    misconceptions={
        "the kernel was rotated by 180 degrees: that is convolution, not cross-correlation": [
            [3, 8, 14, 8],
            [2, 11, 12, 14],
            [10, 10, 11, 8],
            [2, 14, 8, 3],
        ],
        "should be 4x4: was the padding ignored? (or does conv_output_size divide by 2?)": (
            np.zeros((2, 2))
        ),
        "padding goes on both sides: the padded input is H + 2*pad high": np.zeros((3, 3)),
    },
)
expect_array(
    "corr2d(np.pad(X_example, 1, constant_values=1), K_example)",
    call(corr2d, (np.pad(X_example, 1, constant_values=1), K_example)),
    Y_one_padded,
)
X7 = np.arange(49).reshape(7, 7)
expect_array(
    "corr2d(X7, K_example, stride=2, pad=1)",
    call(corr2d, (X7, K_example), {"stride": 2, "pad": 1}),
    [[18, 36, 48, 18], [96, 146, 164, 70], [180, 272, 290, 126], [164, 244, 256, 128]],
    misconceptions={
        "the stride was ignored: the output should be 4x4, not 7x7": np.zeros((7, 7)),
        "window (y, x) starts at row y*stride, column x*stride, not at (y, x)": [
            [18, 30, 36, 42],
            [54, 74, 83, 92],
            [96, 137, 146, 155],
            [138, 200, 209, 218],
        ],
        "the output size is floor((n + 2p - k)/s) + 1 = 4 here (off by one)": np.zeros((3, 3)),
    },
)
X5 = np.arange(25).reshape(5, 5)
for stride, want in [
    (2, [[56, 74], [146, 164]]),
    (1, [[56, 65, 74], [101, 110, 119], [146, 155, 164]]),
]:
    expect_array(
        f"corr2d(X5, K_example, stride={stride})",
        call(corr2d, (X5, K_example), {"stride": stride}),
        want,
    )
print("corr2d: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "corr2d_random", "points": 2}
# Hidden tests (2 points): random inputs and kernels, square and not, strides 1 to 3,
# padding 0 to 2, integer and float64 values.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.corr2d_random(corr2d)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "corr2d_edge_cases", "points": 1}
# Hidden tests (1 point): a kernel as large as the padded input (1x1 output), 1x1
# kernels with a stride, a stride larger than the kernel, and kernels that do not fit.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.corr2d_edge_cases(corr2d)
### END HIDDEN TESTS

# %% [markdown]
# ## 2.5 Many channels (多通道)
#
# A colour image has three channels (R, G, B); the output of a convolution layer has one
# channel per filter, and the next layer takes all of them as input. So a convolution
# layer works on a batch
#
# - input $X$ of shape $(N, C_{in}, H, W)$: $N$ images of $C_{in}$ channels each,
# - weights $W$ of shape $(C_{out}, C_{in}, k_H, k_W)$: $C_{out}$ **filters**, each one a
#   stack of $C_{in}$ 2-D kernels, one per input channel,
# - bias (偏置) $b$ of shape $(C_{out},)$: **one number per filter**,
#
# and computes
#
# $$Y_{n,o,y,x} = b_o + \sum_{c=0}^{C_{in}-1} \sum_{i=0}^{k_H-1} \sum_{j=0}^{k_W-1}
# W_{o,c,i,j}\; X^{p}_{n,\,c,\; ys+i,\; xs+j},$$
#
# an output $Y$ of shape $(N, C_{out}, H', W')$. Each filter spans **all** input channels
# and produces **one** output channel, a feature map (特征图): the number of output
# channels equals the number of filters. The bias is added once per output value, not
# once per input channel.
#
# **Worked example.** One image with two channels: channel 0 is `X_example`, channel 1 is
# all ones. Two filters, padding 1, stride 1, bias $b = (1, -5)$:
# - filter 0 has `K_example` on channel 0 and zeros on channel 1, so output channel 0 is
#   the zero-padded worked example plus 1;
# - filter 1 has `K_example` on channel 0 and a 3×3 kernel of ones on channel 1. On the
#   channel of ones, with zero padding, that kernel counts the real (unpadded) cells under
#   it: 4 in the corners, 6 on the edges, 9 inside. Output channel 1 is the worked
#   example plus those counts minus 5.

# %%
X_demo = np.stack([X_example, np.ones((4, 4))])[None].astype(float)  # (1, 2, 4, 4)
W_demo = np.zeros((2, 2, 3, 3))
W_demo[0, 0] = K_example
W_demo[1, 0] = K_example
W_demo[1, 1] = 1.0
b_demo = np.array([1.0, -5.0])
Y_demo = np.array(
    [
        [
            [[8, 13, 11, 3], [5, 16, 17, 11], [11, 7, 16, 7], [9, 11, 5, 4]],
            [[6, 13, 11, 1], [5, 19, 20, 11], [11, 10, 19, 7], [7, 11, 5, 2]],
        ]
    ]
)
print("X_demo", X_demo.shape, " W_demo", W_demo.shape, " b_demo", b_demo.shape)
print("expected output", Y_demo.shape)

# %% [markdown]
# ### Exercise 4 — a convolution layer, with loops
# Write `conv_forward_naive(X, W, b, stride=1, pad=0)` computing the formula above with
# loops over the output positions (over images and filters too, if you like; NumPy on
# the window inside the loop is fine, e.g. one `np.sum` over $C_{in}, k_H, k_W$). You may
# call your `pad2d` and `conv_output_size`. Raise a `ValueError` when `W`'s $C_{in}$ does
# not match the channels of `X`, or when `b` does not have shape $(C_{out},)$. As for
# `corr2d`, no library convolutions and no window tricks: this loop version is the
# yardstick for the vectorized one in §2.6.


# %% nbgrader={"solution": true, "grade_id": "conv_forward_naive"}
def conv_forward_naive(X, W, b, stride=1, pad=0):
    """Forward pass of a convolution layer (cross-correlation), with loops.

    Parameters
    ----------
    X : array_like of shape (N, C, H, W)
    W : array_like of shape (C_out, C, kH, kW)
    b : array_like of shape (C_out,)
    stride : int, >= 1
    pad : int, >= 0 (zero padding)

    Returns
    -------
    ndarray of shape (N, C_out, H', W')
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    N, C, H, Wd = X.shape
    C_out, C_in, kH, kW = W.shape
    if C_in != C:
        raise ValueError(f"W has C_in = {C_in} channels but X has C = {C}")
    if b.shape != (C_out,):
        raise ValueError(f"b must have shape ({C_out},), got {b.shape}")
    Ho = conv_output_size(H, kH, pad, stride)
    Wo = conv_output_size(Wd, kW, pad, stride)
    Xp = pad2d(X, pad)
    out = np.zeros((N, C_out, Ho, Wo))
    for n in range(N):
        for o in range(C_out):
            for y in range(Ho):
                for x in range(Wo):
                    window = Xp[n, :, y * stride : y * stride + kH, x * stride : x * stride + kW]
                    out[n, o, y, x] = np.sum(window * W[o]) + b[o]
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_forward_naive_shape", "points": 1}
# Visible test: a 32x32 RGB image through six 5x5 filters gives six 28x28 feature maps.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.alone(conv_forward_naive)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
rng = np.random.default_rng(0)
expect_shape(
    "conv_forward_naive(X of shape (1, 3, 32, 32), W of shape (6, 3, 5, 5), b)",
    call(
        conv_forward_naive,
        (rng.standard_normal((1, 3, 32, 32)), rng.standard_normal((6, 3, 5, 5)), np.zeros(6)),
    ),
    (1, 6, 28, 28),
    misconceptions={
        "the output layout is (N, C_out, H', W'), not (N, H', W', C_out)": np.zeros((1, 28, 28, 6))
    },
)
print("conv_forward_naive: visible shape test passed")

# %% nbgrader={"grade": true, "grade_id": "conv_forward_naive_worked_example", "points": 1}
# Visible test: the two-channel worked example.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.alone(conv_forward_naive)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
expect_array(
    "conv_forward_naive(X_demo, W_demo, b_demo, pad=1)",
    call(conv_forward_naive, (X_demo, W_demo, b_demo), {"pad": 1}),
    Y_demo,
    misconceptions={
        "the bias is missing: add b[o] to every value of output channel o": Y_demo
        - b_demo[None, :, None, None],
        "the bias was added once per input channel; add it once per output value": Y_demo
        + b_demo[None, :, None, None],
        "only input channel 0 was used: each filter sums over ALL input channels": np.array(
            [
                [
                    Y_demo[0, 0],
                    Y_demo[0, 1] - [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]],
                ]
            ]
        ),
        "the kernel was rotated by 180 degrees: that is convolution, not cross-correlation": [
            [
                [[4, 9, 15, 9], [3, 12, 13, 15], [11, 11, 12, 9], [3, 15, 9, 4]],
                [[2, 9, 15, 7], [3, 15, 16, 15], [11, 14, 15, 9], [1, 15, 9, 2]],
            ]
        ],
    },
)
print("conv_forward_naive: visible worked example passed")

# %% nbgrader={"grade": true, "grade_id": "conv_forward_naive_random", "points": 2}
# Hidden tests (2 points): random batches with N, C_in, C_out from 1 to 4, strides 1 to 3,
# padding 0 to 2, non-square inputs and kernels, integer and float64 values.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.conv_forward_naive_random(conv_forward_naive)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv_forward_naive_edge_cases", "points": 1}
# Hidden tests (1 point): kernels as large as the padded input, 1x1 convolutions, one
# channel, and mismatched shapes rejected with ValueError.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.conv_forward_naive_edge_cases(conv_forward_naive)
### END HIDDEN TESTS

# %% [markdown]
# ## 2.6 How many parameters? (参数量)
#
# A filter has $C_{in} \cdot k_H \cdot k_W$ weights and one bias, and there are
# $C_{out}$ filters:
#
# $$\#\text{parameters} = C_{in} \cdot C_{out} \cdot k_H \cdot k_W + C_{out}.$$
#
# **Worked example.** A 32×32×3 image through six 5×5 filters (no padding, stride 1)
# gives a 28×28×6 output with $3 \cdot 6 \cdot 5 \cdot 5 + 6 = 456$ parameters, whatever
# the size of the image. A fully connected layer between the same two sizes would connect
# $32 \cdot 32 \cdot 3 = 3072$ inputs to $28 \cdot 28 \cdot 6 = 4704$ outputs:
# $3072 \cdot 4704 = 14{,}450{,}688 \approx 14.5$ million weights (plus 4,704 biases),
# about 32,000 times more.
#
# > **A common mistake.** Some notes count $5 \cdot 5 \cdot 6 + 6 = 156$ parameters for this
# > layer, as if each filter were 5×5×1. Each filter spans all three input channels, so it
# > has $5 \cdot 5 \cdot 3 = 75$ weights: $75 \cdot 6 + 6 = 456$. (156 is right for LeNet's
# > C1, whose input has one channel.)
#
# ### Exercise 5 — parameter count
# Write `conv_param_count(C_in, C_out, k, bias=True)` where `k` is an `int` (a square
# kernel) or a pair `(kH, kW)`. With `bias=False` leave the biases out. Raise a
# `ValueError` for sizes that are not positive integers.


# %% nbgrader={"solution": true, "grade_id": "conv_param_count"}
def conv_param_count(C_in, C_out, k, bias=True):
    """Number of learnable parameters of a convolution layer.

    Parameters
    ----------
    C_in, C_out : int
        Input and output channels (C_out = number of filters).
    k : int or (int, int)
        Kernel size, k x k or (kH, kW).
    bias : bool
        Whether the layer has one bias per filter.

    Returns
    -------
    int
    """
    ### BEGIN SOLUTION
    kH, kW = k if isinstance(k, (tuple, list)) else (k, k)
    for name, value in (("C_in", C_in), ("C_out", C_out), ("kH", kH), ("kW", kW)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(C_in * C_out * kH * kW + (C_out if bias else 0))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_param_count_worked_example", "points": 1}
# Visible tests: six 5x5 filters on 3 channels.
expect_equal(
    "conv_param_count(3, 6, 5)",
    call(conv_param_count, (3, 6, 5)),
    456,
    misconceptions={
        "the biases are missing: one bias per filter, C_out in all": 450,
        "one bias per filter (C_out), not one per input channel and filter": 450 + 18,
        "each filter spans all C_in input channels: C_in * C_out * k * k weights": 156,
    },
)
expect_equal("conv_param_count(3, 6, 5, bias=False)", call(conv_param_count, (3, 6, 5, False)), 450)
print("conv_param_count: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "conv_param_count_hidden", "points": 1}
# Hidden tests (1 point): other layers, non-square kernels, bias=False, bad sizes.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.conv_param_count_hidden(conv_param_count)
### END HIDDEN TESTS

# %% [markdown]
# ## 2.7 Vectorizing: im2col
#
# The loop version makes $N \cdot C_{out} \cdot H' \cdot W'$ small NumPy calls, and
# Python's per-call overhead dominates. **im2col** ("image to columns") rearranges the
# input once so that the whole layer becomes **one matrix product**:
#
# 1. cut out every window (every receptive field, 感受野) of shape $(C, k_H, k_W)$ and
#    flatten it into one row of length $C k_H k_W$, in the same order as
#    `W[o].reshape(-1)`;
# 2. stack the rows of all windows of all images: a matrix `cols` of shape
#    $(N H' W',\; C k_H k_W)$;
# 3. `cols @ W.reshape(C_out, -1).T` multiplies every window by every filter at once:
#    shape $(N H' W', C_{out})$. Add `b`, reshape to $(N, H', W', C_{out})$ and move the
#    channel axis to get $(N, C_{out}, H', W')$.
#
# **The layout (exactly what the tests check).** With $X^{p}$ the zero-padded input and
# stride $s$:
#
# $$\texttt{cols}[\,n H' W' + y W' + x,\;\; c\, k_H k_W + i\, k_W + j\,]
# = X^{p}[n, c, ys + i, xs + j].$$
#
# So rows run over images, then output rows, then output columns (like
# `out.reshape(N, H', W')` in C order); columns run over channels, then kernel rows,
# then kernel columns (like `W[o].reshape(-1)`).
#
# **Example.** One image, two 3×3 channels holding 0…8 and 9…17, a 2×2 window, stride 1:
# four windows, so `cols` is 4×8. Row 0 is the top-left window: `[0, 1, 3, 4]` from
# channel 0, then `[9, 10, 12, 13]` from channel 1.

# %%
X_small = np.arange(18.0).reshape(1, 2, 3, 3)
cols_small = np.array(
    [
        [0, 1, 3, 4, 9, 10, 12, 13],
        [1, 2, 4, 5, 10, 11, 13, 14],
        [3, 4, 6, 7, 12, 13, 15, 16],
        [4, 5, 7, 8, 13, 14, 16, 17],
    ]
)
fig, axes = plt.subplots(1, 3, figsize=(11, 2.8), gridspec_kw={"width_ratios": [3, 3, 8]})
draw_matrix(axes[0], X_small[0, 0], "channel 0", highlight=(0, 0, 2, 2))
draw_matrix(axes[1], X_small[0, 1], "channel 1", highlight=(0, 0, 2, 2), cmap="Oranges")
draw_matrix(axes[2], cols_small, "cols: one row per window", highlight=(0, 0, 1, 8), cmap="Greens")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Exercise 6 — im2col
# Write `im2col(X, kH, kW, stride=1, pad=0)` returning `cols` in exactly the layout
# above, for `X` of shape $(N, C, H, W)$. Any NumPy is allowed, `sliding_window_view`
# included; a good loop-light approach loops over the $k_H k_W$ kernel offsets and
# copies a strided slice of all images and channels at once. Impossible settings raise
# `ValueError` (your `conv_output_size` does that).


# %% nbgrader={"solution": true, "grade_id": "im2col"}
def im2col(X, kH, kW, stride=1, pad=0):
    """Unfold every kH x kW window of X (zero-padded by `pad`) into one row.

    Parameters
    ----------
    X : array_like of shape (N, C, H, W)
    kH, kW : int
        Window height and width.
    stride : int, >= 1
    pad : int, >= 0

    Returns
    -------
    cols : ndarray of shape (N*H'*W', C*kH*kW)
        cols[n*H'*W' + y*W' + x, c*kH*kW + i*kW + j] = Xp[n, c, y*stride + i, x*stride + j]
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    N, C, H, W = X.shape
    Ho = conv_output_size(H, kH, pad, stride)
    Wo = conv_output_size(W, kW, pad, stride)
    Xp = pad2d(X, pad)
    cols = np.empty((N, Ho, Wo, C, kH, kW))
    for i in range(kH):
        for j in range(kW):
            patch = Xp[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride]
            cols[:, :, :, :, i, j] = patch.transpose(0, 2, 3, 1)
    return cols.reshape(N * Ho * Wo, C * kH * kW)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "im2col_shape", "points": 1}
# Visible test: shape for 2 images of 3 channels, 5x5, a 3x3 window, stride 2, padding 1.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.alone(im2col)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
expect_shape(
    "im2col(np.ones((2, 3, 5, 5)), 3, 3, stride=2, pad=1)",
    call(im2col, (np.ones((2, 3, 5, 5)), 3, 3), {"stride": 2, "pad": 1}),
    (18, 27),
    misconceptions={
        "one ROW per window, (N*H'*W', C*kH*kW); this is the transpose": np.zeros((27, 18)),
        "the stride was ignored: with stride 2 there are 3x3 windows per image": np.zeros((50, 27)),
        "the padding was ignored: 5x5 padded by 1 is 7x7, which gives 3x3 windows": np.zeros(
            (8, 27)
        ),
    },
)
print("im2col: visible shape test passed")

# %% nbgrader={"grade": true, "grade_id": "im2col_worked_example", "points": 1}
# Visible test: the example above.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.alone(im2col)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
expect_array(
    "im2col(X_small, 2, 2)",
    call(im2col, (X_small, 2, 2)),
    cols_small,
    misconceptions={
        "one ROW per window, (N*H'*W', C*kH*kW); this is the transpose": cols_small.T,
        "each row is ordered (c, i, j), like W[o].reshape(-1); this is (i, j, c)": [
            [0, 9, 1, 10, 3, 12, 4, 13],
            [1, 10, 2, 11, 4, 13, 5, 14],
            [3, 12, 4, 13, 6, 15, 7, 16],
            [4, 13, 5, 14, 7, 16, 8, 17],
        ],
    },
)
print("im2col: visible worked example passed")

# %% nbgrader={"grade": true, "grade_id": "im2col_random", "points": 1}
# Hidden tests (1 point): the exact layout on random batches: several images and channels,
# strides, padding, non-square inputs and windows.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.im2col_random(im2col)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "im2col_edge_cases", "points": 1}
# Hidden tests (1 point): a window as large as the padded input, 1x1 windows, one image
# of one channel, and windows that do not fit.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.im2col_edge_cases(im2col)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7 — the convolution layer as one matrix product
# Write `conv_forward_im2col(X, W, b, stride=1, pad=0)`: the same layer as
# `conv_forward_naive`, built on **your** `im2col` (the hidden tests check that it calls
# it) and one matrix product, with no Python loop over positions. Check the shapes of `W`
# and `b` as before.


# %% nbgrader={"solution": true, "grade_id": "conv_forward_im2col"}
def conv_forward_im2col(X, W, b, stride=1, pad=0):
    """Forward pass of a convolution layer as im2col and one matrix product.

    Parameters
    ----------
    X : array_like of shape (N, C, H, W)
    W : array_like of shape (C_out, C, kH, kW)
    b : array_like of shape (C_out,)
    stride : int, >= 1
    pad : int, >= 0 (zero padding)

    Returns
    -------
    ndarray of shape (N, C_out, H', W')
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    N, C, H, Wd = X.shape
    C_out, C_in, kH, kW = W.shape
    if C_in != C:
        raise ValueError(f"W has C_in = {C_in} channels but X has C = {C}")
    if b.shape != (C_out,):
        raise ValueError(f"b must have shape ({C_out},), got {b.shape}")
    Ho = conv_output_size(H, kH, pad, stride)
    Wo = conv_output_size(Wd, kW, pad, stride)
    cols = im2col(X, kH, kW, stride, pad)  # (N*Ho*Wo, C*kH*kW)
    out = cols @ W.reshape(C_out, -1).T + b  # (N*Ho*Wo, C_out)
    return out.reshape(N, Ho, Wo, C_out).transpose(0, 3, 1, 2)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_forward_im2col_worked_example", "points": 1}
# Visible tests: the two-channel worked example, and the 32x32x3 shape example.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.alone(conv_forward_im2col)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
expect_array(
    "conv_forward_im2col(X_demo, W_demo, b_demo, pad=1)",
    call(conv_forward_im2col, (X_demo, W_demo, b_demo), {"pad": 1}),
    Y_demo,
    misconceptions={
        "the bias is missing: add b[o] to every value of output channel o": Y_demo
        - b_demo[None, :, None, None],
        "reshape the product to (N, H', W', C_out) first, then move C_out to axis 1": (
            Y_demo.transpose(0, 2, 3, 1).reshape(1, 2, 4, 4)
        ),
    },
)
expect_shape(
    "conv_forward_im2col(X of shape (1, 3, 32, 32), W of shape (6, 3, 5, 5), b)",
    call(conv_forward_im2col, (np.ones((1, 3, 32, 32)), np.ones((6, 3, 5, 5)), np.zeros(6))),
    (1, 6, 28, 28),
    misconceptions={
        "the output layout is (N, C_out, H', W'), not (N, H', W', C_out)": np.zeros((1, 28, 28, 6))
    },
)
print("conv_forward_im2col: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "conv_forward_im2col_random", "points": 2}
# Hidden tests (2 points): random batches as for conv_forward_naive, compared with the
# reference; the function must call your im2col.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.conv_forward_im2col_random(conv_forward_im2col)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv_forward_im2col_edge_cases", "points": 1}
# Hidden tests (1 point): kernels as large as the padded input, 1x1 convolutions, one
# channel, and mismatched shapes rejected with ValueError.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.conv_forward_im2col_edge_cases(conv_forward_im2col)
### END HIDDEN TESTS

# %% [markdown]
# ### How much faster?
# Both versions on the same small batch (8 images of 3×16×16, eight 3×3 filters,
# padding 1): first check that they agree, then time them. The numbers are measured now,
# on this machine; the loop version's time grows with every image, filter and pixel,
# while the matrix product uses optimized BLAS code.


# %%
def best_time(func, *args, repeat=3, **kwargs):
    """Shortest of `repeat` wall-clock runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


rng = np.random.default_rng(2)
X_bench = rng.standard_normal((8, 3, 16, 16))
W_bench = rng.standard_normal((8, 3, 3, 3))
b_bench = rng.standard_normal(8)
start = time.perf_counter()
out_loops = conv_forward_naive(X_bench, W_bench, b_bench, pad=1)
t_loops = time.perf_counter() - start  # one run is enough: it is slow and steady
out_im2col = conv_forward_im2col(X_bench, W_bench, b_bench, pad=1)
print("loop and im2col versions agree:", np.allclose(out_loops, out_im2col))
t_im2col = best_time(conv_forward_im2col, X_bench, W_bench, b_bench, pad=1, repeat=5)
print(f"loops:  {t_loops * 1e3:8.2f} ms")
print(f"im2col: {t_im2col * 1e3:8.2f} ms")
print(f"speed-up measured in this run: {t_loops / t_im2col:.0f}x")

# %% [markdown]
# The price of im2col is memory: every input value is copied into up to $k_H k_W$ rows
# (9 for a 3×3 kernel at stride 1). For the large layers of modern networks, libraries
# use other tricks (direct convolution kernels, FFT or Winograd transforms), but im2col
# plus a matrix product is still the textbook way, and what `cnnkit` uses in later
# chapters.

# %% [markdown]
# ## Check your understanding
#
# Set each variable below, then run the cell. The answers are checked when you submit.
#
# 1. `q_output_size`: a 32×32 input, a 5×5 kernel, padding 2 and stride 2. What is the
#    output size $m$ (an `int`)?
# 2. `q_tf_same`: TensorFlow with `padding="SAME"`, $n = 10$, $k = 3$, $s = 3$: what is
#    $m$?
# 3. `q_tf_valid`: the same with `padding="VALID"`: what is $m$?
# 4. `q_params`: a convolution layer with sixteen 3×3 filters on an 8-channel input,
#    with biases. How many parameters?
# 5. `q_skipped`: a 6×6 input, a 3×3 kernel, no padding, stride 2. How many input
#    **columns** are never under the kernel?

# %% nbgrader={"solution": true, "grade_id": "understanding_answers"}
q_output_size = None
q_tf_same = None
q_tf_valid = None
q_params = None
q_skipped = None
### BEGIN SOLUTION
q_output_size = 16
q_tf_same = 4
q_tf_valid = 3
q_params = 1168
q_skipped = 1
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "understanding", "points": 2}
# Hidden test (2 points): your answers.
answers = {
    "q_output_size": q_output_size,
    "q_tf_same": q_tf_same,
    "q_tf_valid": q_tf_valid,
    "q_params": q_params,
    "q_skipped": q_skipped,
}
if any(value is None for value in answers.values()):
    raise NotImplementedError("answer all five questions above")
### BEGIN HIDDEN TESTS
from autograder.hidden import ch02 as hidden

hidden.understanding(answers)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - Padding adds $p$ rows/columns on **each** side of $H$ and $W$ only (never $N$ or $C$);
#   same padding for an odd kernel is $p = (k-1)/2$: 1, 2, 3 for $k$ = 3, 5, 7.
# - The output size is $m = \lfloor (n + 2p - k)/s \rfloor + 1$, with the stride, not 2,
#   as divisor; with dilation replace $k$ by $d(k-1)+1$. TensorFlow's "SAME" gives
#   $\lceil n/s \rceil$, "VALID" $\lceil (n-k+1)/s \rceil$.
# - A convolution layer maps $(N, C_{in}, H, W)$ to $(N, C_{out}, H', W')$ with $C_{out}$
#   filters of shape $(C_{in}, k_H, k_W)$ and one bias per filter:
#   $C_{in} C_{out} k_H k_W + C_{out}$ parameters (456 for six 5×5 filters on RGB, against
#   14.5 million for a fully connected layer).
# - im2col turns the layer into one matrix product, many times faster than loops.
#
# **Next:** chapter 3, pooling (池化 / 汇聚).


# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl-S), then run the cell below. It checks the whole chapter the way
# grading does and lists every check with its points and, where one fails, its message
# (the mistake it recognised, if any). With the course repository (self-study) every
# check runs, hidden ones included, in the grading sandbox, and the functions whose
# checks all pass go into your own package `work/mine/`, which later chapters can use;
# in a class's student release, the visible checks run. No answer is shown either way.
# The same from a terminal: `./course.sh check 02`.

# %%
from cnnkit.selfcheck import check_my_work

check_my_work("02")
