# %% [markdown]
# # Chapter 1 · Convolution (卷积)
#
# Convolutional neural networks (CNNs, 卷积神经网络) are built from one operation: sliding a
# small kernel over an image and taking a weighted sum at every position. In this chapter
# you implement that operation yourself, in NumPy, in one and two dimensions.
#
# **You will learn to**
# - explain why fully connected layers do not scale to images, with the right numbers;
# - compute 1-D convolutions in valid, full and same mode, and their output sizes;
# - tell convolution from cross-correlation (互相关), and implement both in 2-D;
# - detect edges in a real photograph with hand-made kernels.
#
# **How this notebook works.** Cells marked `# YOUR CODE HERE` are yours: replace
# `raise NotImplementedError()` with your code. The cell after each exercise runs the
# *visible tests*; when you submit, *hidden tests* also run on random inputs of many shapes.
# Each check is worth its own points, so partial work earns partial credit, and a failing
# check tells you what it expected and what it got. Run the cells from top to bottom.

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnkit.checks import call, expect_array, expect_equal, expect_raises
from cnnkit.images import sample_photo, step_image
from cnnkit.plots import plot_signal, show_images, show_worked_example
from cnnkit.widgets import kernel_playground

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1.1 Why not a fully connected layer?
#
# A fully connected layer (全连接层) connects every input value to every hidden unit.
# For a 28×28 grayscale image flattened to 784 numbers and a layer of 512 hidden units:
#
# $$\underbrace{784 \times 512}_{\text{weights}} = 401{,}408 \text{ weights (+512 biases)},\qquad
# 401{,}408 \text{ multiplications per image.}$$
#
# For a 300×200 colour image, $300 \cdot 200 \cdot 3 = 180{,}000$ inputs, the same layer needs
# $180{,}000 \times 512 \approx 9.2 \times 10^7$ weights. That is a lot of parameters to learn
# from a few thousand images, and a lot of multiplications per image.
#
# > **A common mistake.** Some lecture slides give $784 \cdot 784 \cdot 512$ multiplications
# > or $9 \times 10^8$ weights for these layers. Each weight is used exactly once per image, so
# > the number of multiplications equals the number of weights: $784 \cdot 512$.
#
# A second problem: flattening throws away the 2-D structure. If the object in the image
# moves by one pixel, completely different weights see it, and the layer has to learn
# the same pattern separately at every position.
#
# ### Exercise 1 — the cost of a fully connected layer
# Write `fc_layer_cost(input_shape, n_hidden)` returning the tuple
# `(weights, biases, multiplications)` for a fully connected layer from a flattened input of
# shape `input_shape` to `n_hidden` units.


