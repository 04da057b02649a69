# %% [markdown]
# # Chapter 6 · 1×1 convolutions and efficient designs
#
# VGG-16 (2014) has 138 million parameters and needs 15.5 billion multiplications per
# image. ResNet-34 (2015) is twice as deep, has 22 million parameters and needs 3.6 billion.
# The savings come from a handful of cheap building blocks that split the work up
# differently: the **1×1 convolution (1×1 卷积)**, the
# **bottleneck (瓶颈)**, the **depthwise separable convolution (深度可分离卷积)**, the
# **Inception module** and the **residual connection (残差连接)**. In this chapter you
# implement each of them in NumPy and count what it costs.
#
# **You will learn to**
# - write a 1×1 convolution as one matrix product over the channels, and say what it is for;
# - count the parameters and multiplications of any convolution layer, and see why a 1×1
#   bottleneck cuts the cost of the 3×3 convolution after it (and what it costs in memory);
# - implement a depthwise separable convolution and compare its cost with a standard one;
# - work out the output shape and cost of an Inception module;
# - implement the forward pass of a ResNet bottleneck block;
# - read layer tables of LeNet-5, AlexNet, VGG-16 and ResNet-34 and check their
#   published sizes.
#
# **How this notebook works.** Cells marked `# YOUR CODE HERE` are yours: replace
# `raise NotImplementedError()` with your code. The cell after each exercise runs the
# *visible tests*; when you submit, *hidden tests* also run on random inputs of many shapes.
# Each check is worth its own points, so partial work earns partial credit, and a failing
# check tells you what it expected and what it got. Run the cells from top to bottom.
#
# **Shapes.** As in every chapter, a batch of images `X` has shape `(N, C, H, W)` and
# convolution weights `W` have shape `(C_out, C_in, kH, kW)` with biases `b` of shape
# `(C_out,)`. When we count costs we count **per image**, so a single image's shape is
# written `(C, H, W)`. Lecture notes often write sizes the other way round, as
# $H \times W \times C$: their "100×100×256 input" is our `(256, 100, 100)`.

# %%
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from cnnkit.checks import call, expect_array, expect_equal, expect_raises
from cnnkit.plots import draw_matrix

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 6.1 The 1×1 convolution
#
# A convolution with a 1×1 kernel looks at one pixel at a time, but at **all** of its
# channels. With weights `W` of shape `(C_out, C_in, 1, 1)` and biases `b`:
#
# $$Y_{n,o,i,j} = b_o + \sum_{c=1}^{C_\text{in}} W_{o,c,1,1}\, X_{n,c,i,j}.$$
#
# Fix an image $n$ and a pixel $(i, j)$ and collect its channels into a vector
# $x \in \mathbb{R}^{C_\text{in}}$. The output at that pixel is $y = Mx + b$, with the
# $C_\text{out} \times C_\text{in}$ matrix $M = W_{:,:,1,1}$: **a 1×1 convolution is a fully
# connected layer from channels to channels, applied at every pixel with the same
# weights.** (The "Network in Network" paper of Lin et al., 2014, which made 1×1
# convolutions popular, slides a small fully connected network over the image in exactly
# this way.) It does three things:
#
# 1. **It changes the number of channels**, down (256 → 64, to make what follows cheaper)
#    or up (64 → 256), without touching $H$ and $W$.
# 2. **It mixes information across channels.** A 3×3 convolution mixes neighbouring pixels
#    *and* channels; a 1×1 convolution mixes channels only.
# 3. **Followed by a nonlinearity, it adds depth**: one more layer of "linear map + ReLU"
#    at every pixel, at a small cost, without enlarging the receptive field (感受野).
#
# > **A common mistake.** "A 1×1 convolution just multiplies the image by a number, so it
# > does nothing useful." That is only true for a single input channel. With $C_\text{in}$
# > channels every output channel is a learned weighted sum of all of them.
#
# **As a matrix product.** Move the channel axis last, so that every row is one pixel:
# $X$ of shape `(N, C_in, H, W)` becomes `(N, H, W, C_in)` and then `(N·H·W, C_in)`.
# One matrix product with $M^\top$ (shape `(C_in, C_out)`) maps every pixel at once; add
# $b$, reshape to `(N, H, W, C_out)` and move the channels back to axis 1. `np.einsum`
# does the same in one line: `np.einsum("oc,nchw->nohw", M, X)` sums over `c` only.
#
# **Worked example.** A 2×2 image with three channels R, G, B and two filters:
#
# $$R = \begin{bmatrix}1&2\\3&4\end{bmatrix},\;
# G = \begin{bmatrix}0&1\\1&0\end{bmatrix},\;
# B = \begin{bmatrix}2&0\\0&2\end{bmatrix},\qquad
# M = \begin{bmatrix}1&0&-1\\0.5&0.5&0\end{bmatrix},\; b = \begin{bmatrix}0\\1\end{bmatrix}.$$
#
# The first output channel is $R - B$, the second $(R + G)/2 + 1$. At the top-left pixel
# $x = (1, 0, 2)$, so $y = (1 - 2,\; 0.5 + 0 + 1) = (-1, 1.5)$. In full:
#
# $$Y_0 = \begin{bmatrix}-1&2\\3&2\end{bmatrix},\qquad
# Y_1 = \begin{bmatrix}1.5&2.5\\3&3\end{bmatrix}.$$
#
# ### Exercise 1 — the 1×1 convolution
# Write `conv1x1(X, W, b)` with **one matrix product over the channels** (`einsum`, or
# transpose + reshape + `@`); no loops over pixels, and no library convolution. Raise a
# `ValueError` with a clear message if `X` is not 4-D, if `W` is not of shape
# `(C_out, C_in, 1, 1)` (for instance a 3×3 kernel), if `W`'s `C_in` differs from the
# channels of `X`, or if `b` does not have shape `(C_out,)`.


