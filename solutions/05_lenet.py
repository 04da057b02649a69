# %% [markdown]
# # Chapter 5 · LeNet-5
#
# LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998) read the digits on millions of bank
# cheques in the United States. It is small by today's standards, about 60 thousand
# parameters, and it already has everything a modern CNN has: convolutions with shared
# weights, subsampling, a stack of feature maps that gets deeper as it gets smaller, and
# a classifier on top, all trained end to end by gradient descent.
#
# In this chapter you take LeNet-5 apart and put it back together:
#
# **You will learn to**
# - count the parameters and the connections of every layer of the original LeNet-5,
#   including C3, whose maps see only some of the maps before them;
# - count the parameters of the LeNet variant taught in Andrew Ng's course, and spot the
#   mistakes in a table that circulates widely;
# - compose a network from layers, forward and backward;
# - write the softmax cross-entropy loss, SGD with momentum, a training step and the
#   accuracy;
# - train a modern LeNet on the real Fashion-MNIST data set and look inside it: learning
#   curves, learned filters, feature maps, confusion matrix.
#
# **How this notebook works.** Cells marked `# YOUR CODE HERE` are yours: replace
# `raise NotImplementedError()` with your code. The cell after each exercise runs the
# *visible tests*; when you submit, *hidden tests* also run on other inputs (other
# connection tables, random networks, a small batch of real images). Each check is worth
# its own points, so partial work earns partial credit, and a failing check tells you what
# it expected and what it got. Run the cells from top to bottom.
#
# The layers themselves (convolution, pooling, ReLU, fully connected) come ready-made and
# fast from `cnnkit`: you wrote slow versions of them in chapters 1 to 4. What you write
# here is everything that turns layers into a trained network.

# %%
import os

# One BLAS thread: LeNet's matrices are small, and OpenBLAS threads that wait for a busy
# core make training several times slower. (Must be set before NumPy is imported.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import math
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from cnnkit.checks import CheckFailed, call, expect_array, expect_equal, expect_raises
from cnnkit.data import FASHION_MNIST_CLASSES, load_fashion_mnist
from cnnkit.losses import softmax_cross_entropy as cnnkit_softmax_cross_entropy
from cnnkit.metrics import confusion_matrix, plot_confusion_matrix
from cnnkit.modules import Conv2d, Flatten, Linear, MaxPool2d, ReLU
from cnnkit.own_layers import step_seconds, use_own_layers
from cnnkit.training import History, ProgressBar, minibatches, pad_images, plot_history

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 5.1 The architecture of LeNet-5
#
# LeNet-5 takes a 32×32 grey image. Its layers are named by a letter, **C** for a
# convolution layer, **S** for a subsampling layer (下采样层) and **F** for a fully
# connected layer (全连接层), and by their position:
#
# | layer | what it does | output |
# |---|---|---|
# | input | a 32×32 image | 1@32×32 |
# | C1 | 6 filters of 5×5 | 6@28×28 |
# | S2 | 2×2 subsampling, stride 2 | 6@14×14 |
# | C3 | 16 filters of 5×5, each on **some** of the 6 maps | 16@10×10 |
# | S4 | 2×2 subsampling, stride 2 | 16@5×5 |
# | C5 | 120 filters of 5×5 on all 16 maps | 120@1×1 |
# | F6 | fully connected | 84 |
# | output | 10 Euclidean RBF units, one per class | 10 |
#
# "6@28×28" reads "6 feature maps (特征图) of 28×28". Every convolution is "valid" (no
# padding, stride 1), so each shrinks the maps by $5 - 1 = 4$ pixels: $32 \to 28$,
# $14 \to 10$ and $5 \to 1$.
#
# A few details of the original that modern versions change:
#
# - **Why 32×32?** The MNIST digits are at most 20×20 pixels, centred in a 28×28 field.
#   LeCun et al. padded them to 32×32 so that features near the edge of a digit, such as
#   the end of a stroke, can appear in the centre of the receptive field of the top
#   feature detectors. We will pad Fashion-MNIST's 28×28 images the same way.
# - **Subsampling, not max pooling.** S2 adds up each 2×2 window, multiplies the sum by a
#   trainable coefficient, adds a trainable bias and applies the activation: 2 parameters
#   per map (chapter 3).
# - **Activation.** A scaled hyperbolic tangent, $f(a) = 1.7159 \tanh(\tfrac{2}{3} a)$,
#   not ReLU.
# - **C5 is a convolution.** Its 120 kernels are 5×5×16 (120×16 two-dimensional 5×5
#   kernels), exactly the size of S4's output, so each of its maps is 1×1. It would be a
#   fully connected layer only for this input size; on a larger input C5 would produce
#   larger maps.
# - **Output.** Each output unit $i$ is a Euclidean radial basis function (RBF, 径向基函数)
#   $y_i = \sum_j (x_j - w_{ij})^2$ of F6's 84 outputs, with the $w_{ij}$ chosen by hand
#   (stylized 7×12 bitmaps of the characters) and not trained. Modern versions use a fully
#   connected layer and softmax instead.

# %% [markdown]
# ## 5.2 Counting parameters and connections
#
# The paper reports two numbers per layer:
#
# - **trainable parameters (可训练参数)**: the values that learning changes, weights and
#   biases;
# - **connections (连接数)**: the edges between an input unit (or the bias) and an output
#   unit, i.e. the multiply-adds of one forward pass.
#
# Because of **weight sharing (权值共享)**, one parameter serves many connections: each
# output map of a convolution uses the same kernel and bias at every one of its
# $H_{out} \times W_{out}$ positions. So for a convolution layer
#
# $$\text{parameters} = (\text{number of } k \times k \text{ kernel slices}) \cdot k^2 +
# C_{out}, \qquad \text{connections} = \text{parameters} \cdot H_{out} W_{out}.$$
#
# A kernel slice is one 2-D $k \times k$ kernel between one input map and one output map.
# In an ordinary convolution every output map sees every input map, so there are
# $C_{in} C_{out}$ slices. For C1, one input map and 6 output maps:
# $6 \cdot 25 + 6 = 156$ parameters and $156 \cdot 28 \cdot 28 = 122{,}304$ connections.
#
# ### C3's connection table (连接表)
#
# C3 does not connect every one of its 16 maps to all 6 maps of S2. Table I of the paper
# lists which S2 maps (rows) each C3 map (columns) sees: maps 0–5 see 3 neighbouring
# maps, maps 6–11 four neighbouring maps, maps 12–14 four maps in two pairs, and map 15
# all six. In all, $6 \cdot 3 + 6 \cdot 4 + 3 \cdot 4 + 6 = 60$ kernel slices.
#
# LeCun et al. give two reasons: it keeps the number of connections reasonable (this was
# 1998), and, more interestingly, it **breaks the symmetry** of the network: maps that see
# different inputs are forced to learn different, complementary features.
#
# Here is the table as data, `True` where C3 map $j$ (column) sees S2 map $i$ (row):

# %%
C3_TABLE = np.array(
    [
        # 0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15     C3 map
        [1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1],  # S2 map 0
        [1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1],  # S2 map 1
        [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1],  # S2 map 2
        [0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1],  # S2 map 3
        [0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1],  # S2 map 4
        [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1],  # S2 map 5
    ],
    dtype=bool,
)

fig, ax = plt.subplots(figsize=(9, 3.4))
ax.imshow(C3_TABLE, cmap="Blues", vmin=0, vmax=1.6)
for i, j in zip(*np.nonzero(C3_TABLE), strict=True):
    ax.text(j, i, "X", ha="center", va="center", fontsize=12, fontweight="bold")
ax.set_xticks(range(16), [f"{j}\n({n})" for j, n in enumerate(C3_TABLE.sum(axis=0))])
ax.set_yticks(range(6))
ax.set_xticks(np.arange(-0.5, 16), minor=True)
ax.set_yticks(np.arange(-0.5, 6), minor=True)
ax.grid(which="minor", color="k", linewidth=0.6)
ax.tick_params(which="minor", length=0)
ax.set_xlabel("C3 map (number of S2 maps it sees)")
ax.set_ylabel("S2 map")
ax.set_title(f"C3 connection table (LeCun et al. 1998, Table I): {C3_TABLE.sum()} kernel slices")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Exercise 1 — counting a convolution layer from its connection table
# Write `conv_counts(table, k, H_out, W_out)` returning `(parameters, connections)` for a
# convolution layer whose connection table `table` has shape $(C_{in}, C_{out})$, with
# $k \times k$ kernels, one bias per output map, and output maps of $H_{out} \times
# W_{out}$. Count from the table, do not assume it is full. Raise a `ValueError` if `table`
# is not a 2-D array of `True`/`False` (or 1/0), or if `k`, `H_out` or `W_out` is not a
# positive integer.