# %% nbgrader={"solution": true, "grade_id": "fc_layer_cost"}
def fc_layer_cost(input_shape, n_hidden):
    """Weights, biases and multiplications of a fully connected layer.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one input, e.g. (28, 28) or (300, 200, 3).
    n_hidden : int
        Number of hidden units.

    Returns
    -------
    (weights, biases, multiplications) : tuple of three ints
    """
    ### BEGIN SOLUTION
    n_in = 1
    for size in input_shape:
        n_in *= size
    return n_in * n_hidden, n_hidden, n_in * n_hidden
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "fc_layer_cost_mnist", "points": 1}
# Visible test: 28x28 input, 512 hidden units.
expect_equal(
    "fc_layer_cost((28, 28), 512)",
    call(fc_layer_cost, ((28, 28), 512)),
    (401_408, 512, 401_408),
    misconceptions={
        "multiplications = inputs x hidden units, not inputs x inputs x hidden units": (
            401_408,
            512,
            784 * 784 * 512,
        )
    },
)
print("fc_layer_cost: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "fc_layer_cost_hidden", "points": 1}
# Hidden tests (1 point): other input shapes, including 300x200x3.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.fc_layer_cost_hidden(fc_layer_cost)
### END HIDDEN TESTS

# %% [markdown]
# ## 1.2 Local connections and shared weights
#
# A convolutional layer fixes both problems with two ideas:
#
# - **Local connectivity (局部连接)**, also called **sparse connectivity (稀疏连接)**. Each
#   output looks only at a small window of the input, say 3×3 pixels, because nearby pixels
#   are what matter for edges, corners and textures.
# - **Weight sharing (参数共享).** The same small set of weights, the *kernel* (卷积核, also
#   called a filter, 滤波器), is used at every position. A 3×3 kernel has 9 weights, whatever
#   the size of the image.
#
# Because the same kernel slides over the whole image, shifting the input shifts the output
# by the same amount: convolution is **equivariant to translation (平移等变)**. A cat
# detector that works in the top-left corner works everywhere.

# %% [markdown]
# ## 1.3 One-dimensional convolution
#
# Take a signal $x_1, \dots, x_n$ and a kernel (filter) $w_1, \dots, w_k$. Their convolution is
#
# $$y_t = \sum_{i=1}^{k} w_i \, x_{t-i+1}.$$
#
# Note the index $t - i + 1$: as $i$ goes up, the input index goes *down*, so the kernel is
# applied **flipped**. This is the mathematical definition of convolution, the one used by
# `numpy.convolve` and in signal processing.
#
# At the ends of the signal there are three choices:
#
# | mode | padding | output length | name |
# |---|---|---|---|
# | `valid` | none: the kernel stays inside the signal | $n - k + 1$ | narrow convolution (窄卷积) |
# | `full` | $k-1$ zeros on each side | $n + k - 1$ | wide convolution (宽卷积) |
# | `same` | enough zeros to keep the length | $n$ | same convolution (等宽卷积) |
#
# **Worked example.** With $n = 7$ inputs and a kernel of $k = 5$: narrow convolution gives
# $7 - 5 + 1 = 3$ outputs; wide convolution pads $4$ zeros on each side, $7 + 8 = 15$ values,
# and gives $15 - 5 + 1 = 11$ outputs; same convolution gives $7$.
#
# For `same` with an even kernel the padding cannot be split evenly. We return the $n$
# values of the `full` result starting at index $\lfloor (k-1)/2 \rfloor$: one more zero of
# padding on the right than on the left. `np.convolve(x, w, "same")` gives the same values
# when $k \le n$; when the kernel is longer than the signal NumPy returns $\max(n, k)$
# values, while our `same` always returns $n$.
#
# ### Exercise 2 — output size
# Write `output_size(n, k, mode)`. It must raise a `ValueError` with a clear message when the
# kernel does not fit (`valid` with $k > n$), when $n$ or $k$ is not a positive integer, or
# when `mode` is not one of `"valid"`, `"full"`, `"same"`.


# %% nbgrader={"solution": true, "grade_id": "output_size"}
def output_size(n, k, mode="valid"):
    """Length of the 1-D convolution of n inputs with a kernel of k taps.

    Parameters
    ----------
    n, k : int
        Input length and kernel length, both positive.
    mode : {"valid", "full", "same"}

    Returns
    -------
    int
    """
    ### BEGIN SOLUTION
    for name, value in (("n", n), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if mode == "valid":
        if k > n:
            raise ValueError(f"a kernel of {k} does not fit in {n} inputs in valid mode")
        return n - k + 1
    if mode == "full":
        return n + k - 1
    if mode == "same":
        return n
    raise ValueError(f"mode must be 'valid', 'full' or 'same', got {mode!r}")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "output_size_worked_example", "points": 1}
# Visible tests: the worked example (n = 7, k = 5) and a kernel that does not fit.
for mode, want in [("valid", 3), ("full", 11), ("same", 7)]:
    expect_equal(
        f"output_size(7, 5, {mode!r})",
        call(output_size, (7, 5, mode)),
        want,
        misconceptions={"off by one: valid mode gives n - k + 1 outputs": 2},
    )
expect_raises(output_size, (3, 5, "valid"), why="a kernel of 5 does not fit in 3 inputs")
print("output_size: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "output_size_hidden", "points": 1}
# Hidden tests (1 point): more sizes and modes, and invalid arguments.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.output_size_hidden(output_size)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3 — 1-D convolution
# Write `conv1d(x, w, mode)` that computes the convolution defined above, in the three modes,
# with loops or slicing. Do not call `np.convolve` or `np.correlate`: the hidden tests check.
# Accept lists as well as arrays, and return a float array of length `output_size(n, k, mode)`.
#
# *Hint:* compute the `full` result from a zero-padded input, then cut out `valid` and `same`.


# %% nbgrader={"solution": true, "grade_id": "conv1d"}
def conv1d(x, w, mode="valid"):
    """1-D convolution (kernel flipped).

    Parameters
    ----------
    x : array_like of shape (n,)
    w : array_like of shape (k,)
    mode : {"valid", "full", "same"}

    Returns
    -------
    ndarray of shape (output_size(n, k, mode),)
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    n, k = len(x), len(w)
    size = output_size(n, k, mode)
    padded = np.concatenate([np.zeros(k - 1), x, np.zeros(k - 1)])
    flipped = w[::-1]
    full = np.array([padded[t : t + k] @ flipped for t in range(n + k - 1)])
    if mode == "full":
        return full
    start = k - 1 if mode == "valid" else (k - 1) // 2
    return full[start : start + size]
    ### END SOLUTION


# %%
# The worked example: 7 inputs, a kernel of 5.
x = np.array([1, 2, 3, 4, 5, 6, 7])
w = np.array([1, 0, -1, 2, 1])

# %% nbgrader={"grade": true, "grade_id": "conv1d_worked_example", "points": 2}
# Visible tests: the worked example in all three modes, and an even kernel in same mode.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.alone(conv1d)  # graded with the reference output_size: a mistake there costs once
### END HIDDEN TESTS
expected = {
    "valid": [7, 10, 13],
    "full": [1, 2, 2, 4, 7, 10, 13, 8, 10, 20, 7],
    "same": [2, 4, 7, 10, 13, 8, 10],
}
for mode, want in expected.items():
    expect_array(
        f"conv1d(x, w, mode={mode!r})",
        call(conv1d, (x, w), {"mode": mode}),
        want,
        misconceptions={
            "the kernel was not flipped: that is cross-correlation, not convolution": {
                "valid": [11, 14, 17],
                "full": [1, 4, 6, 8, 11, 14, 17, 12, -2, 6, 7],
                "same": [6, 8, 11, 14, 17, 12, -2],
            }[mode],
            "the output is one element too short (off by one)": np.zeros(len(want) - 1),
        },
    )
expect_array(
    "conv1d(x, [1, 2, 3, 4], mode='same')",
    call(conv1d, (x, np.array([1, 2, 3, 4])), {"mode": "same"}),
    [4, 10, 20, 30, 40, 50, 52],
    misconceptions={
        "for an even kernel, same mode starts at index (k - 1) // 2 of the full result, "
        "not k // 2": [10, 20, 30, 40, 50, 52, 45],
    },
)
print("conv1d: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "conv1d_random", "points": 2}
# Hidden tests (2 points): random signals and kernels of many lengths, all modes.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.conv1d_random(conv1d)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv1d_edge_cases", "points": 1}
# Hidden tests (1 point): one-tap kernels, kernels as long as (or longer than) the input,
# even kernels in same mode, lists as input.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.conv1d_edge_cases(conv1d)
### END HIDDEN TESTS

# %% [markdown]
# Here are the three modes of the worked example side by side. The `full` output is longest;
# `valid` is the part where the kernel never touches the padding.

# %%
fig, ax = plt.subplots(figsize=(9, 3))
plot_signal(ax, conv1d(x, w, "full"), "full (n + k - 1 = 11)", offset=0)
plot_signal(
    ax,
    conv1d(x, w, "same") + 0.3,
    "same (n = 7), shifted up 0.3",
    offset=2,
    linefmt="C1-",
    markerfmt="C1s",
)
plot_signal(
    ax,
    conv1d(x, w, "valid") + 0.6,
    "valid (n - k + 1 = 3), shifted up 0.6",
    offset=4,
    linefmt="C2-",
    markerfmt="C2^",
)
ax.set_xlabel("index in the full output")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 1.4 Two dimensions: convolution and cross-correlation
#
# For an image $X$ of size $H \times W$ and a kernel $K$ of size $k_H \times k_W$, the
# **2-D convolution** (as in mathematics) is
#
# $$Y_{ij} = \sum_{u=1}^{k_H} \sum_{v=1}^{k_W} K_{uv}\, X_{i-u+1,\; j-v+1},$$
#
# and the **cross-correlation (互相关)** is
#
# $$Y_{ij} = \sum_{u=1}^{k_H} \sum_{v=1}^{k_W} K_{uv}\, X_{i+u-1,\; j+v-1}.$$
#
# Cross-correlation slides the kernel over the image *as it is*; convolution first rotates
# the kernel by 180° (flips rows and columns). **Deep-learning libraries compute
# cross-correlation and call it convolution.** Because the kernel is learned, the two are
# equally powerful: a network that needs a flipped kernel simply learns it flipped. From
# here on, "convolution layer" means cross-correlation, as in PyTorch and TensorFlow.
#
# Without padding the output has size $(H - k_H + 1) \times (W - k_W + 1)$.
#
# **Worked example.** Cross-correlating the 4×4 input below with the 3×3 kernel gives a 2×2
# output. The top-left value is the sum of the outlined window times the kernel:
# $1\cdot2 + 2\cdot0 + 3\cdot1 + 0\cdot0 + 1\cdot1 + 2\cdot2 + 3\cdot1 + 0\cdot0 + 1\cdot2 = 15$.

# %%
X_example = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]])
K_example = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]])
show_worked_example(X_example, K_example, np.array([[15, 16], [6, 15]]))
plt.show()

# %% [markdown]
# ### Exercise 4 — 2-D cross-correlation
# Write `corr2d(X, K)`: cross-correlation, stride 1, no padding, with loops over the output
# positions (the chapter on padding and stride vectorizes it). Raise a `ValueError` if the
# kernel is taller or wider than the input. Do not call library convolution functions.


# %% nbgrader={"solution": true, "grade_id": "corr2d"}
def corr2d(X, K):
    """2-D cross-correlation, stride 1, no padding.

    Parameters
    ----------
    X : array_like of shape (H, W)
    K : array_like of shape (kH, kW), kH <= H and kW <= W

    Returns
    -------
    ndarray of shape (H - kH + 1, W - kW + 1)
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    K = np.asarray(K, dtype=float)
    H, W = X.shape
    kH, kW = K.shape
    if kH > H or kW > W:
        raise ValueError(f"kernel of shape {K.shape} does not fit in an input of shape {X.shape}")
    Y = np.zeros((H - kH + 1, W - kW + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i : i + kH, j : j + kW] * K)
    return Y
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "corr2d_worked_example", "points": 2}
# Visible test: the worked example.
expect_array(
    "corr2d(X_example, K_example)",
    call(corr2d, (X_example, K_example)),
    [[15, 16], [6, 15]],
    misconceptions={
        "the kernel was rotated by 180 degrees: that is convolution, not cross-correlation": [
            [11, 12],
            [10, 11],
        ],
        "the output size is (H - kH + 1) x (W - kW + 1), here 2 x 2": np.zeros((1, 1)),
    },
)
print("corr2d: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "corr2d_random", "points": 2}
# Hidden tests (2 points): random inputs and kernels, square and not.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.corr2d_random(corr2d)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "corr2d_edge_cases", "points": 1}
# Hidden tests (1 point): kernel as large as the input, 1x1 kernels, kernels too large.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.corr2d_edge_cases(corr2d)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5 — true 2-D convolution
# Write `conv2d(X, K)`, the mathematical convolution: rotate the kernel by 180° and
# cross-correlate. Reuse your `corr2d`. (Rotating by 180° is flipping *both* axes; it is
# not the same as transposing.)
#
# > **A common mistake.** Some notes say convolution "transposes the kernel" when they mean
# > this 180° rotation: `K.T` swaps rows and columns, `K[::-1, ::-1]` reverses both. They
# > agree only for special kernels (and on special inputs, such as the worked example,
# > whose diagonals are constant), which is why the test below uses a second input.


# %% nbgrader={"solution": true, "grade_id": "conv2d"}
def conv2d(X, K):
    """2-D convolution (kernel rotated by 180°), stride 1, no padding.

    Parameters
    ----------
    X : array_like of shape (H, W)
    K : array_like of shape (kH, kW)

    Returns
    -------
    ndarray of shape (H - kH + 1, W - kW + 1)
    """
    ### BEGIN SOLUTION
    K = np.asarray(K, dtype=float)
    return corr2d(X, K[::-1, ::-1])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv2d_worked_example", "points": 1}
# Visible tests: the worked example, now as a true convolution, and a second input on
# which transposing the kernel gives a different answer from rotating it.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.alone(conv2d)  # graded with the reference corr2d: a mistake there costs once
### END HIDDEN TESTS
expect_array(
    "conv2d(X_example, K_example)",
    call(conv2d, (X_example, K_example)),
    [[11, 12], [10, 11]],
    misconceptions={
        "the kernel was not flipped: that is cross-correlation, not convolution": [
            [15, 16],
            [6, 15],
        ],
        "only the rows were flipped; rotate by 180 degrees (flip both axes)": [[19, 12], [10, 19]],
        "only the columns were flipped; rotate by 180 degrees (flip both axes)": [
            [15, 8],
            [14, 15],
        ],
    },
)
X_other = np.array([[1, 2, 0, 1], [3, 0, 1, 2], [0, 1, 3, 1], [2, 1, 0, 0]])
expect_array(
    "conv2d(X_other, K_example)",
    call(conv2d, (X_other, K_example)),
    [[14, 9], [10, 8]],
    misconceptions={
        "the kernel was transposed (K.T); convolution rotates it by 180 degrees": [
            [10, 15],
            [12, 6],
        ],
        "the kernel was not flipped: that is cross-correlation, not convolution": [
            [10, 13],
            [16, 8],
        ],
        "only the rows were flipped; rotate by 180 degrees (flip both axes)": [[6, 12], [16, 11]],
        "only the columns were flipped; rotate by 180 degrees (flip both axes)": [
            [10, 8],
            [10, 11],
        ],
    },
)
print("conv2d: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "conv2d_random", "points": 2}
# Hidden tests (2 points): random inputs and non-symmetric kernels.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.conv2d_random(conv2d)
### END HIDDEN TESTS

# %% [markdown]
# ### Does the order matter?
#
# Convolution is **commutative** in its wide (full) form: $X * K = K * X$. Cross-correlation
# is not: swapping its arguments **rotates the result by 180°**.
#
# **Proof.** Index from 1, let $X$ be $H \times W$ and $K$ be $U \times V$, and read every
# entry outside an array as zero: that is exactly what wide convolution's padding of
# $U - 1$ rows and $V - 1$ columns of zeros on each side of $X$ does. The wide convolution
# is then, for $1 \le i \le H + U - 1$ and $1 \le j \le W + V - 1$,
#
# $$(X * K)_{ij} = \sum_{u=1}^{U} \sum_{v=1}^{V} K_{uv}\, X_{i-u+1,\; j-v+1}.$$
#
# Substitute $a = i - u + 1$, $b = j - v + 1$, so $u = i - a + 1$, $v = j - b + 1$. As $u$
# runs over $1..U$, $a$ runs over $i - U + 1 .. i$; every $a$ outside $1..H$ picks a padded
# zero of $X$, and every $a$ in $1..H$ whose $u$ falls outside $1..U$ would pick a zero of
# $K$. So the sum is over all pairs with $X_{ab}$ and $K_{i-a+1,\,j-b+1}$ both inside
# their arrays, and nothing else:
#
# $$(X * K)_{ij} = \sum_{a=1}^{H} \sum_{b=1}^{W} X_{ab}\, K_{i-a+1,\; j-b+1} = (K * X)_{ij},$$
#
# the wide convolution of $K$ with $X$ (now $K$ is the padded one, by $H - 1$ and $W - 1$).
# Both sides have the same size, $(H + U - 1) \times (W + V - 1)$, and the same value at
# every $(i, j)$: each product $K_{uv} X_{ab}$ with $u + a - 1 = i$ and $v + b - 1 = j$
# appears once on each side. The proof needs every such product to be present, which is
# why it fails for valid convolution (some products are cut off at the border, and the two
# sides do not even have the same size when $X$ and $K$ differ in size).
#
# For cross-correlation the same substitution gives
# $(X \star K)_{ij} = \sum_{a,b} X_{ab} K_{a-i+1,\, b-j+1}$: the index of $K$ now runs the
# other way, so $K \star X$ is $X \star K$ read backwards in both directions, a 180°
# rotation. Check both numerically:


# %%
def full_conv2d(A, B):
    """Wide 2-D convolution: pad A by B's size minus one on each side, then convolve."""
    B = np.asarray(B, dtype=float)
    padded = np.pad(np.asarray(A, dtype=float), [(B.shape[0] - 1,) * 2, (B.shape[1] - 1,) * 2])
    return conv2d(padded, B)


def full_corr2d(A, B):
    B = np.asarray(B, dtype=float)
    padded = np.pad(np.asarray(A, dtype=float), [(B.shape[0] - 1,) * 2, (B.shape[1] - 1,) * 2])
    return corr2d(padded, B)


print(
    "wide convolution commutes:       ",
    np.allclose(full_conv2d(X_example, K_example), full_conv2d(K_example, X_example)),
)
print(
    "wide cross-correlation commutes: ",
    np.allclose(full_corr2d(X_example, K_example), full_corr2d(K_example, X_example)),
)
print(
    "...but swapping rotates it by 180°:",
    np.allclose(full_corr2d(X_example, K_example)[::-1, ::-1], full_corr2d(K_example, X_example)),
)

# %% [markdown]
# ## 1.5 Edge detection (边缘检测)
#
# A kernel is a pattern detector: the output is large where the image looks like the kernel.
#
# $$K_{\text{vertical}} = \begin{bmatrix}1&0&-1\\1&0&-1\\1&0&-1\end{bmatrix},\qquad
# K_{\text{horizontal}} = \begin{bmatrix}1&1&1\\0&0&0\\-1&-1&-1\end{bmatrix}.$$
#
# The vertical-edge kernel computes "left column minus right column": zero on flat regions,
# large where brightness changes from left to right. On a 6×6 image that is bright (10) on
# the left and dark (0) on the right, its response is a 4×4 map whose two middle columns are
# 30: the edge, two pixels wide because the image is so small.
#
# ### Exercise 6 — an edge detector
# Write `detect_edges(image)` returning `(vertical, horizontal, magnitude)`: the
# cross-correlations with the two kernels above, and the gradient magnitude
# $\sqrt{v^2 + h^2}$ computed elementwise. Use your `corr2d`.

# %% nbgrader={"solution": true, "grade_id": "detect_edges"}
VERTICAL_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
HORIZONTAL_EDGE = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]])