# %% nbgrader={"solution": true, "grade_id": "conv1x1"}
def conv1x1(X, W, b):
    """1×1 convolution: the same linear map across channels at every pixel.

    Parameters
    ----------
    X : ndarray of shape (N, C_in, H, W)
    W : ndarray of shape (C_out, C_in, 1, 1)
    b : ndarray of shape (C_out,)

    Returns
    -------
    ndarray of shape (N, C_out, H, W)
        ``out[n, o, i, j] = b[o] + sum_c W[o, c, 0, 0] * X[n, c, i, j]``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    if X.ndim != 4:
        raise ValueError(f"X must be 4-D (N, C_in, H, W), got shape {X.shape}")
    if W.ndim != 4 or W.shape[2:] != (1, 1):
        raise ValueError(f"W must have shape (C_out, C_in, 1, 1), got {W.shape}")
    C_out, C_in = W.shape[:2]
    if X.shape[1] != C_in:
        raise ValueError(f"W expects C_in={C_in} channels but X has {X.shape[1]}")
    if b.shape != (C_out,):
        raise ValueError(f"b must have shape ({C_out},), got {b.shape}")
    N, _, H, Wd = X.shape
    pixels = X.transpose(0, 2, 3, 1).reshape(N * H * Wd, C_in)  # one row per pixel
    out = pixels @ W[:, :, 0, 0].T + b  # (N*H*W, C_out)
    return out.reshape(N, H, Wd, C_out).transpose(0, 3, 1, 2)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv1x1_worked_example", "points": 1}
# Visible test: the worked example above.
X_rgb_example = np.array([[[[1, 2], [3, 4]], [[0, 1], [1, 0]], [[2, 0], [0, 2]]]], dtype=float)
W_example = np.array([[1, 0, -1], [0.5, 0.5, 0]]).reshape(2, 3, 1, 1)
b_example = np.array([0.0, 1.0])
expect_array(
    "conv1x1(X_rgb_example, W_example, b_example)",
    call(conv1x1, (X_rgb_example, W_example, b_example)),
    [[[[-1, 2], [3, 2]], [[1.5, 2.5], [3, 3]]]],
    misconceptions={
        "X was reshaped to (N*H*W, C_in) without moving the channels last: that mixes "
        "pixels, not channels": [[[[-2, 3], [-1, -2]], [[2.5, 3], [1.5, 1]]]],
        "the result was reshaped straight to (N, C_out, H, W); reshape to (N, H, W, C_out) "
        "and move the channels back": [[[[-1, 1.5], [2, 2.5]], [[3, 3], [2, 3]]]],
        "the bias b was not added": [[[[-1, 2], [3, 2]], [[0.5, 1.5], [2, 2]]]],
    },
)
expect_raises(conv1x1, (X_rgb_example, np.ones((2, 3, 3, 3)), b_example), why="W holds 3x3 kernels")
print("conv1x1: visible tests passed")

# %% [markdown]
# A 1×1 convolution is an ordinary convolution whose kernel happens to be 1×1, so it must
# agree with the general multi-channel convolution of chapter 2. Here the comparison is
# `cnnkit`'s `conv2d_forward`, a fast general convolution (the hidden tests do not let
# `conv1x1` call it).

# %% nbgrader={"grade": true, "grade_id": "conv1x1_matches_conv2d", "points": 1}
# Visible test: conv1x1 equals the general convolution on random input.
from cnnkit.conv import conv2d_forward

rng = np.random.default_rng(6)
X_check = rng.standard_normal((2, 5, 4, 7))
W_check = rng.standard_normal((3, 5, 1, 1))
b_check = rng.standard_normal(3)
general, _ = conv2d_forward(X_check, W_check, b_check)
mine = call(conv1x1, (X_check, W_check, b_check))
expect_array(
    "conv1x1(X, W, b) vs conv2d_forward(X, W, b) for X (2, 5, 4, 7), W (3, 5, 1, 1)",
    mine,
    general,
)
gap = np.max(np.abs(mine - general))
print(f"conv1x1 equals the general convolution (largest difference {gap:.1e})")

# %% nbgrader={"grade": true, "grade_id": "conv1x1_random", "points": 2}
# Hidden tests (2 points): random batches (N > 1), C_in = 1, non-square images, many
# channel counts, float64 values compared to 1e-10.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.conv1x1_random(conv1x1)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv1x1_edge_cases", "points": 1}
# Hidden tests (1 point): one channel in and out, 1x1 images, and bad input (ValueError).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.conv1x1_edge_cases(conv1x1)
### END HIDDEN TESTS

# %% [markdown]
# ### A 1×1 convolution mixes colours
# An RGB photograph has three channels, so a 1×1 convolution with three input channels is a
# *colour mixer*: at every pixel it forms weighted sums of red, green and blue. One filter
# with the weights (0.299, 0.587, 0.114) turns the photo into grayscale (3 → 1 channels);
# a permutation matrix swaps red and blue (3 → 3); the "sepia" matrix gives an old-photo
# tone. All three images below are made by **your** `conv1x1`.

# %%
import matplotlib.cbook as cbook
import matplotlib.image as mpimg

with cbook.get_sample_data("grace_hopper.jpg") as fh:
    photo_rgb = mpimg.imread(fh, format="jpg")[::4, ::4, :3] / 255.0  # (H, W, 3)
X_photo = photo_rgb.transpose(2, 0, 1)[None]  # (1, 3, H, W)

mixers = {
    "grayscale (3 → 1)": [[0.299, 0.587, 0.114]],
    "red and blue swapped": [[0, 0, 1], [0, 1, 0], [1, 0, 0]],
    "sepia": [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]],
}
mixed = {}
for title, M in mixers.items():
    M = np.array(M, dtype=float)
    Y = conv1x1(X_photo, M[:, :, None, None], np.zeros(len(M)))[0]  # (C_out, H, W)
    mixed[title] = Y[0] if len(M) == 1 else np.clip(Y.transpose(1, 2, 0), 0, 1)

fig, axes = plt.subplots(1, 4, figsize=(12, 3.6))
for ax, (title, image) in zip(axes, [("input (C = 3)", photo_rgb), *mixed.items()], strict=True):
    ax.imshow(image, cmap="gray", vmin=0, vmax=1)  # the colour map is used only for 2-D images
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Depth needs a nonlinearity
# Two 1×1 convolutions in a row, with nothing in between, are a single 1×1 convolution:
# $M_2(M_1 x) = (M_2 M_1)x$. Only a nonlinearity such as ReLU between them makes the
# extra layer worth having. Check it with your `conv1x1`:

# %%
rng = np.random.default_rng(0)
X_small = rng.standard_normal((2, 4, 3, 5))
M1 = rng.standard_normal((6, 4))  # 4 -> 6 channels
M2 = rng.standard_normal((2, 6))  # 6 -> 2 channels


def as_1x1(M):
    return M[:, :, None, None]


two_layers = conv1x1(conv1x1(X_small, as_1x1(M1), np.zeros(6)), as_1x1(M2), np.zeros(2))
one_layer = conv1x1(X_small, as_1x1(M2 @ M1), np.zeros(2))
with_relu = conv1x1(
    np.maximum(conv1x1(X_small, as_1x1(M1), np.zeros(6)), 0), as_1x1(M2), np.zeros(2)
)
print("two linear 1x1 layers == one 1x1 layer with M2 @ M1:", np.allclose(two_layers, one_layer))
print("with a ReLU in between, still the same?             ", np.allclose(with_relu, one_layer))

# %% [markdown]
# ## 6.2 Counting the cost of a convolution
#
# Take one image of shape $(C_\text{in}, H, W)$ and a layer of $C_\text{out}$ filters of
# size $k_H \times k_W$ with stride $s$ and padding $p$ (填充 padding, 步长 stride). The
# output has shape $(C_\text{out}, H_\text{out}, W_\text{out})$ with
# $H_\text{out} = \lfloor (H + 2p - k_H)/s \rfloor + 1$ (and the same for $W$), and:
#
# - **Parameters.** Each filter spans all input channels: $C_\text{in} k_H k_W$ weights,
#   plus one bias. In all,
#   $$\text{params} = C_\text{out}\, C_\text{in}\, k_H k_W + C_\text{out}.$$
#   The same filter is used at every position (weight sharing, 参数共享), so the image
#   size does not appear.
# - **Multiplications.** Every output value is one dot product of length
#   $C_\text{in} k_H k_W$, and there are $C_\text{out} H_\text{out} W_\text{out}$ output
#   values:
#   $$\text{mults} = H_\text{out}\, W_\text{out}\, C_\text{out}\, C_\text{in}\, k_H k_W.$$
#   Adding the bias is an addition, not a multiplication. Each multiplication comes with an
#   addition into a running sum: the pair is a **multiply-add** or **MAC**
#   (multiply-accumulate), and that is what papers usually count.
#
# ### Exercise 2 — the cost of a convolution layer
# Write `conv_cost(input_shape, C_out, kernel, stride=1, pad=0, bias=True)` returning the
# tuple `(output_shape, params, mults)` for **one image**:
# - `input_shape` is `(C_in, H, W)`; `output_shape` is the tuple `(C_out, H_out, W_out)`;
# - `kernel`, `stride` and `pad` are each an int or a pair `(height, width)` (the helper
#   `pair` below turns either into a pair);
# - **biases:** `params` counts one bias per filter when `bias=True` and none when
#   `bias=False`; `mults` never counts biases.
#
# Raise a `ValueError` if the kernel does not fit in the padded input, if `C_out` or a
# size is not a positive integer, if `stride < 1` or `pad < 0`, or if `input_shape` does not
# have three entries.


# %%
def pair(value):
    """An int or a pair (height, width), returned as a tuple of two values."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values
    ):
        raise ValueError(f"expected an int or a pair of ints (height, width), got {value!r}")
    return tuple(int(v) for v in values)


# %% nbgrader={"solution": true, "grade_id": "conv_cost"}
def conv_cost(input_shape, C_out, kernel, stride=1, pad=0, bias=True):
    """Output shape, parameters and multiplications of one convolution layer, per image.

    Parameters
    ----------
    input_shape : tuple (C_in, H, W)
    C_out : int
        Number of filters.
    kernel, stride, pad : int or tuple (height, width)
    bias : bool
        Whether every filter has a bias (a parameter, but no multiplication).

    Returns
    -------
    (output_shape, params, mults) : (tuple of 3 ints, int, int)
    """
    ### BEGIN SOLUTION
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C_in, H, W), got {input_shape!r}")
    C_in, H, W = input_shape
    (kH, kW), (sH, sW), (pH, pW) = pair(kernel), pair(stride), pair(pad)
    if min(C_in, H, W, C_out, kH, kW) < 1:
        raise ValueError("sizes, C_out and the kernel must be positive")
    if min(sH, sW) < 1 or min(pH, pW) < 0:
        raise ValueError(f"stride must be >= 1 and pad >= 0, got stride={stride}, pad={pad}")
    if kH > H + 2 * pH or kW > W + 2 * pW:
        padded = f"{H + 2 * pH}x{W + 2 * pW}"
        raise ValueError(f"a {kH}x{kW} kernel does not fit the padded input {padded}")
    H_out = (H + 2 * pH - kH) // sH + 1
    W_out = (W + 2 * pW - kW) // sW + 1
    weights = C_out * C_in * kH * kW
    params = weights + (C_out if bias else 0)
    return (C_out, H_out, W_out), params, H_out * W_out * weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_cost_worked_examples", "points": 2}