# %% nbgrader={"solution": true, "grade_id": "conv_counts"}
def conv_counts(table, k, H_out, W_out):
    """Trainable parameters and connections of a convolution layer with a connection table.

    Parameters
    ----------
    table : array_like of bool, shape (C_in, C_out)
        table[i, j] is True when output map j sees input map i.
    k : int
        Kernel size (k x k).
    H_out, W_out : int
        Size of each output map.

    Returns
    -------
    (parameters, connections) : tuple of two ints
    """
    ### BEGIN SOLUTION
    t = np.asarray(table)
    if t.ndim != 2 or t.size == 0 or t.dtype == object or not np.all((t == 0) | (t == 1)):
        raise ValueError(f"table must be a 2-D array of True/False, got {t!r}")
    for name, value in (("k", k), ("H_out", H_out), ("W_out", W_out)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    slices = int(np.count_nonzero(t))
    C_out = t.shape[1]
    params = slices * k * k + C_out
    return params, params * H_out * W_out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_counts_lenet", "points": 1}
# Visible tests: C1 (one input map, full table) and C3 (Table I).
expect_equal(
    "conv_counts(np.ones((1, 6)), 5, 28, 28)",
    call(conv_counts, (np.ones((1, 6), dtype=bool), 5, 28, 28)),
    (156, 122_304),
    misconceptions={
        "connections = parameters x H_out x W_out: each output unit uses them once": (156, 156),
        "each output map has one bias: add C_out parameters": (150, 117_600),
    },
)
expect_equal(
    "conv_counts(C3_TABLE, 5, 10, 10)",
    call(conv_counts, (C3_TABLE, 5, 10, 10)),
    (1_516, 151_600),
    misconceptions={
        "C3 was counted as fully connected (6 x 16 = 96 slices); count the 60 True entries": (
            2_416,
            241_600,
        ),
        "connections = parameters x H_out x W_out: each output unit uses them once": (
            1_516,
            1_516,
        ),
    },
)
print("conv_counts: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "conv_counts_random", "points": 2}
# Hidden tests (2 points): random connection tables, kernel sizes and non-square maps.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.conv_counts_random(conv_counts)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv_counts_edge_cases", "points": 1}
# Hidden tests (1 point): 1x1 kernels and maps, tables of 0/1 or nested lists, bad input.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.conv_counts_edge_cases(conv_counts)
### END HIDDEN TESTS

# %% [markdown]
# ### The whole network
#
# The other layers need no new idea:
#
# - **S2 and S4** (chapter 3): one coefficient and one bias per map, and each output unit
#   is connected to its 2×2 window and the bias: S2 has $6 \cdot 2 = 12$ parameters and
#   $6 \cdot 14 \cdot 14 \cdot (2 \cdot 2 + 1) = 5{,}880$ connections; S4 has 32 and
#   $16 \cdot 5 \cdot 5 \cdot 5 = 2{,}000$. The function is given below.
# - **C5** is a convolution with a full 16×120 table and 1×1 output maps:
#   $(16 \cdot 120 \cdot 25 + 120) \cdot 1 \cdot 1 = 48{,}120$ parameters and as many
#   connections.
# - **F6** is fully connected, $84 \cdot (120 + 1) = 10{,}164$. A fully connected layer is
#   a convolution with $1 \times 1$ kernels on $1 \times 1$ maps and a full table: you can
#   count it with `conv_counts`.
# - **Output**: 10 RBF units of 84 inputs each, $840$ connections, and no trainable
#   parameters (their centres $w_{ij}$ were fixed by hand).
#
# That is $60{,}000$ trainable parameters and $340{,}908$ connections in all: exactly the
# figures of the paper.
#
# > **A common mistake.** Several lecture notes give C3 $16 \cdot (6 \cdot 25 + 1) =
# > 2{,}416$ parameters: that counts C3 as fully connected. The paper's 1,516 comes from the
# > 60 kernel slices of the connection table, $60 \cdot 25 + 16$. Others list the
# > connections of C1 as 156: connections are parameters times the size of the output map.


# %%
def subsampling_counts(C, H, W, f=2):
    """Parameters and connections of a LeNet-5 subsampling layer (chapter 3)."""
    Ho, Wo = H // f, W // f
    return 2 * C, C * Ho * Wo * (f * f + 1)


# %% [markdown]
# ### Exercise 2 — the table of LeNet-5
# Write `lenet5_counts(c3_table)` returning a dict with one entry per layer,
# `"C1"`, `"S2"`, `"C3"`, `"S4"`, `"C5"`, `"F6"`, `"OUTPUT"`, each a tuple
# `(out_shape, parameters, connections)`. Shapes are `(C, H, W)` for C1 to C5 (C5 is
# `(120, 1, 1)`) and `(84,)`, `(10,)` for F6 and the output. Use `conv_counts` and
# `subsampling_counts`, and count C3 from `c3_table` (a bool array of shape (6, 16); raise
# a `ValueError` for any other shape), so that the function also answers "what if C3 had
# a different table?".


# %% nbgrader={"solution": true, "grade_id": "lenet5_counts"}
def lenet5_counts(c3_table=C3_TABLE):
    """Output shape, trainable parameters and connections of each layer of LeNet-5.

    Parameters
    ----------
    c3_table : array_like of bool, shape (6, 16)
        Which S2 maps each C3 map sees.

    Returns
    -------
    dict
        {"C1": (out_shape, parameters, connections), ..., "OUTPUT": (...)}.
    """
    ### BEGIN SOLUTION
    if np.shape(c3_table) != (6, 16):
        raise ValueError(f"c3_table must have shape (6, 16), got {np.shape(c3_table)}")
    return {
        "C1": ((6, 28, 28), *conv_counts(np.ones((1, 6), dtype=bool), 5, 28, 28)),
        "S2": ((6, 14, 14), *subsampling_counts(6, 28, 28)),
        "C3": ((16, 10, 10), *conv_counts(c3_table, 5, 10, 10)),
        "S4": ((16, 5, 5), *subsampling_counts(16, 10, 10)),
        "C5": ((120, 1, 1), *conv_counts(np.ones((16, 120), dtype=bool), 5, 1, 1)),
        "F6": ((84,), *conv_counts(np.ones((120, 84), dtype=bool), 1, 1, 1)),
        "OUTPUT": ((10,), 0, 84 * 10),
    }
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "lenet5_counts_paper", "points": 2}
# Visible test: the figures of the paper, layer by layer.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.alone(lenet5_counts)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
published = {
    "C1": ((6, 28, 28), 156, 122_304),
    "S2": ((6, 14, 14), 12, 5_880),
    "C3": ((16, 10, 10), 1_516, 151_600),
    "S4": ((16, 5, 5), 32, 2_000),
    "C5": ((120, 1, 1), 48_120, 48_120),
    "F6": ((84,), 10_164, 10_164),
    "OUTPUT": ((10,), 0, 840),
}
counts = call(lenet5_counts, (C3_TABLE,))
if not isinstance(counts, dict) or set(counts) != set(published):
    raise AssertionError(f"lenet5_counts should return a dict with keys {list(published)}")
for layer, want in published.items():
    got = counts[layer]
    got = tuple(tuple(g) if isinstance(g, list) else g for g in got)
    expect_equal(
        f"lenet5_counts(C3_TABLE)[{layer!r}]",
        got,
        want,
        misconceptions={
            "C3 was counted as fully connected; count from the connection table": (
                (16, 10, 10),
                2_416,
                241_600,
            ),
            "the RBF centres of the output layer are fixed, not trained: 0 parameters": (
                (10,),
                840,
                840,
            ),
        },
    )
print("lenet5_counts: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "lenet5_counts_other_tables", "points": 1}
# Hidden tests (1 point): a full C3 table and random tables.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.lenet5_counts_other_tables(lenet5_counts)
### END HIDDEN TESTS

# %% [markdown]
# Your table, with the totals:

# %%
rows = lenet5_counts(C3_TABLE)
print(f"{'layer':<8}{'output':>14}{'parameters':>13}{'connections':>14}")
for layer, (shape, params, conns) in rows.items():
    print(f"{layer:<8}{'x'.join(map(str, shape)):>14}{params:>13,}{conns:>14,}")
total_params = sum(p for _, p, _ in rows.values())
total_conns = sum(c for _, _, c in rows.values())
print(f"{'total':<8}{'':>14}{total_params:>13,}{total_conns:>14,}")
full_c3 = lenet5_counts(np.ones((6, 16), dtype=bool))["C3"]
print(
    f"\nWith a full C3 table, C3 would have {full_c3[1]:,} parameters "
    f"and {full_c3[2]:,} connections."
)

# %% [markdown]
# ## 5.3 The LeNet of Andrew Ng's course
#
# Andrew Ng's CNN course presents a LeNet-5-like network for 32×32×3 colour images, with
# modern layers (max pooling, every map connected to every map) and this table:
#
# | layer | activation shape | activation size | parameters |
# |---|---|---|---|
# | input | 32×32×3 | 3,072 | 0 |
# | CONV1 (8 filters 5×5, stride 1) | 28×28×8 | 6,272 | 608 |
# | POOL1 (2×2, stride 2) | 14×14×8 | 1,568 | 0 |
# | CONV2 (16 filters 5×5, stride 1) | 10×10×16 | 1,600 | 3,216 |
# | POOL2 (2×2, stride 2) | 5×5×16 | 400 | 0 |
# | FC3 | 120 | 120 | 48,120 |
# | FC4 | 84 | 84 | 10,164 |
# | softmax | 10 | 10 | 850 |
#
# A filter of a multi-channel convolution spans all input channels (chapter 2), so CONV1
# has $8 \cdot (5 \cdot 5 \cdot 3 + 1) = 608$ parameters and CONV2 $16 \cdot (5 \cdot 5
# \cdot 8 + 1) = 3{,}216$. A fully connected layer from $D$ to $M$ units has $D M + M$.
# Note the pattern, typical of CNNs: the activations shrink layer after layer, while
# most parameters sit in the first fully connected layer.
#
# > **A common mistake.** The version of this table that circulates on slides and blogs
# > reads 208, 416, 48,001, 10,081 and 841. The first two forget the input channels
# > ($8 \cdot (5 \cdot 5 + 1) = 208$, $16 \cdot (5 \cdot 5 + 1) = 416$); the last three
# > count one bias for the whole layer instead of one per unit ($400 \cdot 120 + 1$).
#
# ### Exercise 3 — a layer table
# Write `layer_table(layers, input_shape)` for a network described as a list of tuples:
#
# - `("conv", C_out, k)` or `("conv", C_out, k, stride, pad)`: $C_{out}$ filters of
#   $k \times k$ with bias; stride 1 and no padding by default;
# - `("pool", f)` or `("pool", f, stride)`: $f \times f$ pooling, stride $f$ by default;
# - `("fc", M)`: a fully connected layer with bias on the flattened input.
#
# `input_shape` is `(C, H, W)`. Return a list with one tuple
# `(out_shape, activation_size, parameters)` per layer, with `out_shape` as `(C, H, W)`
# after conv and pool layers and `(M,)` after fc layers, and the output size
# $\lfloor (n + 2p - k)/s \rfloor + 1$. Raise a `ValueError` for an unknown layer kind, a
# kernel or window larger than its (padded) input, or a conv or pool layer after an fc
# layer.


# %% nbgrader={"solution": true, "grade_id": "layer_table"}
def layer_table(layers, input_shape):
    """Output shape, activation size and parameters of each layer of a simple CNN.

    Parameters
    ----------
    layers : list of tuple
        ("conv", C_out, k[, stride, pad]), ("pool", f[, stride]) or ("fc", M).
    input_shape : tuple of int
        (C, H, W) of one input.

    Returns
    -------
    list of (out_shape, activation_size, parameters)
    """
    ### BEGIN SOLUTION
    shape = tuple(input_shape)
    rows = []
    for spec in layers:
        kind = spec[0]
        if kind == "fc":
            M = spec[1]
            D = math.prod(shape)
            shape, params = (M,), D * M + M
        elif kind in ("conv", "pool"):
            if len(shape) != 3:
                raise ValueError(f"a {kind} layer needs a (C, H, W) input, got {shape}")
            C, H, W = shape
            if kind == "conv":
                if len(spec) not in (3, 5):
                    raise ValueError(
                        f"a conv layer is ('conv', C_out, k) or ('conv', C_out, k, stride, pad), "
                        f"got {spec!r}"
                    )
                C_out, k = spec[1], spec[2]
                s, p = (spec[3], spec[4]) if len(spec) == 5 else (1, 0)
                if k > H + 2 * p or k > W + 2 * p:
                    raise ValueError(f"a {k}x{k} kernel does not fit a {H}x{W} input")
                shape = (C_out, (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1)
                params = (C * k * k + 1) * C_out
            else:
                f = spec[1]
                s = spec[2] if len(spec) == 3 else f
                if f > H or f > W:
                    raise ValueError(f"a {f}x{f} window does not fit a {H}x{W} input")
                shape, params = (C, (H - f) // s + 1, (W - f) // s + 1), 0
        else:
            raise ValueError(f"unknown layer kind {kind!r}")
        rows.append((shape, math.prod(shape), params))
    return rows
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "layer_table_ng", "points": 2}
# Visible test: Andrew Ng's LeNet on a 32x32x3 image.
NG_LAYERS = [
    ("conv", 8, 5),
    ("pool", 2),
    ("conv", 16, 5),
    ("pool", 2),
    ("fc", 120),
    ("fc", 84),
    ("fc", 10),
]
ng_want = [
    ((8, 28, 28), 6_272, 608),
    ((8, 14, 14), 1_568, 0),
    ((16, 10, 10), 1_600, 3_216),
    ((16, 5, 5), 400, 0),
    ((120,), 120, 48_120),
    ((84,), 84, 10_164),
    ((10,), 10, 850),
]
ng_slide = [208, 0, 416, 0, 48_001, 10_081, 841]
ng_rows = call(layer_table, (NG_LAYERS, (3, 32, 32)))
if not isinstance(ng_rows, (list, tuple)) or len(ng_rows) != len(ng_want):
    raise AssertionError(f"layer_table should return {len(ng_want)} rows, one per layer")
for spec, got, want, slide in zip(NG_LAYERS, ng_rows, ng_want, ng_slide, strict=True):
    got = tuple(tuple(g) if isinstance(g, list) else g for g in got)
    expect_equal(
        f"layer_table(NG_LAYERS, (3, 32, 32)), row {spec}",
        got,
        want,
        misconceptions={
            "that is the number on the widely copied slide; see the common mistake above": (
                want[0],
                want[1],
                slide,
            )
        },
    )
print("layer_table: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "layer_table_random", "points": 2}
# Hidden tests (2 points): random networks with stride, padding, non-square and
# one-channel inputs, and bad descriptions that must raise ValueError.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.layer_table_random(layer_table)
### END HIDDEN TESTS

# %% [markdown]
# ## 5.4 A network from layers
#
# From here on we build a **modern LeNet**: ReLU instead of the scaled tanh, max pooling
# instead of trainable subsampling, a full C3, and a fully connected output layer whose
# 10 scores go into a softmax. It has the shapes of LeNet-5:
#
# $$1@32{\times}32 \xrightarrow{\text{conv } 5\times5} 6@28{\times}28
# \xrightarrow{\text{pool}} 6@14{\times}14 \xrightarrow{\text{conv } 5\times5}
# 16@10{\times}10 \xrightarrow{\text{pool}} 16@5{\times}5 \to 400 \to 120 \to 84 \to 10,$$
#
# with a ReLU after each convolution and after the first two fully connected layers (not
# after the last: the scores must be able to be negative). Its parameters:
# $156 + 2{,}416 + 48{,}120 + 10{,}164 + 850 = 61{,}706$.
#
# The layers come from `cnnkit.modules`, fast (im2col) versions of what you wrote in
# chapters 2 to 4. Every layer has
#
# - `layer.forward(X)`, which returns the output and remembers what the backward pass needs;
# - `layer.backward(dout)`, which returns the gradient with respect to its input and
#   stores the gradients of its parameters in `layer.grads`;
# - `layer.params`, a dict of its parameter arrays (`"W"` and `"b"`; empty for ReLU,
#   pooling and Flatten), and `layer.grads`, a dict with the same keys.
#
# `Conv2d(C_in, C_out, k, rng=rng, dtype=dtype)` has weights `W` of shape
# (C_out, C_in, k, k); `Linear(D, M, rng=rng, dtype=dtype)` has weights of shape
# (D, M) and computes `X @ W + b`; `MaxPool2d(2)` pools 2×2 with stride 2; `Flatten()`
# reshapes (N, C, H, W) to (N, C·H·W). Weights start random (He initialization: normal
# with variance $2/\text{fan-in}$, suited to ReLU), biases at zero.
#
# The **forward pass (前向传播)** of the network applies the layers in order. The
# **backward pass** applies their backward methods in the *reverse* order, each passing
# the gradient with respect to its input to the layer before it (chapter 4).
#
# ### Exercise 4 — build the network, forward and backward
# - `build_lenet(rng=None, dtype=np.float32)` returns the list of the 12 layers above, in
#   order: conv, ReLU, pool, conv, ReLU, pool, Flatten, Linear, ReLU, Linear, ReLU, Linear.
#   Pass `rng` and `dtype` to every layer with weights, after turning `rng` into one
#   generator with `np.random.default_rng`, so that the layers draw different weights.
# - `forward(layers, X)` returns the output of the last layer.
# - `backward(layers, dout)` returns the gradient with respect to the network's input.
#
# `cnnkit.modules` also has a `Sequential` container that does this; write the loops
# yourself (the hidden tests check).


# %% nbgrader={"solution": true, "grade_id": "network"}
def build_lenet(rng=None, dtype=np.float32):
    """The modern LeNet-5 as a list of cnnkit layers.

    Parameters
    ----------
    rng : numpy.random.Generator or int, optional
        Source of the initial weights.
    dtype : floating dtype
        Of every parameter.

    Returns
    -------
    list of 12 layers
        Input (N, 1, 32, 32), output scores (N, 10).
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(rng)
    return [
        Conv2d(1, 6, 5, rng=rng, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Conv2d(6, 16, 5, rng=rng, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(400, 120, rng=rng, dtype=dtype),
        ReLU(),
        Linear(120, 84, rng=rng, dtype=dtype),
        ReLU(),
        Linear(84, 10, rng=rng, dtype=dtype),
    ]
    ### END SOLUTION


def forward(layers, X):
    """Apply the layers in order.

    Parameters
    ----------
    layers : list of layers
    X : ndarray
        Input of the first layer, e.g. (N, 1, 32, 32).

    Returns
    -------
    ndarray
        Output of the last layer, e.g. scores (N, 10).
    """
    ### BEGIN SOLUTION
    out = X
    for layer in layers:
        out = layer.forward(out)
    return out
    ### END SOLUTION


def backward(layers, dout):
    """Backpropagate through the layers, last to first (after forward).

    Parameters
    ----------
    layers : list of layers
    dout : ndarray
        Gradient of the loss with respect to the network's output.

    Returns
    -------
    ndarray
        Gradient with respect to the network's input. Each layer's parameter gradients
        are left in layer.grads.
    """
    ### BEGIN SOLUTION
    for layer in reversed(layers):
        dout = layer.backward(dout)
    return dout
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "network_lenet", "points": 1}
# Visible test: the layers' parameter shapes, 61,706 parameters, scores of shape (2, 10).
net = call(build_lenet, (), {"rng": 0})
shapes = [tuple(p.shape) for layer in net for p in layer.params.values()]
expect_equal(
    "parameter shapes of build_lenet()",
    shapes,
    [
        (6, 1, 5, 5),
        (6,),
        (16, 6, 5, 5),
        (16,),
        (400, 120),
        (120,),
        (120, 84),
        (84,),
        (84, 10),
        (10,),
    ],
)
expect_equal(
    "number of parameters of build_lenet()",
    int(sum(p.size for layer in net for p in layer.params.values())),
    61_706,
)
expect_equal("number of layers of build_lenet()", len(net), 12)
# Each layer must draw its own initial weights: layers that start from the same random
# numbers (the seed handed to every layer) have proportional weights.
firsts = [np.ravel(layer.params["W"])[:150] for layer in net if "W" in layer.params]
for i in range(len(firsts)):
    for j in range(i):
        if abs(np.corrcoef(firsts[i], firsts[j])[0, 1]) > 0.999:
            raise CheckFailed(
                f"build_lenet(rng=0): the weights of weight layers {j} and {i} start from the "
                "same random numbers: the seed was given to every layer; make one generator, "
                "np.random.default_rng(rng), and pass that generator to every layer"
            )
scores_demo = call(forward, (net, np.zeros((2, 1, 32, 32), dtype=np.float32)))
expect_equal(
    "shape of forward(build_lenet(), X) for X of shape (2, 1, 32, 32)",
    tuple(np.shape(scores_demo)),
    (2, 10),
)
print("build_lenet: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "network_tiny_example", "points": 1}
# Visible test: Linear -> ReLU -> Linear on one input, worked out by hand.
#   X = [1, 2];  X @ W1 + b1 = [5, -2];  ReLU -> [5, 0];  @ W2 + b2 = 5 + 0.5 = 5.5
#   backward with dout = 1:  [1, 3] -> ReLU mask [1, 0] -> [1, 0] @ W1.T = [1, 2]
tiny = [Linear(2, 2, dtype=np.float64), ReLU(), Linear(2, 1, dtype=np.float64)]
tiny[0].params["W"][...] = [[1.0, -1.0], [2.0, 0.0]]
tiny[0].params["b"][...] = [0.0, -1.0]
tiny[2].params["W"][...] = [[1.0], [3.0]]
tiny[2].params["b"][...] = [0.5]
expect_array(
    "forward(tiny, [[1, 2]])",
    call(forward, (tiny, np.array([[1.0, 2.0]]))),
    [[5.5]],
    misconceptions={"the ReLU was skipped (or applied in the wrong place)": [[-0.5]]},
)
expect_array(
    "backward(tiny, [[1]])",
    call(backward, (tiny, np.array([[1.0]]))),
    [[1.0, 2.0]],
    misconceptions={"the ReLU mask was not applied on the way back": [[-2.0, 2.0]]},
)
expect_array("tiny[0].grads['W'] after backward", tiny[0].grads["W"], [[1, 0], [2, 0]])
expect_array("tiny[2].grads['W'] after backward", tiny[2].grads["W"], [[5], [0]])
print("forward/backward: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "network_hidden", "points": 2}
# Hidden tests (2 points): build_lenet checked layer by layer against the reference
# network (same weights), and forward/backward on random stacks of layers in float64.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.network_hidden(build_lenet, forward, backward)
### END HIDDEN TESTS

# %% [markdown]
# ## 5.5 The loss: softmax cross-entropy
#
# The network's last layer gives $K = 10$ **scores** (logits) $s_{n,1}, \dots, s_{n,K}$
# for each image $n$ of a batch of $N$. The softmax turns them into probabilities and the
# **cross-entropy (交叉熵)** loss is the mean, over the batch, of minus the log-probability
# of the correct class $y_n$:
#
# $$p_{n,k} = \frac{e^{s_{n,k}}}{\sum_j e^{s_{n,j}}}, \qquad
# L = -\frac{1}{N}\sum_{n=1}^{N} \log p_{n,y_n}, \qquad
# \frac{\partial L}{\partial s_{n,k}} = \frac{p_{n,k} - [k = y_n]}{N}.$$
#
# Two details matter (chapter 4): compute $\log p_{n,k} = (s_{n,k} - m_n) -
# \log\sum_j e^{s_{n,j} - m_n}$ with $m_n = \max_j s_{n,j}$, so that no exponential
# overflows; and **average over the batch**, so that the size of the gradient, and hence
# a good learning rate, does not depend on the batch size.
#
# **Worked example.** Scores $(2, 1, 0)$ with label 0 and $(0, 0, 0)$ with label 2:
# $-\log p = \log(e^2 + e + 1) - 2 = 0.4076$ and $\log 3 = 1.0986$; the loss is their
# mean, $0.7531$.
#
# ### Exercise 5 — softmax cross-entropy
# Write `softmax_cross_entropy(scores, y)` returning `(loss, dscores)`: the mean loss (a
# float) and its gradient with respect to `scores` (shape (N, K)). Make it stable for
# scores of $\pm 1000$. Raise a `ValueError` if `y` does not have shape (N,) or holds a
# label outside $0, \dots, K-1$. Do not use `cnnkit.losses` (the hidden tests check).


# %% nbgrader={"solution": true, "grade_id": "softmax_cross_entropy"}
def softmax_cross_entropy(scores, y):
    """Mean softmax cross-entropy over a batch, and its gradient.

    Parameters
    ----------
    scores : ndarray of shape (N, K)
    y : ndarray of int, shape (N,)

    Returns
    -------
    loss : float
    dscores : ndarray of shape (N, K)
    """
    ### BEGIN SOLUTION
    scores = np.asarray(scores)
    y = np.asarray(y)
    N, K = scores.shape
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.shape != (N,) or y.min() < 0 or y.max() >= K:
        raise ValueError(f"y must hold {N} labels in 0..{K - 1}, got {y!r}")
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    loss = -float(log_probs[rows, y].mean())
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    return loss, dscores / N
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "softmax_cross_entropy_worked_example", "points": 1}
# Visible tests: the worked example, also shifted by +1000 (the loss must not change).
scores_ex = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
y_ex = np.array([0, 2])
dscores_want = [
    [-0.1673795221125891, 0.12236423552739882, 0.04501528658519022],
    [0.16666666666666666, 0.16666666666666666, -0.33333333333333337],
]
# What a softmax normalised over the wrong axis (axis 0, the batch) gives, with each
# column's or each row's maximum subtracted first:
WRONG_AXIS = "the softmax was normalised over axis 0 (the batch): each ROW must sum to 1"
wrong_axis = {}
for i, shifted in enumerate(
    [scores_ex - scores_ex.max(axis=0), scores_ex - scores_ex.max(axis=1, keepdims=True)]
):
    p_wrong = np.exp(shifted) / np.exp(shifted).sum(axis=0)
    wrong_axis[WRONG_AXIS + " " * i] = (
        -np.mean(np.log(p_wrong[[0, 1], y_ex])),
        (p_wrong - np.array([[1, 0, 0], [0, 0, 1]])) / 2,
    )
for shift in (0.0, 1000.0):
    result = call(softmax_cross_entropy, (scores_ex + shift, y_ex))
    expect_equal("number of values returned (loss, dscores)", len(result), 2)
    loss_ex, dscores_ex = result
    expect_array(
        f"loss for scores + {shift:g}",
        loss_ex,
        0.7531091265562451,
        misconceptions={
            "the loss was summed over the batch; average it (divide by N)": (1.5062182531124901),
            **{message: value for message, (value, _) in wrong_axis.items()},
        },
    )
    expect_array(
        f"dscores for scores + {shift:g}",
        dscores_ex,
        dscores_want,
        misconceptions={
            "the gradient was not divided by the batch size N": 2 * np.array(dscores_want),
            "the gradient has the wrong sign: it is p - onehot(y)": -np.array(dscores_want),
            **{message: d for message, (_, d) in wrong_axis.items()},
        },
    )
expect_raises(softmax_cross_entropy, (scores_ex, np.array([0, 3])), why="label 3 with K = 3")
print("softmax_cross_entropy: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "softmax_cross_entropy_hidden", "points": 2}
# Hidden tests (2 points): random scores of many shapes (N = 1, K = 2, ...), scores of
# +-1000, and bad labels.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.softmax_cross_entropy_hidden(softmax_cross_entropy)
### END HIDDEN TESTS

# %% [markdown]
# ## 5.6 SGD with momentum
#
# **Mini-batch stochastic gradient descent (小批量随机梯度下降)** updates every parameter
# $p$ after each batch, against the gradient $g = \partial L / \partial p$ of that batch's
# loss, scaled by the **learning rate (学习率)** $\eta$: $p \leftarrow p - \eta g$. The
# gradient of one batch is noisy, and in a long narrow valley of the loss it points mostly
# across the valley, so plain SGD zigzags.
#
# **Momentum (动量)** keeps a running **velocity** $v$ (one per parameter, same shape,
# starting at 0) and moves along it:
#
# $$v \leftarrow \mu v - \eta\, g, \qquad p \leftarrow p + v,$$
#
# with $\mu$ typically 0.9. Gradients that keep the same direction add up (with a constant
# gradient the step grows to $\eta g / (1 - \mu)$, ten times the plain step for
# $\mu = 0.9$), while those that flip sign from step to step cancel out.
#
# **Conventions.** This is the form of CS231n and many lecture notes, and the one this
# chapter tests. PyTorch's `torch.optim.SGD` (and `cnnkit.modules.SGD`) keeps a buffer
# $u \leftarrow \mu u + g$ and steps $p \leftarrow p - \eta u$. From the same start
# ($v = u = 0$) and with a **constant** $\eta$ the two give identical parameters, with
# $v = -\eta u$ at every step. They differ once $\eta$ changes during training: PyTorch
# rescales the whole accumulated buffer with the new $\eta$, ours only the new gradient.
#
# > **A common mistake.** Writing $v \leftarrow \mu v + \eta g$ and then $p \leftarrow p +
# > v$: the network climbs the loss. Whichever convention you use, the gradient must be
# > *subtracted* from the parameters in the end.
#
# **Worked example.** $p = (1, -2)$, $g = (0.5, -1)$, $v = (0.1, 0)$, $\eta = 0.1$, $\mu =
# 0.9$: $v = 0.9 \cdot (0.1, 0) - 0.1 \cdot (0.5, -1) = (0.04, 0.1)$ and $p = (1.04, -1.9)$.
#
# ### Exercise 6 — the momentum update
# Write `sgd_momentum(p, g, v, lr, momentum)` returning the new `(p, v)`, in the
# convention above (it may return new arrays; the training step will store them). Raise a
# `ValueError` if `lr` is not positive, if `momentum` is not in $[0, 1)$, or if `p`, `g`
# and `v` do not have the same shape.


# %% nbgrader={"solution": true, "grade_id": "sgd_momentum"}
def sgd_momentum(p, g, v, lr, momentum):
    """One SGD-with-momentum update: v <- momentum * v - lr * g, p <- p + v.

    Parameters
    ----------
    p, g, v : ndarray, all of the same shape
        Parameter, its gradient, its velocity.
    lr : float
        Learning rate, > 0.
    momentum : float
        In [0, 1).

    Returns
    -------
    (p_new, v_new) : two ndarrays of p's shape
    """
    ### BEGIN SOLUTION
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    if not np.shape(p) == np.shape(g) == np.shape(v):
        raise ValueError(f"p, g, v shapes differ: {np.shape(p)}, {np.shape(g)}, {np.shape(v)}")
    v_new = momentum * v - lr * g
    return p + v_new, v_new
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "sgd_momentum_worked_example", "points": 1}
# Visible test: the worked example.
result = call(
    sgd_momentum, (np.array([1.0, -2.0]), np.array([0.5, -1.0]), np.array([0.1, 0.0]), 0.1, 0.9)
)
expect_equal("number of values returned (p, v)", len(result), 2)
expect_array(
    "new p",
    result[0],
    [1.04, -1.9],
    misconceptions={
        "momentum applied with the wrong sign: v = mu v - lr g, so the step goes downhill": [
            1.14,
            -2.1,
        ],
        "p must move by the new velocity, not the old one": [1.1, -2.0],
    },
)
expect_array(
    "new v",
    result[1],
    [0.04, 0.1],
    misconceptions={
        "that is v for the convention v <- mu v + lr g, p <- p - v; "
        "this chapter uses v <- mu v - lr g, p <- p + v": [-0.04, -0.1],
    },
)
print("sgd_momentum: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "sgd_momentum_hidden", "points": 2}
# Hidden tests (2 points): random parameters of many shapes, several steps, momentum 0.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.sgd_momentum_hidden(sgd_momentum)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd_momentum_edge_cases", "points": 1}
# Hidden tests (1 point): bad learning rates, momentum outside [0, 1), mismatched shapes.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.sgd_momentum_edge_cases(sgd_momentum)
### END HIDDEN TESTS

# %% [markdown]
# Here is **your** `sgd_momentum` on a long narrow valley, $f(x, y) = \tfrac12 (x^2 + 25
# y^2)$, from $(-9, 1.5)$, with the same learning rate. Without momentum the steps bounce
# between the walls and crawl along the floor; with momentum they build up speed along the
# valley. Move the sliders: what happens with $\mu = 0.99$, or with a learning rate above
# $2/25 = 0.08$ and no momentum?


# %%
def valley_paths(lr=0.07, momentum=0.9, steps=40):
    grad = np.array([1.0, 25.0])  # gradient of f is (x, 25 y)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    xs, ys = np.meshgrid(np.linspace(-10, 2, 200), np.linspace(-2.2, 2.2, 120))
    ax.contour(
        xs,
        ys,
        0.5 * (xs**2 + 25 * ys**2),
        levels=np.geomspace(0.5, 80, 10),
        colors="0.75",
        linewidths=0.8,
    )
    for mu, color in ((0.0, "C3"), (momentum, "C0")):
        p, v, path = np.array([-9.0, 1.5]), np.zeros(2), [np.array([-9.0, 1.5])]
        for _ in range(steps):
            p, v = sgd_momentum(p, grad * p, v, lr, mu)
            path.append(np.clip(p, -50, 50))
        path = np.array(path)
        ax.plot(
            path[:, 0],
            path[:, 1],
            "o-",
            color=color,
            markersize=3,
            label=f"momentum {mu:g}: f = {0.5 * (p[0] ** 2 + 25 * p[1] ** 2):.3g} "
            f"after {steps} steps",
        )
    ax.set_xlim(-10, 2)
    ax.set_ylim(-2.2, 2.2)
    ax.set_title(f"learning rate {lr:g}")
    ax.legend(loc="lower right", fontsize=8)
    plt.show()


_ = widgets.interact(
    valley_paths,
    lr=widgets.FloatSlider(value=0.07, min=0.005, max=0.09, step=0.005, readout_format=".3f"),
    momentum=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01),
    steps=widgets.IntSlider(value=40, min=5, max=150),
)

# %% [markdown]
# ## 5.7 One training step
#
# Training repeats one **training step** per mini-batch:
#
# 1. **forward**: scores $=$ `forward(layers, X)`;
# 2. **loss**: `loss, dscores = softmax_cross_entropy(scores, y)`;
# 3. **backward**: `backward(layers, dscores)` leaves every parameter's gradient in
#    `layer.grads`;
# 4. **update**: every parameter `layer.params[name]` moves by `sgd_momentum`, with its own
#    velocity `velocities[i][name]`.
#
# The velocities live outside the layers, one dict per layer with the same keys as its
# `params`, all zero at the start (`init_velocities` below). The loss returned is the one
# computed in step 2, *before* the update.
#
# ### Exercise 7 — the training step
# Write `train_step(layers, velocities, X, y, lr, momentum)`. It updates the parameters
# (write the new values into the layer's array, `layer.params[name][...] = p_new`, or
# replace it, `layer.params[name] = p_new`) and the velocities in place, and returns the
# loss as a float. Use your functions from the exercises above, not `cnnkit`'s `SGD` or
# losses.


# %%
def init_velocities(layers):
    """One dict per layer: a zero velocity for each of its parameters."""
    return [{name: np.zeros_like(p) for name, p in layer.params.items()} for layer in layers]


# %% nbgrader={"solution": true, "grade_id": "train_step"}
def train_step(layers, velocities, X, y, lr, momentum):
    """Forward, loss, backward and SGD-with-momentum update of every parameter.

    Parameters
    ----------
    layers : list of layers
    velocities : list of dict
        velocities[i][name] is the velocity of layers[i].params[name]; updated in place.
    X : ndarray
        A mini-batch of inputs.
    y : ndarray of int, shape (N,)
        Their labels.
    lr, momentum : float

    Returns
    -------
    float
        The loss of the batch, before the update.
    """
    ### BEGIN SOLUTION
    loss, grad_scores = softmax_cross_entropy(forward(layers, X), y)
    backward(layers, grad_scores)
    for layer, velocity in zip(layers, velocities, strict=True):
        for name, p in layer.params.items():
            p_new, velocity[name] = sgd_momentum(p, layer.grads[name], velocity[name], lr, momentum)
            p[...] = p_new
    return loss
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "train_step_worked_example", "points": 2}
# Visible test: softmax regression (one Linear layer), two steps on the same batch, with
# lr = 0.5 and momentum 0.9. Expected values computed with PyTorch's SGD (same update for a
# constant learning rate).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.alone(train_step)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
lin = [Linear(2, 2, dtype=np.float64)]
lin[0].params["W"][...] = [[0.1, -0.2], [0.3, 0.0]]
lin[0].params["b"][...] = [0.0, 0.0]
vel = init_velocities(lin)
X_step, y_step = np.array([[1.0, 2.0], [0.0, -1.0]]), np.array([0, 1])
losses = [call(train_step, (lin, vel, X_step, y_step, 0.5, 0.9)) for _ in range(2)]
expect_array(
    "losses of the two steps",
    np.array(losses, dtype=float),
    [0.44775455960030747, 0.23961773318528204],
    misconceptions={
        "return the loss computed before the update, not after it": [
            0.23961773318528204,
            0.0963461477745112,
        ]
    },
)
expect_array(
    "W after two steps",
    lin[0].params["W"],
    [[0.2676305550566349, -0.3676305550566349], [0.9112101865054933, -0.6112101865054933]],
)
expect_array("b after two steps", lin[0].params["b"], [-0.10831852133558863, 0.10831852133558863])
expect_array(
    "velocities[0]['W'] after two steps",
    vel[0]["W"],
    [[0.09536793071288589, -0.09536793071288586], [0.36029556702091003, -0.36029556702091]],
)
print("train_step: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "train_step_real_batch", "points": 2}
# Hidden tests (2 points): three steps of the LeNet (float64) on small batches of real
# Fashion-MNIST images, compared with the reference: losses, parameters and velocities.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.train_step_real_batch(train_step)
### END HIDDEN TESTS

# %% [markdown]
# ## 5.8 Accuracy
#
# The loss is what training minimizes; what we report is the **accuracy (准确率)**: the
# fraction of images whose highest score is the correct class,
# $\frac1N \sum_n [\arg\max_k s_{n,k} = y_n]$. Softmax does not change which score is
# largest, so the scores can be used directly.
#
# ### Exercise 8 — accuracy
# Write `accuracy(scores, y)` returning a float between 0 and 1. Raise a `ValueError` if
# `scores` is not 2-D or `y` does not have one label per row.


# %% nbgrader={"solution": true, "grade_id": "accuracy"}
def accuracy(scores, y):
    """Fraction of rows of scores whose largest entry is at the true label.

    Parameters
    ----------
    scores : ndarray of shape (N, K)
    y : ndarray of int, shape (N,)

    Returns
    -------
    float in [0, 1]
    """
    ### BEGIN SOLUTION
    scores, y = np.asarray(scores), np.asarray(y)
    if scores.ndim != 2 or y.shape != (scores.shape[0],):
        raise ValueError(f"scores {scores.shape} and labels {y.shape} do not match")
    return float(np.mean(np.argmax(scores, axis=1) == y))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "accuracy_worked_example", "points": 1}
# Visible test: the predicted classes are [1, 0, 2, 0]; three of the four are right.
scores_acc = np.array([[0.1, 2.0, -1.0], [3.0, 0.5, 0.2], [0.0, 0.1, 0.3], [1.0, 0.5, 0.0]])
y_acc = np.array([1, 0, 2, 2])
expect_equal(
    "accuracy(scores, y)",
    call(accuracy, (scores_acc, y_acc)),
    0.75,
    misconceptions={
        "compare the index of the largest score (argmax), not the score itself (max)": 0.0,
        "accuracy is a fraction between 0 and 1, not a percentage": 75.0,
        "that is the error rate; accuracy counts the right predictions": 0.25,
    },
)
print("accuracy: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "accuracy_hidden", "points": 1}
# Hidden tests (1 point): random scores and labels of many sizes, one row, bad shapes.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.accuracy_hidden(accuracy)
### END HIDDEN TESTS

# %% [markdown]
# ## 5.9 Training LeNet on Fashion-MNIST
#
# Fashion-MNIST (Zalando, 2017) has the format of MNIST, 28×28 grey images in 10 classes,
# 60,000 for training and 10,000 for testing, but shows clothes instead of digits, which
# makes it harder. We pad every image with 2 zeros on each side to 32×32, as LeCun et al.
# did with MNIST (the background is 0, so the padding is invisible), and hold out 5,000
# training images as a **validation set (验证集)** to watch during training; the **test
# set (测试集)** is only used at the end.
#
# Then we **standardize (标准化)** the pixels: subtract the mean of the training images and
# divide by their standard deviation, so that the inputs are centred on 0 with a spread
# of 1. He initialization (section 5.4) assumes inputs of that scale; raw pixels in
# [0, 1], all positive, push every first-layer output the same way at the start and slow
# training down. The validation and test images get the same transformation, with the
# training images' mean and standard deviation (the test set must stay unseen).

# %%
X_train_full, y_train_full = load_fashion_mnist("train", normalize=True)
X_test_raw, y_test = load_fashion_mnist("test", normalize=True)
X_train_full = pad_images(X_train_full, 2)  # (60000, 1, 32, 32), float32 in [0, 1]
X_test = pad_images(X_test_raw, 2)

SEED = 0
split = np.random.default_rng(SEED).permutation(len(X_train_full))
X_train, y_train = X_train_full[split[5_000:]], y_train_full[split[5_000:]]
X_val, y_val = X_train_full[split[:5_000]], y_train_full[split[:5_000]]
MEAN, STD = X_train.mean(), X_train.std()  # of the training images only
for X in (X_train, X_val, X_test):  # in place: all three are copies of the loaded images
    X -= MEAN
    X /= STD
print(f"train {X_train.shape}, validation {X_val.shape}, test {X_test.shape}, {X_train.dtype}")
print(f"standardized with the training images' mean {MEAN:.4f} and standard deviation {STD:.4f}")

fig, axes = plt.subplots(2, 10, figsize=(12, 2.9))
for k, name in enumerate(FASHION_MNIST_CLASSES):
    for row, i in enumerate(np.flatnonzero(y_train == k)[:2]):
        axes[row, k].imshow(X_train[i, 0], cmap="gray_r")
        axes[row, k].axis("off")
    axes[0, k].set_title(name, fontsize=9)
fig.suptitle("Fashion-MNIST training images, padded to 32×32")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Your own layers or cnnkit's (the switch)
#
# The layers of `build_lenet` are cnnkit's. You wrote the same layers yourself: the
# convolution's forward pass in chapter 2 (`conv_forward_im2col`) and its backward pass in
# chapter 4 (`conv2d_backward`), max pooling in chapter 3, ReLU in chapter 4. Each time
# `./course.sh check 02` (or `check_my_work`) finds all the checks of one of your
# functions passing, it puts the function in your own package, `work/mine/`. With
# `USE_MY_LAYERS = True` the network below trains on yours, kind by kind: a kind of layer
# is yours when both its forward and backward functions are in `mine`, and cnnkit's
# otherwise. The cell says whose each one is, and times one training step on both.
#
# Your functions work in float64 and were written to be clear, not fast, so training on
# them takes longer (with the instructor's answers of chapters 2 to 4: about 6 times
# as long as on cnnkit's, i.e. several minutes for the default run). The time printed
# below is an estimate for the whole run; set `USE_MY_LAYERS = False` to train on cnnkit's
# layers instead. While the notebook is graded, the network always uses cnnkit's layers:
# each chapter is graded on its own exercises only.

# %%
USE_MY_LAYERS = True  # the switch: False trains on cnnkit's layers


def my_layers_or_cnnkit(layers, batch_size=64, steps=None):
    """``layers`` with your own layers swapped in where you have them (if switched on)."""
    if not USE_MY_LAYERS or os.environ.get("NBGRADER_EXECUTION"):
        print("training on cnnkit's layers")
        return layers
    own, whose = use_own_layers(layers)
    if "yours" not in whose.values():
        print("none of your layers is in work/mine yet: training on cnnkit's layers")
        return layers
    X_batch, y_batch = X_train[:batch_size], y_train[:batch_size]

    def dscores(scores):
        return cnnkit_softmax_cross_entropy(scores, y_batch)[1]

    mine_s, cnnkit_s = step_seconds(own, X_batch, dscores), step_seconds(layers, X_batch, dscores)
    print(
        f"one step on a batch of {batch_size}: yours {1000 * mine_s:.0f} ms, "
        f"cnnkit's {1000 * cnnkit_s:.0f} ms ({mine_s / cnnkit_s:.1f} times as long)"
    )
    if steps:
        print(f"estimated training time on your layers: {steps * mine_s / 60:.1f} min")
    return own


# %% [markdown]
# ### The training loop
#
# One **epoch (轮)** is one pass over the 55,000 training images in a new random order, in
# mini-batches of 64: about 860 training steps. After each epoch we measure the loss and
# accuracy on the validation set (and on 5,000 training images, to compare).
#
# The learning rate starts at $\eta_0 = 0.05$ and decays along a half cosine to 0 over the
# whole run (**cosine annealing**, 余弦退火): $\eta_t = \tfrac{\eta_0}{2}\bigl(1 + \cos(\pi
# t / T)\bigr)$ at step $t$ of $T$. Large steps early make fast progress; small steps at
# the end let the parameters settle at the bottom of the valley instead of bouncing
# around it (with 5 epochs it is worth about 1.4 points of test accuracy over a constant
# learning rate).
#
# After each step every parameter also shrinks a little, $p \leftarrow (1 - \eta_t
# \lambda)\,p$ with $\lambda = 0.01$: **weight decay (权重衰减)**. A weight that the data
# keeps pushing stays; one that only fits a few training images drifts back towards 0.
# It limits overfitting, which is what holds this small network back once it trains for
# more than a few epochs. (This "decoupled" form is applied outside `train_step`;
# PyTorch's `weight_decay` option adds $\lambda p$ to the gradient instead, with a similar
# effect.)
#
# One line saves time: `model[0].need_dX = False`. C1's input is the image itself, and
# nothing learns from its gradient, so the first convolution skips computing it (about a
# fifth of each training step; your `backward` then returns `None` for it).
#
# Standardized inputs, the learning rate of 0.05 (it was 0.03) and weight decay are
# what take this run past the 89.6% of a plain 5-epoch run. With the defaults below, on
# cnnkit's layers, the 10 epochs take about 85 s on an otherwise idle machine (80 s of
# CPU time, measured) and reach 90.4 to 91.1% test accuracy (three seeds; the figures
# printed at the end are those of your run). Set `LONG_TRAINING = True` for 20 epochs
# (about 3 minutes, 91.0%).
#
# While the notebook is being graded (nbgrader sets the environment variable
# `NBGRADER_EXECUTION`) the cell runs a quick version instead: one epoch on 2,000 images.

# %%
LONG_TRAINING = False  # True: 20 epochs instead of 10 (about 3 minutes, 91.0%)

EPOCHS = 20 if LONG_TRAINING else 10
BATCH_SIZE = 64
LR = 0.05
MOMENTUM = 0.9
WEIGHT_DECAY = 0.01
QUICK = os.environ.get("NBGRADER_EXECUTION") in ("autograde", "validate")
N_TRAIN = 2_000 if QUICK else len(X_train)
if QUICK:
    EPOCHS = 1


def predict(layers, X, batch_size=1_000):
    """Scores of the network for many images, a batch at a time (saves memory)."""
    return np.concatenate(
        [forward(layers, X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
    )


def evaluate(layers, X, y):
    """(loss, accuracy) of the network on a data set."""
    scores = predict(layers, X)
    return softmax_cross_entropy(scores, y)[0], accuracy(scores, y)


model, history = None, History()  # so that the cells below can tell if training ran
rng = np.random.default_rng(SEED)
model = my_layers_or_cnnkit(
    build_lenet(rng, dtype=np.float32), BATCH_SIZE, EPOCHS * math.ceil(N_TRAIN / BATCH_SIZE)
)
model[0].need_dX = False  # C1's input is the data: nobody needs its gradient
C1_initial = model[0].params["W"].copy()
velocities = init_velocities(model)
steps_per_epoch = math.ceil(N_TRAIN / BATCH_SIZE)
total_steps, step = EPOCHS * steps_per_epoch, 0
start = time.perf_counter()
for epoch in range(1, EPOCHS + 1):
    bar = ProgressBar(steps_per_epoch, f"epoch {epoch}/{EPOCHS}")
    for idx in minibatches(N_TRAIN, BATCH_SIZE, rng):
        lr = 0.5 * LR * (1 + math.cos(math.pi * step / total_steps))
        loss = train_step(model, velocities, X_train[idx], y_train[idx], lr, MOMENTUM)
        for layer in model:  # weight decay, decoupled from the gradient step
            for p in layer.params.values():
                p *= 1 - lr * WEIGHT_DECAY
        history.log(batch_loss=loss)
        step += 1
        bar.update(loss=loss, lr=lr)
    train_loss, train_acc = evaluate(model, X_train[:5_000], y_train[:5_000])
    val_loss, val_acc = evaluate(model, X_val, y_val)
    history.log(
        epoch=epoch, train_loss=train_loss, train_acc=train_acc, val_loss=val_loss, val_acc=val_acc
    )
    bar.update(0, val_loss=val_loss, val_acc=val_acc)
    bar.close()
train_time = time.perf_counter() - start
test_loss, test_acc = evaluate(model, X_test, y_test)
print(
    f"\n{EPOCHS} epoch(s) on {N_TRAIN:,} images in {train_time:.1f} s; "
    f"test loss {test_loss:.4f}, test accuracy {test_acc:.2%}"
)

# %% [markdown]
# ### Learning curves
#
# The loss of each mini-batch is noisy (each batch is a different sample of 64 images);
# its running mean falls steeply at first, then slowly, and once more at the end, when the
# learning rate has become small. The accuracy on training images ends a few points above
# the validation accuracy: the network fits the images it learns from better than new
# ones, the beginning of **overfitting (过拟合)**. With longer training the gap grows.

# %%
if model is None:
    raise NotImplementedError("train the network above first")
plot_history(history, batches_per_epoch=steps_per_epoch)
plt.show()

# %% [markdown]
# ### What the first layer learned
#
# The six 5×5 kernels of C1 before and after training (red positive, blue negative).
# They started as random noise, and after a few epochs they are still far from the clean
# kernels of chapter 1, but several now compare neighbouring regions, a light stripe
# beside a dark one at some orientation: edge detectors. The feature maps below show
# what they respond to.

# %%
if model is None:
    raise NotImplementedError("train the network above first")
fig, axes = plt.subplots(2, 6, figsize=(9, 3.3))
for row, (weights, label) in enumerate(
    [(C1_initial, "initial"), (model[0].params["W"], "trained")]
):
    for j in range(6):
        K = weights[j, 0]
        m = np.abs(K).max()
        axes[row, j].imshow(K, cmap="RdBu_r", vmin=-m, vmax=m)
        axes[row, j].set_xticks([])
        axes[row, j].set_yticks([])
        axes[row, j].set_title(f"{label} {j}", fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Inside the network: the feature maps of one image
#
# For the first test image (an ankle boot), the figure shows the output of every layer:
# the 6 maps of C1 (before and after ReLU), S2, the 16 maps of C3 and S4, then the vectors
# of the fully connected layers as strips, and the softmax probabilities of the 10
# classes. Each map is scaled on its own (red positive, blue negative, grey 0 after
# ReLU; darker is larger). The early maps still look like the garment; the later ones
# keep only where certain patterns are, and the last ones no longer look like an image.


# %%
def show_feature_maps(index=0):
    if model is None:
        raise NotImplementedError("train the network above first")
    activation = X_test[index : index + 1]
    outputs = []
    for layer in model:  # one layer at a time, keeping every output
        activation = layer.forward(activation)
        outputs.append(activation[0])
    names = [
        "C1 conv",
        "ReLU",
        "S2 max pool",
        "C3 conv",
        "ReLU",
        "S4 max pool",
        "flatten",
        "C5 (fc 400→120)",
        "ReLU",
        "F6 (fc 120→84)",
        "ReLU",
        "output scores",
    ]
    maps = [(n, o) for n, o in zip(names, outputs, strict=True) if o.ndim == 3]
    vectors = [(n, o) for n, o in zip(names, outputs, strict=True) if o.ndim == 1][1:-1]
    fig = plt.figure(figsize=(12, 9.5))
    grid = fig.add_gridspec(
        len(maps) + len(vectors) + 1, 17, hspace=0.75, width_ratios=[3] + [1] * 16
    )
    ax = fig.add_subplot(grid[0:2, 0])
    ax.imshow(X_test[index, 0], cmap="gray_r")
    ax.set_title(f"input\n{FASHION_MNIST_CLASSES[y_test[index]]}", fontsize=8)
    ax.axis("off")
    for r, (name, o) in enumerate(maps):
        for c in range(o.shape[0]):
            ax = fig.add_subplot(grid[r, c + 1])
            m = np.abs(o[c]).max() or 1.0
            ax.imshow(o[c], cmap="RdBu_r" if "conv" in name else "Greys", vmin=-m, vmax=m)
            ax.axis("off")
        fig.axes[-o.shape[0]].set_title(
            f"{name}: {o.shape[0]}@{o.shape[1]}×{o.shape[2]}", fontsize=8, loc="left"
        )
    for r, (name, o) in enumerate(vectors, start=len(maps)):
        ax = fig.add_subplot(grid[r, 1:])
        m = np.abs(o).max() or 1.0
        ax.imshow(o[None, :], cmap="RdBu_r", vmin=-m, vmax=m, aspect="auto")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{name}: {o.size} values", fontsize=8, loc="left")
    scores = outputs[-1]
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    ax = fig.add_subplot(grid[-1, 1:])
    colors = ["C2" if k == y_test[index] else "C0" for k in range(10)]
    ax.bar(range(10), probs, color=colors)
    ax.set_xticks(range(10), FASHION_MNIST_CLASSES, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_title("softmax probabilities (green: the true class)", fontsize=8, loc="left", pad=2)
    plt.show()


show_feature_maps(0)

# %% [markdown]
# Pick other test images with the slider: a sandal, a bag, a shirt the network gets wrong
# (try 4, 17 or 40). Which maps respond to straps, to handles, to sleeves?

# %%
_ = widgets.interact(
    show_feature_maps, index=widgets.IntSlider(value=4, min=0, max=len(X_test) - 1)
)
# %% [markdown]
# ### Which classes get confused?
#
# The **confusion matrix (混淆矩阵)** counts, for each true class (row), how the test
# images of that class were classified (columns); the diagonal holds the correct ones.
# Trousers, bags, sandals and boots are easy. Most errors are among the upper-body
# garments: shirts are taken for T-shirts, pullovers and coats and the other way round,
# which are hard to tell apart at 28×28 even for people.

# %%
if model is None:
    raise NotImplementedError("train the network above first")
predicted = predict(model, X_test).argmax(axis=1)
cm = confusion_matrix(y_test, predicted, 10)
plot_confusion_matrix(
    cm, FASHION_MNIST_CLASSES, title=f"LeNet on the Fashion-MNIST test set: accuracy {test_acc:.2%}"
)
plt.show()
per_class = cm.diagonal() / cm.sum(axis=1)
for k in np.argsort(per_class)[:3]:
    print(f"hardest: {FASHION_MNIST_CLASSES[k]:<12} {per_class[k]:.1%} correct")

# %% [markdown]
# And some of the test images the network gets wrong, with its answer and the truth:

# %%
if model is None:
    raise NotImplementedError("train the network above first")
wrong = np.flatnonzero(predicted != y_test)[:12]
fig, axes = plt.subplots(1, len(wrong), figsize=(1.1 * len(wrong) + 0.5, 1.9), squeeze=False)
for ax, i in zip(axes[0], wrong, strict=True):
    ax.imshow(X_test_raw[i], cmap="gray_r")
    ax.set_title(
        f"{FASHION_MNIST_CLASSES[predicted[i]]}\n({FASHION_MNIST_CLASSES[y_test[i]]})", fontsize=7
    )
    ax.axis("off")
fig.suptitle("predicted (true)", fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Check your understanding
#
# Set each variable below, then run the cell. The answers are checked when you submit.
#
# 1. `q_c3_full`: how many trainable parameters would C3 have if each of its 16 maps saw
#    all 6 maps of S2? (an integer)
# 2. `q_c5`: C5 `"a"`: is a fully connected layer whatever the input size; `"b"`: is a
#    convolution whose 5×5 kernels happen to cover its whole 5×5 input, so its maps are
#    1×1; `"c"`: is a subsampling layer.
# 3. `q_connections`: C3 has 100 times more connections than parameters because
#    `"a"`: each parameter is used at all 10×10 positions of its output map (weight
#    sharing); `"b"`: each connection has 100 weights; `"c"`: of the 2×2 subsampling.
# 4. `q_terminal_step`: with a gradient that stays the same at every step and momentum
#    $\mu = 0.9$, the step $p_{t+1} - p_t$ approaches how many times the plain SGD step
#    $-\eta g$? (a number)
# 5. `q_torch_velocity`: PyTorch's SGD (lr 0.1, momentum 0.9) and `sgd_momentum` start
#    from zero velocity and see the same gradients. After 5 steps, our `v` equals
#    `"a"`: PyTorch's buffer $u$; `"b"`: $-0.1\,u$; `"c"`: $u / 0.1$.
# 6. `q_batch_mean`: if the loss were summed over the batch instead of averaged, doubling
#    the batch size would `"a"`: leave the size of the gradient unchanged; `"b"`: roughly
#    double it, so the learning rate would have to be halved; `"c"`: halve it.

# %% nbgrader={"solution": true, "grade_id": "understanding_answers"}
q_c3_full = None
q_c5 = None
q_connections = None
q_terminal_step = None
q_torch_velocity = None
q_batch_mean = None
### BEGIN SOLUTION
q_c3_full = 2_416
q_c5 = "b"
q_connections = "a"
q_terminal_step = 10
q_torch_velocity = "b"
q_batch_mean = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "understanding", "points": 2}
# Hidden test (2 points): your answers.
answers = {
    "q_c3_full": q_c3_full,
    "q_c5": q_c5,
    "q_connections": q_connections,
    "q_terminal_step": q_terminal_step,
    "q_torch_velocity": q_torch_velocity,
    "q_batch_mean": q_batch_mean,
}
if any(value is None for value in answers.values()):
    raise NotImplementedError("answer all six questions above")
### BEGIN HIDDEN TESTS
from autograder.hidden import ch05 as hidden

hidden.understanding(answers)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - LeNet-5: C1 6@28×28, S2 6@14×14, C3 16@10×10, S4 16@5×5, C5 120 (a convolution with
#   1×1 output maps), F6 84, 10 RBF outputs; 60,000 trainable parameters and 340,908
#   connections.
# - A convolution layer has (kernel slices)·$k^2$ + $C_{out}$ parameters and that many
#   times $H_{out} W_{out}$ connections. C3's connection table gives it 60 slices:
#   1,516 parameters, not the 2,416 of a full table.
# - Multi-channel filters span all input channels: Ng's LeNet has 608, 3,216, 48,120,
#   10,164 and 850 parameters per layer (not 208, 416, 48,001, 10,081, 841).
# - A network is a list of layers: forward in order, backward in reverse order.
# - Training step: forward, softmax cross-entropy (averaged over the batch), backward, and
#   the momentum update $v \leftarrow \mu v - \eta g$, $p \leftarrow p + v$ (PyTorch's
#   $u \leftarrow \mu u + g$, $p \leftarrow p - \eta u$ is the same for constant $\eta$).
# - Accuracy compares the argmax of the scores with the labels. A modern LeNet reaches
#   90.4 to 91.1% on Fashion-MNIST in 10 epochs (standardized inputs, cosine
#   annealing, weight decay); shirts, T-shirts, pullovers and coats are
#   the classes it confuses.
#
# **Next:** chapter 6, 1×1 convolutions and the designs that came after LeNet.


# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl-S), then run the cell below. It checks the whole chapter the way
# grading does and lists every check with its points and, where one fails, its message
# (the mistake it recognised, if any). With the course repository (self-study) every
# check runs, hidden ones included, in the grading sandbox, and the functions whose
# checks all pass go into your own package `work/mine/`, which later chapters can use;
# in a class's student release, the visible checks run. No answer is shown either way.
# The same from a terminal: `./course.sh check 05`.

# %%
from cnnkit.selfcheck import check_my_work

check_my_work("05")