def detect_edges(image):
    """Vertical-edge response, horizontal-edge response and gradient magnitude.

    Parameters
    ----------
    image : array_like of shape (H, W), H, W >= 3

    Returns
    -------
    (vertical, horizontal, magnitude) : three ndarrays of shape (H - 2, W - 2)
    """
    ### BEGIN SOLUTION
    vertical = corr2d(image, VERTICAL_EDGE)
    horizontal = corr2d(image, HORIZONTAL_EDGE)
    return vertical, horizontal, np.sqrt(vertical**2 + horizontal**2)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "detect_edges_step", "points": 1}
# Visible test: the bright/dark step image.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.alone(detect_edges)  # graded with the reference corr2d: a mistake there costs once
### END HIDDEN TESTS
step = step_image()
result = call(detect_edges, (step,))
vertical_want = np.array([[0, 30, 30, 0]] * 4)
expect_array(
    "vertical (step image)",
    result[0],
    vertical_want,
    misconceptions={"the sign is reversed: left minus right gives +30": -vertical_want},
)
expect_array("horizontal (step image)", result[1], np.zeros((4, 4)))
expect_array("magnitude (step image)", result[2], vertical_want)
print("detect_edges: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "detect_edges_hidden", "points": 1}
# Hidden tests (1 point): random images of several shapes.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.detect_edges_hidden(detect_edges)
### END HIDDEN TESTS

# %% [markdown]
# Now on a real photograph: Grace Hopper's portrait, which ships with matplotlib. Red and
# blue are positive and negative responses: a vertical edge from bright to dark is red, from
# dark to bright blue.

# %%
photo = sample_photo(max_size=160)
vertical, horizontal, magnitude = detect_edges(photo)
show_images(
    [photo, vertical, horizontal, magnitude],
    ["input", "vertical edges", "horizontal edges", "magnitude"],
    cmap=["gray", "RdBu_r", "RdBu_r", "gray"],
    symmetric=[False, True, True, False],
    size=3.2,
)
plt.show()

# %% [markdown]
# Hand-made kernels like these were the state of the art in image processing for decades.
# A CNN **learns** its kernels from data instead: the first layer of a trained network
# usually ends up with edge and colour detectors much like these, and deeper layers combine
# them into textures, parts and objects. You will see the learned kernels of a LeNet in
# chapter 5.
#
# ### A kernel learned by gradient descent
# Can a kernel be *learned* from examples of what it should do? Take a 40×40 patch of the
# photo (centred and scaled), let the target be its vertical-edge response, start from a
# kernel of zeros and lower the mean squared error
# $L = \frac{1}{|Y|}\sum_{ij} (Y_{ij} - T_{ij})^2$ by gradient descent, where
# $Y = X \star K$. The gradient with respect to the kernel is itself a cross-correlation,
# of the input with the residual: $\partial L / \partial K = \frac{2}{|Y|}\, X \star (Y - T)$
# (chapter 4 derives it). Both steps use **your** `corr2d`. The learning rate
# 0.1 is a hyperparameter (超参数): chosen by hand, not learned.

# %%
patch = photo[40:80, 40:80]
patch = (patch - patch.mean()) / patch.std()
target = corr2d(patch, VERTICAL_EDGE)
K_learned = np.zeros((3, 3))
losses = []
for _ in range(100):
    residual = corr2d(patch, K_learned) - target
    losses.append(np.mean(residual**2))
    K_learned -= 0.1 * 2 * corr2d(patch, residual) / residual.size
print("learned kernel after 100 steps:\n", np.round(K_learned, 2))
fig, ax = plt.subplots(figsize=(5, 2.5))
ax.semilogy(losses)
ax.set_xlabel("step")
ax.set_ylabel("mean squared error")
ax.set_title("learning the vertical-edge kernel")
plt.show()

# %% [markdown]
# ### Kernel playground
# Pick a preset or type your own numbers. The filtering is done by **your** `corr2d`.
# Try: make the vertical-edge kernel detect only dark-to-bright edges; make a kernel that
# blurs more strongly along one direction; what does a kernel whose entries sum to zero do on
# flat regions?

# %%
kernel_playground(photo, corr2d, preset="Sobel x")

# %% [markdown]
# ## 1.6 Output size, and why kernels are odd
#
# Without padding an $n \times n$ image and a $k \times k$ kernel give an
# $m \times m$ output with
#
# $$m = n - k + 1.$$
#
# Each layer therefore shrinks the image by $k - 1$ pixels, and border pixels take part in
# fewer windows than central ones. The next chapter fixes both with padding.
#
# Kernels are almost always odd (3×3, 5×5, 7×7): an odd kernel has a centre pixel, so an
# output can be placed exactly over the input position it describes, and the padding that
# keeps the size, $(k-1)/2$, is the same on both sides.

# %% [markdown]
# ## Check your understanding
#
# Set each variable below, then run the cell. The answers are checked when you submit.
#
# 1. `q_cross_correlation_commutes`: is 2-D cross-correlation commutative (`True`/`False`)?
# 2. `q_full_convolution_commutes`: is wide (full) 2-D convolution commutative?
# 3. `q_translation`: if you shift the input image one pixel to the right, what happens to
#    the output of a convolution (away from the borders)? `"a"`: it does not change;
#    `"b"`: it shifts one pixel to the right; `"c"`: it is rotated by 180°.
# 4. `q_valid_size`: a 5×5 kernel in valid mode on a 32×32 image gives an output of size
#    `"a"`: 27×27, `"b"`: 28×28, `"c"`: 32×32.

# %% nbgrader={"solution": true, "grade_id": "understanding_answers"}
q_cross_correlation_commutes = None
q_full_convolution_commutes = None
q_translation = None
q_valid_size = None
### BEGIN SOLUTION
q_cross_correlation_commutes = False
q_full_convolution_commutes = True
q_translation = "b"
q_valid_size = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "understanding", "points": 2}
# Hidden test (2 points): your answers.
answers = {
    "q_cross_correlation_commutes": q_cross_correlation_commutes,
    "q_full_convolution_commutes": q_full_convolution_commutes,
    "q_translation": q_translation,
    "q_valid_size": q_valid_size,
}
if any(value is None for value in answers.values()):
    raise NotImplementedError("answer all four questions above")
### BEGIN HIDDEN TESTS
from autograder.hidden import ch01 as hidden

hidden.understanding(answers)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - A fully connected layer on a 28×28 image with 512 units has 401,408 weights and needs
#   401,408 multiplications per image; convolution needs only the kernel's few weights.
# - 1-D convolution comes in valid ($n-k+1$), full ($n+k-1$) and same ($n$) modes.
# - Convolution flips the kernel; cross-correlation does not. CNN layers compute
#   cross-correlation. Wide convolution commutes; cross-correlation does not.
# - Edge kernels respond to brightness changes; CNNs learn such kernels from data.
#
# **Next:** chapter 2, padding and stride (填充与步长), and many channels at once.


# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl-S), then run the cell below. It checks the whole chapter the way
# grading does and lists every check with its points and, where one fails, its message
# (the mistake it recognised, if any). With the course repository (self-study) every
# check runs, hidden ones included, in the grading sandbox, and the functions whose
# checks all pass go into your own package `work/mine/`, which later chapters can use;
# in a class's student release, the visible checks run. No answer is shown either way.
# The same from a terminal: `./course.sh check 01`.

# %%
from cnnkit.selfcheck import check_my_work

check_my_work("01")