# Visible tests: the course's examples.
cases = [
    # 256 filters of 3x3, same padding, on a 100x100x256 input
    (((256, 100, 100), 256, 3), {"pad": 1}, ((256, 100, 100), 590_080, 5_898_240_000)),
    # a 1x1 convolution from 256 to 64 channels
    (((256, 100, 100), 64, 1), {}, ((64, 100, 100), 16_448, 163_840_000)),
    # chapter 2: six 5x5 filters on a 32x32x3 image
    (((3, 32, 32), 6, 5), {}, ((6, 28, 28), 456, 352_800)),
    # no biases
    (
        ((64, 100, 100), 256, 3),
        {"pad": 1, "bias": False},
        ((256, 100, 100), 147_456, 1_474_560_000),
    ),
]
for args, kwargs, want in cases:
    shape, params, mults = want
    got = call(conv_cost, args, kwargs)
    expect_equal(
        f"conv_cost{args[:1] + args[1:]} with {kwargs}",
        tuple(got) if isinstance(got, list) else got,
        want,
        misconceptions={
            "the multiplications are missing the factor C_out": (shape, params, mults // shape[0]),
            "the multiplications are missing the kernel area kH*kW": (
                shape,
                params,
                mults // (args[2] ** 2),
            ),
            "the parameters are missing the biases (bias=True: one per filter)": (
                shape,
                params - shape[0],
                mults,
            ),
        },
    )
print("conv_cost: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "conv_cost_random", "points": 2}
# Hidden tests (2 points): 40 random layers (channels, sizes, non-square kernels, stride,
# padding, with and without biases).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.conv_cost_random(conv_cost)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv_cost_edge_cases", "points": 1}
# Hidden tests (1 point): kernels as large as the input, 1x7 kernels, layers with more than
# 2**32 multiplications, and bad input (ValueError).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.conv_cost_edge_cases(conv_cost)
### END HIDDEN TESTS

# %% [markdown]
# ### The bottleneck: a 1×1 convolution before an expensive one
#
# Take a 100×100×256 input and 256 filters of 3×3 with same padding. Your `conv_cost`
# says: $100 \cdot 100 \cdot 256 \cdot 3 \cdot 3 \cdot 256 = 5{,}898{,}240{,}000$
# multiplications, almost six billion, for a single layer.
#
# Now first reduce the channels to 64 with a 1×1 convolution, then apply the 3×3 filters
# to the 64-channel map:
#
# $$\underbrace{100 \cdot 100 \cdot 256 \cdot 64}_{1\times1:\ 163{,}840{,}000}
# + \underbrace{100 \cdot 100 \cdot 64 \cdot 3 \cdot 3 \cdot 256}_{3\times3:\ 1{,}474{,}560{,}000}
# = 1{,}638{,}400{,}000,$$
#
# 3.6 times fewer. The narrow 64-channel layer in the middle is the **bottleneck**. The
# price is memory: training keeps every layer's output for backpropagation (反向传播),
# and the bottleneck adds one more. The direct layer produces
# $256 \cdot 100 \cdot 100 = 2{,}560{,}000$ values per image; the bottleneck produces
# $64 \cdot 100 \cdot 100 + 256 \cdot 100 \cdot 100 = 3{,}200{,}000$.
#
# > **Not a free lunch.** The bottleneck saves multiplications and parameters, but it
# > stores an extra activation map, and it squeezes the information through fewer
# > channels; whether that hurts accuracy is an empirical question (for ResNet and
# > Inception it did not).
#
# ### Exercise 3 — direct convolution vs bottleneck
# Write `bottleneck_cost(input_shape, C_mid, C_out, k=3)` returning
# `(direct_mults, bottleneck_mults, direct_values, bottleneck_values)` for one image: the
# direct $k \times k$ same convolution from `input_shape` to `C_out` channels, and a 1×1
# convolution to `C_mid` channels followed by the same $k \times k$ convolution. All
# convolutions have stride 1; same padding is $p = (k-1)/2$, so raise a `ValueError` for an
# even `k`. The *values* are the activations the layers produce (every layer's output, not
# the input). Use your `conv_cost`.


# %% nbgrader={"solution": true, "grade_id": "bottleneck_cost"}
def bottleneck_cost(input_shape, C_mid, C_out, k=3):
    """Multiplications and activation values: direct k×k conv vs 1×1 reduction + k×k conv.

    Returns
    -------
    (direct_mults, bottleneck_mults, direct_values, bottleneck_values) : four ints
    """
    ### BEGIN SOLUTION
    if k % 2 == 0:
        raise ValueError(f"same padding needs an odd kernel, got k={k}")
    p = (k - 1) // 2
    out_shape, _, direct = conv_cost(input_shape, C_out, k, pad=p)
    mid_shape, _, reduce_mults = conv_cost(input_shape, C_mid, 1)
    _, _, conv_mults = conv_cost(mid_shape, C_out, k, pad=p)
    out_values = out_shape[0] * out_shape[1] * out_shape[2]
    mid_values = mid_shape[0] * mid_shape[1] * mid_shape[2]
    return direct, reduce_mults + conv_mults, out_values, mid_values + out_values
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "bottleneck_cost_worked_example", "points": 1}
# Visible test: the 100x100x256 example.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.alone(bottleneck_cost)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
expect_equal(
    "bottleneck_cost((256, 100, 100), 64, 256, 3)",
    call(bottleneck_cost, ((256, 100, 100), 64, 256, 3)),
    (5_898_240_000, 1_638_400_000, 2_560_000, 3_200_000),
    misconceptions={
        "the 1x1 reduction costs multiplications too (100*100*256*64)": (
            5_898_240_000,
            1_474_560_000,
            2_560_000,
            3_200_000,
        ),
        "the bottleneck also stores its 64-channel intermediate map": (
            5_898_240_000,
            1_638_400_000,
            2_560_000,
            2_560_000,
        ),
    },
)
print("bottleneck_cost: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "bottleneck_cost_hidden", "points": 1}
# Hidden tests (1 point): other sizes and kernels, and an even kernel (ValueError).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.bottleneck_cost_hidden(bottleneck_cost)
### END HIDDEN TESTS

# %% [markdown]
# ## 6.3 Depthwise separable convolution
#
# A standard convolution does two jobs at once: each filter looks at a $k \times k$
# neighbourhood (*spatial filtering*) across all $C_\text{in}$ channels (*channel mixing*).
# A **depthwise separable convolution** (used by Xception and MobileNet)
# does the jobs one after the other:
#
# 1. **Depthwise convolution (逐通道卷积).** One $k \times k$ kernel per input channel;
#    channel $c$ is filtered with kernel $c$ only, and there is **no sum over channels**.
#    $C_\text{in}$ channels in, $C_\text{in}$ maps out. With weights `W` of shape
#    `(C, kH, kW)`:
#    $$D_{n,c,i,j} = b_c + \sum_{u=1}^{k_H}\sum_{v=1}^{k_W} W_{c,u,v}\,
#    \tilde X_{n,c,\,(i-1)s+u,\,(j-1)s+v},$$
#    where $\tilde X$ is $X$ zero-padded by $p$ (a cross-correlation, as in every layer).
# 2. **Pointwise convolution (逐点卷积).** A 1×1 convolution mixes the $C_\text{in}$ maps
#    into $C_\text{out}$ channels.
#
# **Worked example.** A 5×5×3 input, no padding, stride 1. The depthwise step uses three
# 3×3 kernels, one per channel, and gives 3 maps of 3×3; the pointwise step uses four
# 1×1×3 filters and gives 4 maps of 3×3. A standard convolution with four 3×3×3 filters
# gives the same output shape. Counting weights only (no biases):
#
# | | weights | multiplications |
# |---|---|---|
# | standard, 4 filters of 3×3×3 | 4 · 3 · 3 · 3 = 108 | 3 · 3 · 4 · 27 = 972 |
# | depthwise, 3 kernels of 3×3 | 3 · 3 · 3 = 27 | 3 · 3 · 3 · 9 = 243 |
# | pointwise, 4 filters of 1×1×3 | 4 · 3 = 12 | 3 · 3 · 4 · 3 = 108 |
# | separable in all | $39$ | $351$ |
#
# In general the separable version costs a fraction
# $\frac{C_\text{in}k^2 + C_\text{in}C_\text{out}}{C_\text{out}C_\text{in}k^2}
# = \frac{1}{C_\text{out}} + \frac{1}{k^2}$ of the standard one: about $1/9$ for 3×3
# kernels and many output channels. It is *less expressive* (a standard filter can mix
# channels differently at every kernel position), which the network makes up for with
# more layers.
#
# The example's input (channel 0 is the 4×4 input of chapter 1, extended to 5×5), its
# kernels (chapter 1's kernel, a vertical edge detector, a Laplacian) and the three
# depthwise maps:

# %%
X_sep = np.array(
    [
        [
            [[1, 2, 3, 0, 1], [0, 1, 2, 3, 0], [3, 0, 1, 2, 3], [2, 3, 0, 1, 2], [1, 2, 3, 0, 1]],
            [[2, 2, 2, 0, 0]] * 5,
            [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 4, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]],
        ]
    ],
    dtype=float,
)  # (1, 3, 5, 5)
W_dw = np.array(
    [
        [[2, 0, 1], [0, 1, 2], [1, 0, 2]],
        [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
        [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    ],
    dtype=float,
)  # (3, 3, 3): one 3x3 kernel per channel
b_dw = np.zeros(3)
W_pw = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=float).reshape(4, 3, 1, 1)
b_pw = np.zeros(4)
print("input X_sep:", X_sep.shape, " depthwise kernels W_dw:", W_dw.shape)
print("pointwise filters W_pw:", W_pw.shape, "(the fourth one adds the three maps)")

# %% [markdown]
# ### Exercise 4 — depthwise convolution
# Write `depthwise_conv2d(X, W, b, stride=1, pad=0)`: `X` of shape `(N, C, H, W)`, one
# kernel per channel in `W` of shape `(C, kH, kW)`, one bias per channel in `b` of shape
# `(C,)`; `stride` and `pad` are an int or a pair. Return `(N, C, H_out, W_out)`. Loop over
# the kernel positions $(u, v)$ or the output positions, and use array operations for the
# rest; do not call a library or `cnnkit` convolution. Raise a `ValueError` if `W` is not
# 3-D, if it does not have one kernel per channel, if `b` has the wrong shape, or if the
# kernel is larger than the padded input.
#
# (PyTorch stores the same weights as `(C, 1, kH, kW)` and calls the layer a convolution
# with `groups=C`: each group of one input channel has its own filter.)


# %% nbgrader={"solution": true, "grade_id": "depthwise_conv2d"}
def depthwise_conv2d(X, W, b, stride=1, pad=0):
    """Depthwise convolution: channel c of X is cross-correlated with W[c] only.

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W)
    W : ndarray of shape (C, kH, kW)
    b : ndarray of shape (C,)
    stride, pad : int or tuple (height, width)

    Returns
    -------
    ndarray of shape (N, C, H_out, W_out)
        ``H_out = (H + 2*pad - kH) // stride + 1``, likewise ``W_out``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    if X.ndim != 4 or W.ndim != 3:
        raise ValueError(f"X must be (N, C, H, W) and W (C, kH, kW), got {X.shape}, {W.shape}")
    N, C, H, Wd = X.shape
    if W.shape[0] != C:
        raise ValueError(f"W has {W.shape[0]} kernels but X has {C} channels")
    if b.shape != (C,):
        raise ValueError(f"b must have shape ({C},), got {b.shape}")
    (sH, sW), (pH, pW) = pair(stride), pair(pad)
    _, kH, kW = W.shape
    Xp = np.pad(X, ((0, 0), (0, 0), (pH, pH), (pW, pW)))
    if kH > Xp.shape[2] or kW > Xp.shape[3]:
        raise ValueError(f"kernel {kH}x{kW} is larger than the padded input {Xp.shape[2:]}")
    H_out = (Xp.shape[2] - kH) // sH + 1
    W_out = (Xp.shape[3] - kW) // sW + 1
    out = np.zeros((N, C, H_out, W_out))
    for u in range(kH):
        for v in range(kW):
            window = Xp[:, :, u : u + sH * (H_out - 1) + 1 : sH, v : v + sW * (W_out - 1) + 1 : sW]
            out += W[None, :, u, v, None, None] * window
    return out + b[None, :, None, None]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "depthwise_worked_example", "points": 2}
# Visible test: the 5x5x3 example (valid, stride 1).
expect_array(
    "depthwise_conv2d(X_sep, W_dw, b_dw)",
    call(depthwise_conv2d, (X_sep, W_dw, b_dw)),
    [
        [
            [[15, 16, 17], [6, 15, 16], [17, 6, 15]],
            [[0, 6, 6], [0, 6, 6], [0, 6, 6]],
            [[0, 4, 0], [4, -16, 4], [0, 4, 0]],
        ]
    ],
    misconceptions={
        "every output channel sums over all input channels: that is a normal convolution, "
        "a depthwise convolution filters channel c with W[c] only": [
            [
                [[41, 24, 27], [32, 27, 22], [39, 14, 29]],
                [[-6, 4, 12], [-2, 4, 8], [-2, 8, 8]],
                [[0, 2, -6], [12, -18, 6], [-8, 10, 2]],
            ]
        ],
        "the kernels were rotated by 180 degrees (convolution); layers cross-correlate": [
            [
                [[11, 12, 21], [10, 11, 12], [21, 10, 11]],
                [[0, -6, -6], [0, -6, -6], [0, -6, -6]],
                [[0, 4, 0], [4, -16, 4], [0, 4, 0]],
            ]
        ],
    },
)
print("depthwise_conv2d: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "depthwise_random", "points": 2}
# Hidden tests (2 points): random batches, non-square inputs and kernels, stride and
# padding (also as pairs), biases, float64 values compared to 1e-10.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.depthwise_random(depthwise_conv2d)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "depthwise_edge_cases", "points": 1}
# Hidden tests (1 point): one channel, kernels as large as the (padded) input, 1x1 kernels,
# and bad input (ValueError).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.depthwise_edge_cases(depthwise_conv2d)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5 — depthwise separable convolution
# Write `separable_conv2d(X, W_dw, b_dw, W_pw, b_pw, stride=1, pad=0)`: your depthwise
# convolution (with the stride and padding) followed by your 1×1 convolution with `W_pw` of
# shape `(C_out, C, 1, 1)` and `b_pw` of shape `(C_out,)`. No nonlinearity in between
# (MobileNet puts batch normalization and a ReLU there; Xception found it trains better
# without).


# %% nbgrader={"solution": true, "grade_id": "separable_conv2d"}
def separable_conv2d(X, W_dw, b_dw, W_pw, b_pw, stride=1, pad=0):
    """Depthwise convolution (stride, pad) followed by a pointwise 1×1 convolution.

    Returns
    -------
    ndarray of shape (N, C_out, H_out, W_out)
    """
    ### BEGIN SOLUTION
    return conv1x1(depthwise_conv2d(X, W_dw, b_dw, stride, pad), W_pw, b_pw)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "separable_worked_example", "points": 1}
# Visible test: the example's four output maps (the fourth is the sum of the three).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.alone(separable_conv2d)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
expect_array(
    "separable_conv2d(X_sep, W_dw, b_dw, W_pw, b_pw)",
    call(separable_conv2d, (X_sep, W_dw, b_dw, W_pw, b_pw)),
    [
        [
            [[15, 16, 17], [6, 15, 16], [17, 6, 15]],
            [[0, 6, 6], [0, 6, 6], [0, 6, 6]],
            [[0, 4, 0], [4, -16, 4], [0, 4, 0]],
            [[15, 26, 23], [10, 5, 26], [17, 16, 21]],
        ]
    ],
)
print("separable_conv2d: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "separable_hidden", "points": 1}
# Hidden tests (1 point): random shapes, channel counts, biases, stride and padding.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.separable_hidden(separable_conv2d)
### END HIDDEN TESTS

# %% [markdown]
# The example, drawn: each input channel meets its own kernel (top three rows), and the
# pointwise step mixes the three depthwise maps into four outputs (bottom row).

# %%
D_sep = depthwise_conv2d(X_sep, W_dw, b_dw)[0]
Y_sep = separable_conv2d(X_sep, W_dw, b_dw, W_pw, b_pw)[0]
fig = plt.figure(figsize=(10, 9.5))
grid = fig.add_gridspec(4, 4, height_ratios=[5, 5, 5, 3.4])
for c in range(3):
    draw_matrix(fig.add_subplot(grid[c, 0]), X_sep[0, c], f"input channel {c}")
    draw_matrix(fig.add_subplot(grid[c, 1]), W_dw[c], f"kernel W_dw[{c}]", cmap="Oranges")
    draw_matrix(fig.add_subplot(grid[c, 2]), D_sep[c], f"depthwise map {c}", cmap="Greens")
notes = fig.add_subplot(grid[:3, 3])
notes.axis("off")
notes.text(
    0.05,
    0.5,
    "depthwise:\nchannel c meets\nonly kernel c,\nno sum over\nchannels\n\n"
    "3 channels in,\n3 maps out,\n3 · 3 · 3 = 27\nweights",
    fontsize=12,
    va="center",
)
pointwise_titles = ["= map 0", "= map 1", "= map 2", "= map 0 + 1 + 2"]
for o in range(4):
    ax = fig.add_subplot(grid[3, o])
    draw_matrix(ax, Y_sep[o], f"pointwise {o} {pointwise_titles[o]}", cmap="Purples")
fig.subplots_adjust(left=0.02, right=0.98, top=0.96, bottom=0.02, hspace=0.3, wspace=0.15)
plt.show()

# %% [markdown]
# ### Exercise 6 — what the separable convolution saves
# Write `separable_cost(input_shape, C_out, k, stride=1, pad=0)` returning
# `(standard_params, standard_mults, separable_params, separable_mults)` for one image of
# shape `input_shape = (C_in, H, W)`: a standard convolution with `C_out` filters of
# $k \times k$, and the depthwise ($k \times k$, same stride and padding) + pointwise
# (1×1, `C_out` filters) pair with the same output shape. **Biases are not counted in this
# exercise: weights only.** You may use your `conv_cost`.


# %% nbgrader={"solution": true, "grade_id": "separable_cost"}
def separable_cost(input_shape, C_out, k, stride=1, pad=0):
    """Weights and multiplications (no biases) of a standard vs a depthwise separable conv.

    Returns
    -------
    (standard_params, standard_mults, separable_params, separable_mults) : four ints
    """
    ### BEGIN SOLUTION
    C_in = input_shape[0]
    (_, H_out, W_out), std_params, std_mults = conv_cost(
        input_shape, C_out, k, stride, pad, bias=False
    )
    depthwise_params = C_in * k * k
    pointwise_params = C_out * C_in
    separable_params = depthwise_params + pointwise_params
    return std_params, std_mults, separable_params, H_out * W_out * separable_params
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "separable_cost_worked_examples", "points": 1}
# Visible tests: the 5x5x3 example, and MobileNet's first separable layer (112x112x32 -> 64).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.alone(separable_cost)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
expect_equal(
    "separable_cost((3, 5, 5), 4, 3)",
    call(separable_cost, ((3, 5, 5), 4, 3)),
    (108, 972, 39, 351),
    misconceptions={
        "the depthwise step has one 3x3 kernel per channel (27 weights), it does not sum "
        "over channels": (108, 972, 93, 837),
        "biases are not counted in this exercise": (112, 972, 46, 351),
    },
)
expect_equal(
    "separable_cost((32, 112, 112), 64, 3, pad=1)",
    call(separable_cost, ((32, 112, 112), 64, 3), {"pad": 1}),
    (18_432, 231_211_008, 2_336, 29_302_784),
)
print("separable_cost: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "separable_cost_hidden", "points": 1}
# Hidden tests (1 point): random sizes, channel counts, kernels, stride and padding.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.separable_cost_hidden(separable_cost)
### END HIDDEN TESTS

# %% [markdown]
# ### Cost explorer
# Three ways to go from $C_\text{in}$ to $C_\text{out}$ channels with a $k \times k$
# receptive field on an $H \times W$ map (same padding, no biases): a direct convolution,
# a 1×1 bottleneck to $C_\text{mid}$ channels followed by the $k \times k$ convolution, and
# a depthwise separable convolution. The bars are computed by **your** `conv_cost` and
# `separable_cost`; the labels give each design's cost relative to the direct one. Things
# to try: when does the bottleneck stop paying off (move $C_\text{mid}$ up)? Which design's
# saving grows with $k$? Which one needs the most activation memory?


# %%
def design_costs(C_in, C_mid, C_out, H, W, k):
    """Multiplications, weights and activation values of the three designs (no biases)."""
    p = k // 2
    _, direct_params, direct_mults = conv_cost((C_in, H, W), C_out, k, pad=p, bias=False)
    mid, reduce_params, reduce_mults = conv_cost((C_in, H, W), C_mid, 1, bias=False)
    _, conv_params, conv_mults = conv_cost(mid, C_out, k, pad=p, bias=False)
    _, _, sep_params, sep_mults = separable_cost((C_in, H, W), C_out, k, pad=p)
    return {
        "multiplications": [direct_mults, reduce_mults + conv_mults, sep_mults],
        "weights": [direct_params, reduce_params + conv_params, sep_params],
        "activation values": [C_out * H * W, (C_mid + C_out) * H * W, (C_in + C_out) * H * W],
    }


def cost_chart_png(costs, k, C_mid):
    """Three bar charts (one per measure) as PNG bytes, drawn without pyplot."""
    designs = [f"direct {k}×{k}", f"1×1 to {C_mid}, then {k}×{k}", "depthwise separable"]
    fig = Figure(figsize=(11, 2.6), dpi=80)
    axes = fig.subplots(1, 3, sharey=True)
    for ax, (title, values) in zip(axes, costs.items(), strict=True):
        bars = ax.barh(designs[::-1], values[::-1], color=["C2", "C1", "C0"])
        top = max(values)
        for bar, v in zip(bars, values[::-1], strict=True):
            ratio = v / values[0]
            ax.text(
                v + 0.02 * top, bar.get_y() + bar.get_height() / 2, f"{ratio:.2f}×", va="center"
            )
        ax.set_xlim(0, top * 1.3)
        ax.set_title(f"{title} (direct: {values[0]:,})", fontsize=10)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 3))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def cost_explorer():
    style = {"description_width": "45px"}
    sliders = {
        "C_in": widgets.IntSlider(256, 1, 1024, description="C_in", style=style),
        "C_mid": widgets.IntSlider(64, 1, 512, description="C_mid", style=style),
        "C_out": widgets.IntSlider(256, 1, 1024, description="C_out", style=style),
        "H": widgets.IntSlider(100, 1, 224, description="H", style=style),
        "W": widgets.IntSlider(100, 1, 224, description="W", style=style),
        "k": widgets.IntSlider(3, 1, 7, step=2, description="k", style=style),
    }
    chart = widgets.Image(format="png")
    status = widgets.HTML()

    def update(_change=None):
        values = {name: s.value for name, s in sliders.items()}
        try:
            costs = design_costs(**values)
        except NotImplementedError:
            status.value = "<b>Implement conv_cost and separable_cost first.</b>"
            return
        status.value = ""
        chart.value = cost_chart_png(costs, values["k"], values["C_mid"])

    for s in sliders.values():
        s.observe(update, "value")
    update()
    names = list(sliders)
    controls = widgets.HBox(
        [
            widgets.VBox([sliders[n] for n in names[:3]]),
            widgets.VBox([sliders[n] for n in names[3:]]),
        ]
    )
    return widgets.VBox([controls, status, chart])


cost_explorer()

# %% [markdown]
# ## 6.4 Inception modules
#
# Which kernel size should a layer use: 1×1, 3×3, 5×5, or pooling? GoogLeNet's answer
# (Szegedy et al., 2015) is *all of them*: an **Inception module** runs them in parallel
# branches on the same input and **concatenates the results along the channels**. Every
# branch keeps $H \times W$ (stride 1, same padding; the pooling is 3×3 max pooling with
# stride 1 and padding 1), so the maps can be stacked.
#
# Run on all $C$ input channels, the 3×3 and 5×5 branches would be very expensive, and the
# pooling branch would pass all $C$ channels on, so the module could only grow. GoogLeNet
# puts **1×1 reductions** in front of the 3×3 and 5×5 convolutions and a 1×1 "pool
# projection" after the pooling. Module inception(3a) on a 28×28×192 input:
#
# | branch | layers | output channels |
# |---|---|---|
# | 1 | 1×1, 64 | 64 |
# | 2 | 1×1, 96 → 3×3, 128 | 128 |
# | 3 | 1×1, 16 → 5×5, 32 | 32 |
# | 4 | 3×3 max pool → 1×1, 32 | 32 |
# | concatenated | | $64 + 128 + 32 + 32 = 256$ |
#
# Its multiplications:
# $28 \cdot 28 \cdot (192 \cdot 64 + 192 \cdot 96 + 96 \cdot 9 \cdot 128 + 192 \cdot 16
# + 16 \cdot 25 \cdot 32 + 192 \cdot 32) = 128{,}049{,}152$, the "128M" of the paper's
# Table 1. Without the reductions (the "naive" module of the paper's Figure 2a: the 3×3
# and 5×5 convolutions see all 192 channels and the pooled input is concatenated as it
# is, $64 + 128 + 32 + 192 = 416$ channels) it is
# $28 \cdot 28 \cdot (192 \cdot 64 + 192 \cdot 9 \cdot 128 + 192 \cdot 25 \cdot 32)
# = 303{,}464{,}448$. The 5×5 branch alone shows the effect best: $120.4$ million
# multiplications directly, $2.4 + 10.0 = 12.4$ million through the 16-channel bottleneck.
#
# ### Exercise 7 — an Inception module's shape and cost
# Write `inception_cost(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)`
# returning `(output_shape, mults, naive_mults)` for one image of shape `(C, H, W)`:
# `output_shape` is the `(C_out, H, W)` of the module with reductions, `mults` its
# multiplications, `naive_mults` those of the naive module with the same `c1`, `c3`, `c5`.
# Count only the multiplications of the convolutions: max pooling costs none, and biases
# are not counted. You may use your `conv_cost`.


# %% nbgrader={"solution": true, "grade_id": "inception_cost"}
def inception_cost(input_shape, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    """Output shape and multiplications of an Inception module, with and without reductions.

    Returns
    -------
    (output_shape, mults, naive_mults) : (tuple (C_out, H, W), int, int)
    """
    ### BEGIN SOLUTION
    C, H, W = input_shape

    def mults(shape, C_out, k):
        return conv_cost(shape, C_out, k, pad=k // 2)[2]

    reduced3 = (c3_reduce, H, W)
    reduced5 = (c5_reduce, H, W)
    total = (
        mults(input_shape, c1, 1)
        + mults(input_shape, c3_reduce, 1)
        + mults(reduced3, c3, 3)
        + mults(input_shape, c5_reduce, 1)
        + mults(reduced5, c5, 5)
        + mults(input_shape, pool_proj, 1)
    )
    naive = mults(input_shape, c1, 1) + mults(input_shape, c3, 3) + mults(input_shape, c5, 5)
    return (c1 + c3 + c5 + pool_proj, H, W), total, naive
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "inception_worked_example", "points": 1}
# Visible test: GoogLeNet's inception(3a).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.alone(inception_cost)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
got = call(inception_cost, ((192, 28, 28), 64, 96, 128, 16, 32, 32))
expect_equal(
    "inception_cost((192, 28, 28), 64, 96, 128, 16, 32, 32)",
    tuple(got) if isinstance(got, list) else got,
    ((256, 28, 28), 128_049_152, 303_464_448),
    misconceptions={
        "only the branch outputs are concatenated, not the reduction layers": (
            (368, 28, 28),
            128_049_152,
            303_464_448,
        ),
        "the 1x1 reduction layers cost multiplications too": (
            (256, 28, 28),
            111_190_016,
            303_464_448,
        ),
    },
)
print("inception_cost: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "inception_hidden", "points": 2}
# Hidden tests (2 points): other GoogLeNet modules and random non-square sizes.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.inception_hidden(inception_cost)
### END HIDDEN TESTS

# %% [markdown]
# `cnnkit.summary` describes a network as a list of layer specs and counts every layer;
# `Concat` runs branches side by side. Here is inception(3a) layer by layer (ReLUs left
# out: they have no parameters and no multiplications). Its MAC total should equal your
# `mults`; its parameters include the biases.

# %%
from cnnkit.summary import (
    AdaptiveAvgPool,
    Concat,
    Conv,
    Elementwise,
    Flatten,
    Linear,
    MaxPool,
    ReLU,
    Summary,
    alexnet,
    lenet5,
    resnet34,
    resnet50,
    summarize,
    vgg16,
)


def print_compact(layers, input_shape):
    """Print a summary table without the rows that change nothing (ReLU, dropout)."""
    full = summarize(layers, input_shape)
    rows = [
        r
        for r in full.rows
        if r.params or r.macs or r.output_shape != r.input_shape or r.kind in ("Add", "Concat")
    ]
    print(Summary(full.input_shape, rows).table())
    return full


inception_3a = [
    Concat(
        [
            [Conv(64, 1)],
            [Conv(96, 1), Conv(128, 3, pad=1)],
            [Conv(16, 1), Conv(32, 5, pad=2)],
            [MaxPool(3, stride=1, pad=1), Conv(32, 1)],
        ],
        name="inception3a",
    )
]
print_compact(inception_3a, (192, 28, 28))
print("\nyour inception_cost:", inception_cost((192, 28, 28), 64, 96, 128, 16, 32, 32))

# %% [markdown]
# ## 6.5 Residual connections and the bottleneck block
#
# Stacking more layers should never hurt: the extra layers could learn the identity. In
# practice it did: a plain 56-layer network had a *higher training error* than a 20-layer
# one (He et al., 2015). Learning an identity through several ReLU layers is hard. The
# **residual block** makes it easy: the layers learn a residual $F(X)$ and the block adds
# its input back through a **shortcut (捷径连接)**,
#
# $$\text{out} = \operatorname{ReLU}\big(F(X) + X\big).$$
#
# If the identity is best, the layers only have to drive $F$ to zero. The addition also
# passes the gradient straight back to $X$, through any number of blocks. The identity
# shortcut has no parameters and no multiplications. When $F$ changes the number of
# channels or halves the map, $X$ cannot be added as it is; a **projection shortcut**, a
# 1×1 convolution $W_s$ (with the same stride), gives it the right shape:
# $\operatorname{ReLU}(F(X) + W_s X)$.
#
# > **A common mistake.** The final ReLU comes **after** the addition. Some diagrams put a
# > ReLU at the end of $F$ and then add: then $F$ can only add non-negative values, so a
# > block can never decrease a feature; the ResNet authors tried this order and it
# > trained worse (He et al., 2016). Others leave the last ReLU out altogether: that is a
# > different design (the "pre-activation" ResNet), which also moves the other ReLUs.
#
# The **bottleneck block** of ResNet-50/101/152 uses two 1×1 convolutions around a 3×3:
#
# $$X \xrightarrow{1\times1,\ C_\text{in}\to C_\text{mid}} \text{ReLU}
# \xrightarrow{3\times3,\ \text{pad }1} \text{ReLU}
# \xrightarrow{1\times1,\ C_\text{mid}\to C_\text{out}} \;+\; \text{shortcut}
# \;\to\; \text{ReLU}.$$
#
# With 256 channels and $C_\text{mid} = 64$ it has
# $256 \cdot 64 + 64 \cdot 64 \cdot 9 + 64 \cdot 256 = 69{,}632$ weights, where two 3×3
# convolutions at 256 channels would have $2 \cdot 256 \cdot 256 \cdot 9 = 1{,}179{,}648$.
# Where a stage halves the map, the 3×3 convolution has stride 2 (as in torchvision; the
# original paper put the stride in the first 1×1) and so does the projection. A 1×1
# convolution with stride $s$ is a 1×1 convolution of the subsampled input
# `X[:, :, ::s, ::s]`.
#
# Real ResNets put batch normalization after every convolution; we leave it out here (it
# folds into the convolution's weights and bias at inference time).
#
# For the 3×3 convolution use the helper `conv2d` below, a general multi-channel
# convolution (you wrote one in chapter 2; this one calls `cnnkit`'s fast version).


# %%
from cnnkit.conv import conv2d_forward


def relu(Z):
    return np.maximum(Z, 0)


def conv2d(X, W, b, stride=1, pad=0):
    """General convolution (cross-correlation): X (N, C_in, H, W), W (C_out, C_in, kH, kW)."""
    return conv2d_forward(X, W, b, stride=stride, pad=pad)[0]


# %% [markdown]
# ### Exercise 8 — a residual bottleneck block
# Write `bottleneck_block(X, W1, b1, W2, b2, W3, b3, Ws=None, bs=None, stride=1)`:
# - `W1` `(C_mid, C_in, 1, 1)`, `W2` `(C_mid, C_mid, 3, 3)` (padding 1, stride `stride`),
#   `W3` `(C_out, C_mid, 1, 1)`, with their biases;
# - `Ws`, `bs`: the projection shortcut `(C_out, C_in, 1, 1)`, `(C_out,)`, applied with
#   stride `stride`; `None` means the identity shortcut;
# - output $\operatorname{ReLU}(F(X) + \text{shortcut})$ of shape
#   `(N, C_out, H_out, W_out)`.
#
# Use your `conv1x1` for the 1×1 convolutions. Raise a `ValueError` if there is no
# projection but the identity cannot be added (`C_in != C_out`, or `stride != 1`).


# %% nbgrader={"solution": true, "grade_id": "bottleneck_block"}
def bottleneck_block(X, W1, b1, W2, b2, W3, b3, Ws=None, bs=None, stride=1):
    """Forward pass of a ResNet bottleneck block (without batch normalization).

    Returns
    -------
    ndarray of shape (N, C_out, H_out, W_out), ``H_out = (H - 1) // stride + 1``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    Z = relu(conv1x1(X, W1, b1))
    Z = relu(conv2d(Z, W2, b2, stride=stride, pad=1))
    Z = conv1x1(Z, W3, b3)
    if Ws is None:
        if X.shape[1] != Z.shape[1] or stride != 1:
            problem = f"C_in={X.shape[1]}, C_out={Z.shape[1]}, stride={stride}"
            raise ValueError(f"an identity shortcut needs C_in == C_out and stride 1 ({problem})")
        shortcut = X
    else:
        shortcut = conv1x1(X[:, :, ::stride, ::stride], Ws, bs)
    return relu(Z + shortcut)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "bottleneck_block_identity", "points": 1}
# Visible test: an identity shortcut, C_in = C_out = 2, C_mid = 1, a 3x3 image.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.alone(bottleneck_block)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
X_block = np.array(
    [[[[1, -2, 0], [3, 1, -1], [0, 2, -3]], [[-1, 0, 2], [1, -2, 1], [2, 1, 0]]]], dtype=float
)
block_identity = {
    "W1": np.array([1.0, 1.0]).reshape(1, 2, 1, 1),
    "b1": np.array([0.0]),
    "W2": np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=float).reshape(1, 1, 3, 3),
    "b2": np.array([-1.0]),
    "W3": np.array([1.0, -2.0]).reshape(2, 1, 1, 1),
    "b3": np.array([0.0, 1.0]),
}
expect_array(
    "bottleneck_block(X_block, **block_identity)",
    call(bottleneck_block, (X_block,), block_identity),
    [[[[4, 0, 1], [8, 7, 0], [8, 6, 0]], [[0, 0, 1], [0, 0, 0], [0, 0, 0]]]],
    misconceptions={
        "the final ReLU after the addition is missing: out = ReLU(F(X) + X)": [
            [[[4, -1, 1], [8, 7, 0], [8, 6, -1]], [[-6, -1, 1], [-8, -13, 0], [-13, -6, -3]]]
        ],
        "the ReLU was applied before the addition; add first: ReLU(F(X) + X)": [
            [[[4, -1, 1], [8, 7, 0], [8, 6, -1]], [[-1, 0, 2], [1, -2, 1], [2, 1, 0]]]
        ],
    },
)
print("bottleneck_block (identity shortcut): visible test passed")

# %% nbgrader={"grade": true, "grade_id": "bottleneck_block_projection", "points": 1}
# Visible test: a projection shortcut, 1 -> 2 channels, stride 2 on a 4x4 image.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.alone(bottleneck_block)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
X_block2 = np.array([[[[1, 2, 0, -1], [0, -3, 1, 2], [2, 1, -2, 0], [-1, 0, 3, 1]]]], dtype=float)
W2_block2 = np.zeros((2, 2, 3, 3))
W2_block2[0, 0] = [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
W2_block2[0, 1] = [[1, 0, 0], [0, 0, 0], [0, 0, 1]]
W2_block2[1, 0] = [[0, 1, 0], [0, 0, 0], [0, 1, 0]]
W2_block2[1, 1] = [[0, 0, 0], [1, 0, -1], [0, 0, 0]]
block_projection = {
    "W1": np.array([1.0, -1.0]).reshape(2, 1, 1, 1),
    "b1": np.array([0.0, 1.0]),
    "W2": W2_block2,
    "b2": np.array([0.0, -1.0]),
    "W3": np.array([[1.0, -1.0], [2.0, 1.0]]).reshape(2, 2, 1, 1),
    "b3": np.array([0.0, -2.0]),
    "Ws": np.array([2.0, -1.0]).reshape(2, 1, 1, 1),
    "bs": np.array([1.0, 0.0]),
    "stride": 2,
}
expect_array(
    "bottleneck_block(X_block2, **block_projection)",
    call(bottleneck_block, (X_block2,), block_projection),
    [[[[8, 1], [8, 0]], [[7, 0], [2, 10]]]],
    misconceptions={
        "the final ReLU after the addition is missing": [[[[8, 1], [8, -1]], [[7, -2], [2, 10]]]],
        "the ReLU was applied before the addition; add first": [
            [[[8, 1], [8, -1]], [[7, 0], [2, 10]]]
        ],
    },
)
print("bottleneck_block (projection shortcut): visible test passed")

# %% nbgrader={"grade": true, "grade_id": "bottleneck_block_random", "points": 2}
# Hidden tests (2 points): random batches, identity and projection shortcuts, stride 2,
# C_in = 1, non-square images, float64 values compared to 1e-10.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.block_random(bottleneck_block)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "bottleneck_block_edge_cases", "points": 1}
# Hidden tests (1 point): 1x1 images, one-channel bottlenecks, and identity shortcuts that
# cannot work (ValueError).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.block_edge_cases(bottleneck_block)
### END HIDDEN TESTS

# %% [markdown]
# ### ResNet's design rules
# ResNet chooses its widths by two rules: (i) layers with the same output map size have
# the same number of filters; (ii) when the map is halved, the number of filters is
# doubled, so that every layer costs about the same. Halving $H$ and $W$ divides the
# positions by 4; doubling both $C_\text{in}$ and $C_\text{out}$ multiplies
# $C_\text{in} C_\text{out}$ by 4. Your `conv_cost` on the 3×3 layers of ResNet-34's four
# stages:

# %%
for C, size in [(64, 56), (128, 28), (256, 14), (512, 7)]:
    shape, params, mults = conv_cost((C, size, size), C, 3, pad=1, bias=False)
    print(
        f"{size:2d}x{size:<2d} map, {C:3d} filters: {params:9,} weights, {mults:,} multiplications"
    )

# %% [markdown]
# The cost per layer stays the same, while the weights grow 4× per stage: most of a ResNet's
# parameters sit in its last stage.
#
# ## 6.6 Classic networks in numbers
#
# | network | year | layers with weights | parameters | multiply-adds |
# |---|---|---|---|---|
# | LeNet-5 (modern) | 1998 | 5 | 61,706 | 0.42 M |
# | AlexNet | 2012 | 8 | about 60 M | 0.7 G |
# | VGG-16 | 2014 | 16 | 138 M | 15.5 G |
# | VGG-19 | 2014 | 19 | 144 M | 19.6 G |
# | ResNet-34 | 2015 | 34 | 21.8 M | 3.6 G |
# | ResNet-50 | 2015 | 50 | 25.6 M | 4.1 G |
#
# **AlexNet** (Krizhevsky et al., 2012) popularized ReLU, max pooling with overlapping
# 3×3 windows, dropout, and several convolutions between two poolings. **VGG** uses only
# 3×3 convolutions (stride 1, padding 1) and 2×2 max pooling, doubling the filters after
# each pooling up to 512; most of VGG-16's 138 million parameters sit in its first fully connected
# layer. **ResNet-34** is deeper than VGG-19 but needs 3.6 billion multiply-adds instead
# of 19.6: no big fully connected layers (global average pooling instead), an early
# reduction of the image with a stride-2 7×7 convolution and a pooling, and the design
# rules above.
#
# Every row describes the network whose table is printed below; for LeNet-5 that is the
# modern version (full C3, ReLU, max pooling). The original of 1998, with its partial C3
# table, trainable subsampling and RBF outputs, has about 60,000 parameters and 340,000
# connections (chapter 5 counts them); its "60 thousand" does not belong with the modern
# layers.
#
# > **A common mistake.** "FLOPs" are counted in two ways. The ResNet paper's "3.6 billion
# > FLOPs (multiply-adds)" for ResNet-34 counts each multiply-add once; tools that count
# > the multiplication and the addition separately report about twice as many (7.3 G).
# > Compare like with like.
#
# The tables below come from `cnnkit.summary` with the built-in network descriptions
# (torchvision's versions of AlexNet, VGG-16 and the ResNets, input 224×224×3; rows that
# change nothing, such as ReLU and dropout, are left out). Check the totals against the
# table above.

# %%
print("LeNet-5 (modern: ReLU, max pooling), input 1x32x32")
summary_lenet = print_compact(lenet5(), (1, 32, 32))

# %%
print("AlexNet (torchvision's single-GPU version), input 3x224x224")
summary_alexnet = print_compact(alexnet(), (3, 224, 224))
original = summarize(alexnet(variant="original"), (3, 227, 227))
print(f"\nThe original two-GPU AlexNet of 2012: {original.total_params:,} parameters")

# %%
print("VGG-16, input 3x224x224")
summary_vgg16 = print_compact(vgg16(), (3, 224, 224))


# %%
def vgg19(num_classes=1000):
    """VGG-19 (configuration E): like VGG-16 with four convolutions in the last three blocks."""
    layers = []
    for C, repeat in [(64, 2), (128, 2), (256, 4), (512, 4), (512, 4)]:
        layers += [Conv(C, 3, pad=1), ReLU()] * repeat + [MaxPool(2)]
    return layers + [
        AdaptiveAvgPool(7),
        Flatten(),
        Linear(4096),
        ReLU(),
        Elementwise("dropout"),
        Linear(4096),
        ReLU(),
        Elementwise("dropout"),
        Linear(num_classes),
    ]


summary_vgg19 = summarize(vgg19(), (3, 224, 224))
print(f"VGG-19: {summary_vgg19.total_params:,} parameters, {summary_vgg19.total_macs:,} MACs")

# %%
print("ResNet-34 (basic blocks, projection shortcuts), input 3x224x224")
summary_resnet34 = print_compact(resnet34(), (3, 224, 224))

# %% [markdown]
# And all of them side by side, on a logarithmic scale (each step is 10×):

# %%
networks = {
    "LeNet-5": summary_lenet,
    "AlexNet": summary_alexnet,
    "VGG-16": summary_vgg16,
    "VGG-19": summary_vgg19,
    "ResNet-34": summary_resnet34,
    "ResNet-50": summarize(resnet50(), (3, 224, 224)),
}
names = list(networks)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for ax, attr, title, unit, scale in [
    (axes[0], "total_params", "parameters", "M", 1e6),
    (axes[1], "total_macs", "multiply-adds per image", "G", 1e9),
]:
    values = [getattr(networks[n], attr) for n in names]
    bars = ax.bar(names, values, color=["C7", "C1", "C3", "C3", "C0", "C0"])
    ax.set_yscale("log")
    ax.set_ylim(min(values) / 3, max(values) * 6)
    ax.set_title(title)
    for bar, v in zip(bars, values, strict=True):
        label = f"{v / scale:.3g} {unit}" if v >= scale / 10 else f"{v:,}"
        ax.text(bar.get_x() + bar.get_width() / 2, v * 1.3, label, ha="center", fontsize=9)
    ax.tick_params(axis="x", rotation=20)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Check your understanding
#
# Set each variable below, then run the cell. The answers are checked when you submit.
#
# 1. `q_one_channel`: a 1×1 convolution with one input channel, one output channel and no
#    bias `"a"`: blurs the image; `"b"`: multiplies every pixel by the same number;
#    `"c"`: mixes neighbouring pixels.
# 2. `q_linear_stack`: can two 1×1 convolutions in a row, with no nonlinearity between
#    them, compute something a single 1×1 convolution cannot (`True`/`False`)?
# 3. `q_resnet_filters`: a ResNet stage works on 56×56 maps with 64 filters; the next
#    stage works on 28×28 maps. How many filters do its layers have (an int)?
# 4. `q_vgg_most_params`: where are most of VGG-16's 138 M parameters? `"a"`: in its 13
#    convolution layers; `"b"`: in its first fully connected layer; `"c"`: in its last
#    fully connected layer (the 1000 classes).
# 5. `q_flops_ratio`: ResNet-34 needs 3.6 G multiply-adds per image, VGG-19 19.6 G.
#    VGG-19 needs about `"a"`: 2 times, `"b"`: 5 times, `"c"`: 20 times as many.

# %% nbgrader={"solution": true, "grade_id": "understanding_answers"}
q_one_channel = None
q_linear_stack = None
q_resnet_filters = None
q_vgg_most_params = None
q_flops_ratio = None
### BEGIN SOLUTION
q_one_channel = "b"
q_linear_stack = False
q_resnet_filters = 128
q_vgg_most_params = "b"
q_flops_ratio = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "understanding", "points": 2}
# Hidden test (2 points): your answers.
answers = {
    "q_one_channel": q_one_channel,
    "q_linear_stack": q_linear_stack,
    "q_resnet_filters": q_resnet_filters,
    "q_vgg_most_params": q_vgg_most_params,
    "q_flops_ratio": q_flops_ratio,
}
if any(value is None for value in answers.values()):
    raise NotImplementedError("answer all five questions above")
### BEGIN HIDDEN TESTS
from autograder.hidden import ch06 as hidden

hidden.understanding(answers)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - A 1×1 convolution is one matrix product over the channels, the same at every pixel:
#   it changes the number of channels, mixes them, and with a ReLU after it adds depth.
# - A convolution layer has $C_\text{out} C_\text{in} k_H k_W (+ C_\text{out})$ parameters
#   and costs $H_\text{out} W_\text{out} C_\text{out} C_\text{in} k_H k_W$ multiplications
#   per image.
# - A 1×1 bottleneck before a 3×3 convolution cut the 100×100×256 example from 5.9 to 1.6
#   billion multiplications, at the price of 3.2 instead of 2.56 million stored values.
# - A depthwise separable convolution (depthwise + pointwise) costs about $1/C_\text{out} + 1/k^2$
#   of a standard one: 39 instead of 108 weights in the 5×5×3 example.
# - An Inception module concatenates parallel branches along the channels; its 1×1
#   reductions cut inception(3a) from 303 to 128 million multiplications.
# - A residual block computes $\operatorname{ReLU}(F(X) + \text{shortcut})$, with a 1×1
#   projection when the shape changes. ResNet-34: 21.8 M parameters, 3.6 G multiply-adds;
#   VGG-16: 138 M parameters.


# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl-S), then run the cell below. It checks the whole chapter the way
# grading does and lists every check with its points and, where one fails, its message
# (the mistake it recognised, if any). With the course repository (self-study) every
# check runs, hidden ones included, in the grading sandbox, and the functions whose
# checks all pass go into your own package `work/mine/`, which later chapters can use;
# in a class's student release, the visible checks run. No answer is shown either way.
# The same from a terminal: `./course.sh check 06`.

# %%
from cnnkit.selfcheck import check_my_work

check_my_work("06")
