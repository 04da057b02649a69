# %% [markdown]
# # Chapter 4 · Backpropagation in CNNs (反向传播)
#
# A network learns by nudging every weight against the gradient of the loss. In the last
# chapters you wrote the *forward* pass of convolution and pooling layers; this chapter
# writes their *backward* passes, which compute those gradients, and the tool that tells
# you whether a backward pass is right: a numerical gradient checker.
#
# **You will learn to**
# - differentiate ReLU and the sigmoid, and compute the sigmoid without overflow;
# - check any gradient numerically, with centered differences and a relative error;
# - run classic backpropagation through fully connected layers: $\delta = (W^\top
#   \delta_{\text{next}}) \odot f'(z)$;
# - derive and implement the backward pass of a convolution layer with stride and padding,
#   and see why it is a convolution with the kernel rotated by 180°;
# - send gradients back through max pooling and a whole conv → ReLU → pool block;
# - compute the softmax cross-entropy loss and its gradient stably;
# - see with your own layers why deep sigmoid networks stop learning and ReLU networks do not.
#
# **How this notebook works.** Cells marked `# YOUR CODE HERE` are yours: replace
# `raise NotImplementedError()` with your code. The cell after each exercise runs the
# *visible tests*; when you submit, *hidden tests* also run on random inputs of many shapes
# (stride > 1, padding, non-square inputs and kernels, one channel, several images).
# Each check is worth its own points, so partial work earns partial credit, and a failing
# check tells you what it expected and what it got. Run the cells from top to bottom.

# %%
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from cnnkit.checks import CheckFailed, call, expect_array, expect_raises
from cnnkit.gradcheck import numerical_gradient as numerical_gradient_check
from cnnkit.plots import draw_matrix

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 4.1 The chain rule, one layer at a time
#
# A network is a chain of layers, a **computational graph (计算图)**. Each layer has two
# functions:
#
# - `forward(inputs) -> (out, cache)` computes its output and keeps in `cache` whatever the
#   backward pass will need;
# - `backward(dout, cache) -> gradients` receives `dout` $= \partial L / \partial
#   \text{out}$, the gradient of the final (scalar) loss $L$ with respect to the layer's
#   output, and returns the gradients with respect to its inputs and parameters.
#
# The **chain rule (链式法则)** connects them. If a layer computes $y = g(x)$ and $x$
# influences $L$ only through the outputs $y_k$, then
#
# $$\frac{\partial L}{\partial x} = \sum_k \frac{\partial L}{\partial y_k}
# \frac{\partial y_k}{\partial x}.$$
#
# Two rules follow that you will use in every backward pass below:
#
# 1. **A gradient has the shape of the variable it belongs to**: `dX` has the shape of `X`,
#    `dW` the shape of `W`.
# 2. **When a variable is used several times, its gradients add up.** A shared weight
#    (the same kernel at every position, the same bias for every image of the batch) gets the
#    *sum* of the gradients of all its uses: that is where the `+=` and the sums over the
#    batch come from.
#
# The backward pass calls the layers' backward functions in the reverse order of the
# forward pass: this is **backpropagation (反向传播)**.

# %% [markdown]
# ## 4.2 Activation functions (激活函数): ReLU and the sigmoid
#
# **ReLU** (rectified linear unit, 修正线性单元) is $\operatorname{relu}(x) = \max(0, x)$.
# Its derivative is 1 for $x > 0$ and 0 for $x < 0$. At $x = 0$ ReLU has a corner and no
# derivative; a backward pass still has to return *something*, and the convention (used by
# PyTorch and TensorFlow, and in this course) is **0**. It only matters when an input is exactly 0,
# which happens more often than you might think: with integer data, and in a ReLU whose
# input was itself clipped to 0.
#
# > **A common mistake.** Some notes give $\operatorname{relu}'(0) = 1$. Any value in
# > $[0, 1]$ is a valid *subgradient* there, so 1 is not wrong mathematically, but it is not
# > the convention of PyTorch and TensorFlow, and a backward pass that returns 1 at 0 gives
# > gradient to units that output exactly 0. This course uses 0 and tests for it.
#
# The **sigmoid** (S型函数) is $\sigma(x) = \dfrac{1}{1 + e^{-x}}$, with the convenient derivative
#
# $$\sigma'(x) = \sigma(x)\,\bigl(1 - \sigma(x)\bigr) \le \tfrac14 .$$
#
# So the backward pass of the sigmoid needs only its output: it caches `out`, not `X`.
#
# **Computing the sigmoid without overflow.** In float64, $e^{709} \approx 8 \cdot
# 10^{307}$ is the largest power that fits; `np.exp(1000)` is `inf` and NumPy warns
# "overflow encountered in exp". The formula $1/(1 + e^{-x})$ overflows for $x < -709$,
# and the equal form $e^{x}/(1 + e^{x})$ for $x > 709$. The fix uses $e = e^{-|x|}$, which
# lies in $(0, 1]$ and never overflows:
#
# $$\sigma(x) = \begin{cases} \dfrac{1}{1 + e} & x \ge 0 \\[2mm] \dfrac{e}{1 + e} & x < 0
# \end{cases} \qquad e = e^{-|x|}.$$
#
# > **A common mistake.** `np.where(X >= 0, 1 / (1 + np.exp(-X)), np.exp(X) / (1 +
# > np.exp(X)))` still overflows: `np.where` evaluates *both* branches for every element and
# > only then picks. Compute `np.exp(-np.abs(X))` once and build both branches from it.
#
# ### Exercise 1 — ReLU forward and backward
# Write `relu_forward(X)` returning `(out, cache)` with `cache = X` (the input itself), and
# `relu_backward(dout, cache)` returning `dX`, which is `dout` where $X > 0$ and 0 elsewhere
# (including at $X = 0$). Both work on arrays of any shape.


# %% nbgrader={"solution": true, "grade_id": "relu"}
def relu_forward(X):
    """ReLU, max(X, 0), elementwise.

    Parameters
    ----------
    X : ndarray of any shape

    Returns
    -------
    out : ndarray of X's shape
    cache : ndarray
        The input X itself.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=np.float64)
    return np.maximum(X, 0.0), X
    ### END SOLUTION


def relu_backward(dout, cache):
    """Gradient of ReLU; the derivative at exactly 0 is taken as 0.

    Parameters
    ----------
    dout : ndarray of X's shape
        Upstream gradient dL/d(out).
    cache : ndarray
        X, as returned by relu_forward.

    Returns
    -------
    dX : ndarray of X's shape
    """
    ### BEGIN SOLUTION
    X = cache
    if np.shape(dout) != np.shape(X):
        raise ValueError(f"dout must have the shape of X {np.shape(X)}, got {np.shape(dout)}")
    return dout * (X > 0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "relu_worked_example", "points": 1}
# Visible tests: a small example with an exact zero.
X_relu = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])
dout_relu = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
out, cache = call(relu_forward, (X_relu,))
expect_array("relu_forward(X)[0]", out, [[0, 0, 0], [0.5, 1, 3]])
expect_array(
    "relu_forward(X)[1] (the cache)",
    cache,
    X_relu,
    misconceptions={"the cache must be the input X, not a mask": X_relu > 0},
)
expect_array(
    "relu_backward(dout, X)",
    call(relu_backward, (dout_relu, X_relu)),
    [[0, 0, 0], [4, 5, 6]],
    misconceptions={
        "at X == 0 the derivative is taken as 0 (use X > 0, not X >= 0)": [[0, 0, 3], [4, 5, 6]],
        "multiply the mask by dout: dX = dout * (X > 0)": [[0, 0, 0], [1, 1, 1]],
    },
)
print("relu: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "relu_hidden", "points": 1}
# Hidden tests (1 point): random inputs of many shapes, with many exact zeros.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.relu_hidden(relu_forward, relu_backward)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 — the sigmoid, forward and backward
# Write `sigmoid_forward(X)` returning `(out, cache)` with `cache = out`, computed without
# overflow as above (the hidden tests feed it $\pm 1000$ and fail on any overflow warning),
# and `sigmoid_backward(dout, cache)` returning `dout * out * (1 - out)`.


# %% nbgrader={"solution": true, "grade_id": "sigmoid"}
def sigmoid_forward(X):
    """The sigmoid 1 / (1 + exp(-X)), elementwise, without overflow for large |X|.

    Parameters
    ----------
    X : ndarray of any shape

    Returns
    -------
    out : ndarray of X's shape, values in [0, 1]
    cache : ndarray
        out itself.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=np.float64)
    e = np.exp(-np.abs(X))  # in (0, 1]: never overflows
    out = np.where(X >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out
    ### END SOLUTION


def sigmoid_backward(dout, cache):
    """Gradient of the sigmoid.

    Parameters
    ----------
    dout : ndarray of X's shape
    cache : ndarray
        out, as returned by sigmoid_forward.

    Returns
    -------
    dX : ndarray of X's shape
    """
    ### BEGIN SOLUTION
    out = cache
    if np.shape(dout) != np.shape(out):
        raise ValueError(f"dout must have the shape of out {np.shape(out)}, got {np.shape(dout)}")
    return dout * out * (1.0 - out)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "sigmoid_worked_example", "points": 1}
# Visible tests: sigma(0) = 1/2, sigma(+-2), and +-1000, where exp overflows.
X_sig = np.array([-1000.0, -2.0, 0.0, 2.0, 1000.0])
s2 = 1 / (1 + np.exp(-2.0))  # sigma(2); sigma(-2) = 1 - sigma(2)
out, cache = call(sigmoid_forward, (X_sig,))
expect_array("sigmoid_forward(X)[0]", out, [0.0, 1 - s2, 0.5, s2, 1.0])
expect_array("sigmoid_forward(X)[1] (the cache)", cache, [0.0, 1 - s2, 0.5, s2, 1.0])
dout_sig = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
expect_array(
    "sigmoid_backward(dout, out)",
    call(sigmoid_backward, (dout_sig, np.array([0.0, 1 - s2, 0.5, s2, 1.0]))),
    [0.0, 2 * s2 * (1 - s2), 0.75, 4 * s2 * (1 - s2), 0.0],
    misconceptions={
        "the cache is already sigma(X): use out * (1 - out), do not apply the sigmoid again": (
            dout_sig
            * (1 / (1 + np.exp(-np.array([0.0, 1 - s2, 0.5, s2, 1.0]))))
            * (1 - 1 / (1 + np.exp(-np.array([0.0, 1 - s2, 0.5, s2, 1.0]))))
        ),
        "multiply by dout: dX = dout * out * (1 - out)": [
            0.0,
            s2 * (1 - s2),
            0.25,
            s2 * (1 - s2),
            0.0,
        ],
    },
)
print("sigmoid: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "sigmoid_hidden", "points": 1}
# Hidden tests (1 point): random inputs of many shapes, forward and backward.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.sigmoid_hidden(sigmoid_forward, sigmoid_backward)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sigmoid_stable", "points": 1}
# Hidden tests (1 point): |X| up to 1000 with no overflow warning, and full precision for
# large negative X (sigma(-40) is about 4.2e-18, not 0).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.sigmoid_stable(sigmoid_forward)
### END HIDDEN TESTS

# %% [markdown]
# Here are both activations and their derivatives, computed by **your** functions (the
# derivative is the backward pass with `dout = 1`).

# %%
x_plot = np.linspace(-6, 6, 601)
ones = np.ones_like(x_plot)
relu_out, relu_cache = relu_forward(x_plot)
sig_out, sig_cache = sigmoid_forward(x_plot)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
axes[0].plot(x_plot, sig_out, label=r"$\sigma(x)$")
axes[0].plot(x_plot, sigmoid_backward(ones, sig_cache), label=r"$\sigma'(x)$, at most 1/4")
for side in (-1, 1):  # where sigma' < 0.02: |x| > 3.9
    axes[0].axvspan(3.9 * side, 6.3 * side, color="C3", alpha=0.12)
axes[0].text(5, 0.5, "saturated", ha="center", color="C3", rotation=90)
axes[0].text(-5, 0.5, "saturated", ha="center", color="C3", rotation=90)
axes[1].plot(x_plot, relu_out, label=r"relu$(x)$")
axes[1].plot(x_plot, relu_backward(ones, relu_cache), label="relu$'(x)$: 0 or 1")
for ax, title in zip(axes, ["sigmoid", "ReLU"], strict=True):
    ax.set_title(title)
    ax.set_xlabel("x")
    ax.axhline(0, color="k", linewidth=0.5)
    ax.legend(loc="upper left")
fig.tight_layout()
plt.show()

# %% [markdown]
# The sigmoid's derivative is at most $1/4$ and almost 0 once $|x| > 5$: the
# **saturated** regions. A gradient that passes backwards through a sigmoid is multiplied
# by a number $\le 1/4$, and through ten of them by at most $4^{-10} \approx 10^{-6}$. This
# is the **vanishing gradient (梯度消失)** problem; section 4.8 measures it.
#
# ReLU's advantages, which made it the default activation of CNNs:
#
# - **no vanishing for $x > 0$**: the derivative there is exactly 1, however large $x$ is;
# - **sparse activation (稀疏激活)**: for inputs centred at 0 about half of the units output
#   exactly 0, so each input is represented by a small set of active units;
# - **cheap**: a comparison, no exponential, forward and backward.
#
# Its weakness is the other half of the same coin: a unit whose input is negative for every
# example gets zero gradient and stops learning (a **dead ReLU**, 神经元死亡); leaky ReLU,
# $\max(0.01x, x)$, keeps a small slope there.

# %% [markdown]
# ## 4.3 Gradient checking (梯度检验)
#
# A backward pass can be wrong and still produce numbers of the right shape, and a network
# trained with a slightly wrong gradient often still learns, just worse. So before trusting
# a backward pass, compare it with a **numerical gradient**. For a scalar function $f$ and
# each entry $X_i$,
#
# $$\frac{\partial f}{\partial X_i} \approx \frac{f(X + h e_i) - f(X - h e_i)}{2h},$$
#
# where $e_i$ is 1 at entry $i$ and 0 elsewhere. This **centered difference (中心差分)**
# has error $O(h^2)$: the Taylor terms in $h$ cancel. The one-sided (forward) difference
# $\bigl(f(X + h e_i) - f(X)\bigr)/h$ has error $O(h)$: far larger for small $h$. On the
# $\sin$ example below, at $h = 10^{-5}$, its relative error is about $4 \times 10^{-6}$
# against $10^{-11}$ for the centered difference, some $4 \times 10^{5}$ times larger (the
# cell prints the ratio).
#
# Always compute in **float64**. In float32 a number has only about 7 significant digits, so
# $x + 10^{-5}$ keeps only two or three digits of the step, and the difference
# $f(x+h) - f(x-h)$ is mostly rounding error.
#
# To compare the two gradients use the **relative error (相对误差)**
#
# $$\operatorname{rel\_error}(a, b) = \frac{\lVert a - b\rVert}{\lVert a\rVert + \lVert b
# \rVert},$$
#
# with Euclidean norms over all entries (and 0 when both are zero). It does not depend on
# the scale of the gradient. In float64 with $h = 10^{-5}$: below $10^{-7}$ the gradient is
# right; around $10^{-5}$ look again (or you are near a kink, see below); above $10^{-3}$
# it is wrong. (Some courses divide entry by entry and take the largest ratio; that
# version blows up on entries where both gradients are almost 0, which is common, so we use
# norms.)
#
# **Checking a layer whose output is an array.** A layer's backward pass returns $\partial
# L/\partial X$ for the upstream gradient `dout` it is given. Pick a random `dout` and define
# the scalar $f(X) = \sum \text{out}(X) \odot \text{dout}$; its gradient is exactly what
# `backward(dout, cache)` should return. So
# `numerical_gradient(lambda Z: np.sum(layer_forward(Z)[0] * dout), X)` is the reference.
#
# **Kinks.** ReLU and max pooling have corners. If an input lies within $h$ of a corner,
# $X + h e_i$ and $X - h e_i$ fall on different sides and the numerical gradient is an
# average of the two slopes. Check with random non-integer inputs, which are almost never
# that close to a corner.
#
# ### Exercise 3 — a numerical gradient
# Write `numerical_gradient(f, X, h=1e-5)` returning the centered-difference gradient of the
# scalar function `f` at `X`: a float64 array of `X`'s shape. Work on a float64 copy,
# `Xc = np.array(X, dtype=np.float64)`, since `X` may hold integers or float32 and the
# caller's array must not change; call `f` with arrays of `X`'s shape; after perturbing an
# entry, put its old value back before moving on. (Iterate over a flat view,
# `Xc.reshape(-1)`, which shares memory with the copy.)


# %% nbgrader={"solution": true, "grade_id": "numerical_gradient"}
def numerical_gradient(f, X, h=1e-5):
    """Gradient of a scalar function by centered differences, in float64.

    Parameters
    ----------
    f : callable
        f(Z) -> scalar, for Z of X's shape.
    X : array_like
        The point at which to differentiate; not modified.
    h : float
        The step.

    Returns
    -------
    grad : ndarray of X's shape, float64
    """
    ### BEGIN SOLUTION
    Xc = np.array(X, dtype=np.float64)  # a private float64 copy
    grad = np.zeros_like(Xc)
    flat, grad_flat = Xc.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = float(f(Xc))
        flat[i] = old - h
        minus = float(f(Xc))
        flat[i] = old  # restore before the next entry
        grad_flat[i] = (plus - minus) / (2 * h)
    return grad
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "numerical_gradient_worked_example", "points": 1}
# Visible test: f(X) = sum(X**3) has gradient 3 X**2.
X_cube = np.array([[1.0, 2.0], [3.0, -1.0]])
h = 1e-5
expect_array(
    "numerical_gradient(lambda Z: np.sum(Z**3), X)",
    call(numerical_gradient, (lambda Z: np.sum(Z**3), X_cube)),
    [[3.0, 12.0], [27.0, 3.0]],
    misconceptions={
        "that is the forward difference (f(X + h) - f(X)) / h: use the centered one": (
            3 * X_cube**2 + 3 * X_cube * h + h**2
        ),
        "divide by 2h: the two points X - h and X + h are 2h apart": 2 * 3 * X_cube**2,
    },
    rtol=1e-8,
    atol=1e-8,
)
print("numerical_gradient: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "numerical_gradient_hidden", "points": 2}
# Hidden tests (2 points): functions that couple the entries, 1-D to 4-D inputs, the step h,
# integer and float32 inputs, the caller's X left unchanged.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.numerical_gradient_hidden(numerical_gradient)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4 — relative error
# Write `rel_error(a, b)` $= \lVert a - b\rVert / (\lVert a\rVert + \lVert b\rVert)$ with
# Euclidean norms over all entries (`np.linalg.norm` of an array without `axis` does that).
# Return `0.0` when both are all zeros, and raise a `ValueError` if the shapes differ.


# %% nbgrader={"solution": true, "grade_id": "rel_error"}
def rel_error(a, b):
    """Relative error between two arrays of the same shape.

    Parameters
    ----------
    a, b : array_like of the same shape

    Returns
    -------
    float
        ||a - b|| / (||a|| + ||b||), or 0.0 if a and b are both zero.
    """
    ### BEGIN SOLUTION
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denom)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "rel_error_worked_example", "points": 1}
# Visible tests: equal arrays, one of them zero, and a small difference.
expect_array("rel_error([3, 4], [3, 4])", call(rel_error, ([3.0, 4.0], [3.0, 4.0])), 0.0)
expect_array("rel_error([3, 4], [0, 0])", call(rel_error, ([3.0, 4.0], [0.0, 0.0])), 1.0)
expect_array(
    "rel_error([3, 4], [3, 4.5])",
    call(rel_error, ([3.0, 4.0], [3.0, 4.5])),
    0.5 / (5 + np.sqrt(9 + 4.5**2)),
    misconceptions={
        "use norms of the whole arrays, not the largest entrywise ratio": 0.5 / 8.5,
        "divide by ||a|| + ||b||, not by ||a||": 0.5 / 5,
    },
)
expect_raises(rel_error, (np.ones(3), np.ones(4)), why="the shapes differ")
print("rel_error: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "rel_error_hidden", "points": 1}
# Hidden tests (1 point): random arrays of several shapes, both zero, lists, and shapes that
# differ even where NumPy could broadcast them.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.rel_error_hidden(rel_error)
### END HIDDEN TESTS

# %% [markdown]
# **Why centered, why float64.** The error of the numerical derivative of $\sin$, for
# steps $h$ from $10^{-12}$ to $10^{-1}$: your centered difference in float64, the forward
# difference in float64, and the centered difference in float32. For large $h$ the
# truncation error dominates (slope 1 for forward, slope 2 for centered, on log-log axes);
# for tiny $h$ rounding error, about $\varepsilon/h$, takes over. Centered float64 with
# $h \approx 10^{-5}$ is near the bottom of its V.

# %%
x_point = np.array([0.7, -1.3, 2.1])
exact = np.cos(x_point)
steps = np.logspace(-12, -1, 34)


def forward_difference(f, X, h):
    X = np.array(X, dtype=np.float64)
    grad = np.zeros_like(X)
    for i in range(X.size):
        Xp = X.copy()
        Xp[i] += h
        grad[i] = (f(Xp) - f(X)) / h
    return grad


def centered_float32(f, X, h):
    X = np.array(X, dtype=np.float32)
    grad = np.zeros_like(X)
    for i in range(X.size):
        Xp, Xm = X.copy(), X.copy()
        Xp[i] += np.float32(h)
        Xm[i] -= np.float32(h)
        grad[i] = (f(Xp) - f(Xm)) / np.float32(2 * h)
    return grad


def norm_error(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


fig, ax = plt.subplots(figsize=(9, 4))
with np.errstate(all="ignore"):
    f_sin = lambda Z: np.sum(np.sin(Z))  # noqa: E731
    err_forward = [norm_error(forward_difference(f_sin, x_point, h), exact) for h in steps]
    err_f32 = [norm_error(centered_float32(f_sin, x_point, h), exact) for h in steps]
    err_centered = [norm_error(numerical_gradient(f_sin, x_point, h), exact) for h in steps]
ax.loglog(steps, err_forward, "o-", ms=3, label="forward difference, float64")
ax.loglog(steps, err_f32, "s-", ms=3, label="centered, float32")
ax.loglog(steps, err_centered, "^-", ms=3, label="centered, float64 (yours)")
ax.axvline(1e-5, color="gray", linestyle=":", label="h = 1e-5")
ax.axhline(1e-7, color="C3", linestyle="--", linewidth=1, label="1e-7")
ax.set_xlabel("step h")
ax.set_ylabel("relative error")
ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
fig.tight_layout()
plt.show()
forward_at, centered_at = (
    norm_error(forward_difference(f_sin, x_point, 1e-5), exact),
    norm_error(numerical_gradient(f_sin, x_point, 1e-5), exact),
)
print(
    f"h = 1e-5: forward {forward_at:.1e}, centered {centered_at:.1e}, "
    f"ratio {forward_at / centered_at:.1e}"
)

# %% [markdown]
# Now use your checker on your own layers. The inputs are random floats, so none sits on
# ReLU's corner at 0.

# %%
rng = np.random.default_rng(0)
X_check = rng.standard_normal((2, 3, 4))
dout_check = rng.standard_normal((2, 3, 4))
for name, forward, backward in [
    ("relu", relu_forward, relu_backward),
    ("sigmoid", sigmoid_forward, sigmoid_backward),
]:
    analytic = backward(dout_check, forward(X_check)[1])
    numeric = numerical_gradient(lambda Z, fw=forward: np.sum(fw(Z)[0] * dout_check), X_check)
    print(f"{name:8s} relative error {rel_error(analytic, numeric):.2e}")

# %% [markdown]
# ## 4.4 Backpropagation in fully connected layers
#
# Before convolutions, the classic case. A fully connected network (全连接网络) computes,
# for layers $l = 1, \dots, L$ with $a^{(0)} = x$,
#
# $$z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}, \qquad a^{(l)} = f\bigl(z^{(l)}\bigr).$$
#
# Define the **error term (误差项)** of layer $l$ as $\delta^{(l)} = \partial L / \partial
# z^{(l)}$. The chain rule gives three formulas:
#
# $$\begin{aligned}
# \delta^{(L)} &= \frac{\partial L}{\partial a^{(L)}} \odot f'\bigl(z^{(L)}\bigr)
#   &&\text{output layer; for } L = \tfrac12\lVert a^{(L)} - t\rVert^2:\;
#   \bigl(a^{(L)} - t\bigr) \odot f'\bigl(z^{(L)}\bigr),\\
# \delta^{(l)} &= \Bigl(\bigl(W^{(l+1)}\bigr)^{\top} \delta^{(l+1)}\Bigr) \odot
#   f'\bigl(z^{(l)}\bigr) &&\text{hidden layers, from the top down,}\\
# \frac{\partial L}{\partial W^{(l)}} &= \delta^{(l)} \bigl(a^{(l-1)}\bigr)^{\top},
#   \quad \frac{\partial L}{\partial b^{(l)}} = \delta^{(l)}
#   &&\text{so gradient descent updates } W^{(l)} \leftarrow W^{(l)} - \alpha\,
#   \delta^{(l)} \bigl(a^{(l-1)}\bigr)^{\top}.
# \end{aligned}$$
#
# The middle formula is the heart of backpropagation: **the forward pass multiplies by
# $W$, the backward pass multiplies by $W^\top$**. The same "transpose" relation will give
# the backward pass of a convolution.
#
# > **A common mistake.** Many notes write the update as $\Delta W = \alpha\, \delta\,
# > a^\top$ *added* to $W$. That is right only when $\delta$ is defined with the opposite
# > sign, $\delta^{(L)} = (t - a^{(L)}) \odot f'$. With $\delta = \partial L/\partial z$
# > (the definition above, and what a backward pass computes), the update *subtracts*:
# > $W \leftarrow W - \alpha\, \delta\, a^\top$. Mixing the two conventions makes the loss go
# > up.
#
# **A small example.** Two inputs, two sigmoid hidden units, one sigmoid output, target
# $t = 1$, squared error. Every number below comes from the three formulas.

# %%
sigma = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731  (small inputs here: no overflow)
x_fc = np.array([1.0, 0.5])
W1 = np.array([[0.1, -0.2], [0.4, 0.3]])
b1 = np.array([0.0, 0.1])
W2 = np.array([[0.5, -0.6]])
b2 = np.array([0.2])
t = np.array([1.0])

# forward
z1 = W1 @ x_fc + b1
a1 = sigma(z1)
z2 = W2 @ a1 + b2
a2 = sigma(z2)
loss_fc = 0.5 * np.sum((a2 - t) ** 2)
# backward
delta2 = (a2 - t) * a2 * (1 - a2)  # output layer: dL/da * f'(z)
delta1 = (W2.T @ delta2) * a1 * (1 - a1)  # hidden layer: (W^T delta_next) * f'(z)
dW2, db2 = np.outer(delta2, a1), delta2
dW1, db1 = np.outer(delta1, x_fc), delta1
print("z1 =", z1, " a1 =", a1)
print("z2 =", z2, " a2 =", a2, f" loss = {loss_fc:.6f}")
print("delta2 =", delta2, " delta1 =", delta1)
print("dL/dW2 =", dW2, "\ndL/dW1 =\n", dW1)

alpha = 0.5
W1_new, b1_new = W1 - alpha * dW1, b1 - alpha * db1
W2_new, b2_new = W2 - alpha * dW2, b2 - alpha * db2
a2_new = sigma(W2_new @ sigma(W1_new @ x_fc + b1_new) + b2_new)
print(
    f"after one step with alpha = {alpha}: loss "
    f"{loss_fc:.6f} -> {0.5 * np.sum((a2_new - t) ** 2):.6f}"
)

# %% [markdown]
# Check the example with your gradient checker: the loss as a function of $W_1$ (or $W_2$).


# %%
def fc_loss(W1_, W2_):
    a1_ = sigma(W1_ @ x_fc + b1)
    return 0.5 * np.sum((sigma(W2_ @ a1_ + b2) - t) ** 2)


print("dW1 relative error:", rel_error(dW1, numerical_gradient(lambda Z: fc_loss(Z, W2), W1)))
print("dW2 relative error:", rel_error(dW2, numerical_gradient(lambda Z: fc_loss(W1, Z), W2)))

# %% [markdown]
# ## 4.5 The backward pass of a convolution layer
#
# The layers of chapters 2 and 3 are given below in short loop versions (you wrote them
# there): a convolution layer with stride and zero padding (cross-correlation, as in
# deep-learning libraries) and max pooling that records, for each window, where its maximum
# was. Run the cell; you will use them in the exercises.

# %%
# Provided (chapters 1-3): not graded.


def corr2d(X, K):
    """2-D cross-correlation, stride 1, no padding (chapter 1)."""
    kH, kW = K.shape
    Y = np.zeros((X.shape[0] - kH + 1, X.shape[1] - kW + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i : i + kH, j : j + kW] * K)
    return Y


def conv2d_forward(X, W, b, stride=1, pad=0):
    """Convolution layer (chapter 2): X (N, C, H, W), W (C_out, C, kH, kW), b (C_out,).

    Returns out of shape (N, C_out, H', W') with H' = (H + 2 pad - kH) // stride + 1, and
    cache = (X, W, b, stride, pad).
    """
    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))
    N, C, H, Wd = X.shape  # Wd is the width: the name W is taken by the weights
    C_out, C_in, kH, kW = W.shape
    if C_in != C or b.shape != (C_out,):
        raise ValueError(f"shapes do not fit: X {X.shape}, W {W.shape}, b {b.shape}")
    if kH > H + 2 * pad or kW > Wd + 2 * pad:
        raise ValueError(f"a {kH}x{kW} kernel does not fit in {H}x{Wd} padded by {pad}")
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho = (H + 2 * pad - kH) // stride + 1
    Wo = (Wd + 2 * pad - kW) // stride + 1
    out = np.zeros((N, C_out, Ho, Wo))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = Xp[n, :, i * stride : i * stride + kH, j * stride : j * stride + kW]
                out[n, :, i, j] = np.tensordot(W, window, axes=3) + b
    return out, (X, W, b, stride, pad)


def maxpool2d_forward(X, size=2, stride=2):
    """Max pooling (chapter 3) of X (N, C, H, W) with size x size windows.

    Returns out of shape (N, C, H', W') with H' = (H - size) // stride + 1, and
    cache = (X.shape, size, stride, argmax): argmax[n, c, i, j] is the row-major offset
    u * size + v of the maximum inside window (i, j), the first one on ties (np.argmax).
    """
    X = np.asarray(X, dtype=float)
    N, C, H, Wd = X.shape
    Ho = (H - size) // stride + 1
    Wo = (Wd - size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    argmax = np.zeros((N, C, Ho, Wo), dtype=int)
    for i in range(Ho):
        for j in range(Wo):
            window = X[:, :, i * stride : i * stride + size, j * stride : j * stride + size]
            flat = window.reshape(N, C, size * size)
            argmax[:, :, i, j] = flat.argmax(axis=2)
            out[:, :, i, j] = flat.max(axis=2)
    return out, (X.shape, size, stride, argmax)


# %% [markdown]
# ### Deriving the gradients
#
# With zero padding (填充) $p$ ($X_p$ is $X$ with $p$ zeros on each side) and stride
# (步长) $s$, the layer computes
#
# $$\text{out}[n, o, i, j] = b[o] + \sum_{c, u, v} W[o, c, u, v]\;
# X_p[n, c,\; s i + u,\; s j + v].$$
#
# Each weight, and each input pixel, is used at many positions (weight sharing, 参数共享);
# by rule 2 of section 4.1 their gradients add up over those positions:
#
# - **bias**: $b[o]$ appears once in every output of channel $o$, so
#   $$db[o] = \sum_{n, i, j} \text{dout}[n, o, i, j],$$
#   a sum over the batch $N$ and the positions $H', W'$;
# - **weights**: $W[o, c, u, v]$ multiplies $X_p[n, c, si+u, sj+v]$, so
#   $$dW[o, c, u, v] = \sum_{n, i, j} \text{dout}[n, o, i, j]\; X_p[n, c,\; s i + u,\;
#   s j + v].$$
#   For $s = 1$ this is the **cross-correlation of the input with `dout`**: slide
#   `dout[n, o]` over `Xp[n, c]` as if it were a kernel, and sum over the batch.
# - **input**: pixel $X_p[n, c, y, x]$ is multiplied by $W[o, c, u, v]$ in every window that
#   covers it, $y = si + u$, $x = sj + v$, so
#   $$dX_p[n, c, y, x] = \sum_{o}\;\sum_{\substack{i, u:\; si+u = y\\ j, v:\; sj+v = x}}
#   \text{dout}[n, o, i, j]\; W[o, c, u, v],$$
#   and $dX$ is $dX_p$ without its padding border. Read as a loop: every output position
#   sends `dout[n, o, i, j] * W[o]` back onto the window it came from, and overlapping
#   windows add up.
#
# **dX is a full convolution with the kernel rotated by 180°.** For $s = 1$ and one channel,
# substitute $u = y - i$: $dX[y, x] = \sum_{i, j} \text{dout}[i, j]\, W[y - i, x - j]$. The
# kernel index *decreases* as the output index grows: this is a true (flipped) convolution
# of `dout` with $W$, over every position where they overlap (full, or wide, convolution,
# 宽卷积). In the language of deep-learning layers, which cross-correlate (chapter 1): pad
# `dout` with $k - 1$ zeros on each side and cross-correlate it with the kernel **rotated by
# 180°**, `W[o, c, ::-1, ::-1]`, summing over the output channels $o$.
#
# **The transpose relation.** A convolution is a linear map, so it is a (big, sparse)
# matrix: $\text{out} = M x$ for the flattened input $x$, where each row of $M$ holds the
# kernel at one window position. As in section 4.4, the backward pass multiplies by the
# transpose, $\delta_x = M^\top \delta_{\text{out}}$, and applying $M^\top$ is exactly the
# full convolution with the rotated kernel. You will check this numerically below.
# (Running a convolution "through $M^\top$" is also what a *transposed convolution*
# (转置卷积) layer does. It is often called *deconvolution* (反卷积), a misleading name: it
# applies $M^\top$, not the inverse $M^{-1}$, so it does not undo the convolution.)
#
# **Stride and padding.** The transpose view handles both:
#
# - with stride $s$ the windows are $s$ apart, so the gradient of output $(i, j)$ lands at
#   $(si, sj)$: before the full convolution, **dilate** `dout` by inserting $s - 1$ zeros
#   between its entries (equivalently, in the loop, scatter at `i * stride`); input rows
#   that no window reached get 0;
# - padding only adds inputs that are constant zeros: compute the gradient for the padded
#   input and **crop** the border, `dX = dXp[:, :, pad:pad + H, pad:pad + W]`.
#
# > **A common mistake.** The "transpose" in $\delta = W^\top \delta'$ is the transpose of
# > the big matrix $M$, not of the small kernel: for the kernel it becomes a rotation by
# > 180° (`K[::-1, ::-1]`), which is not `K.T`. And "full convolution with the rotated
# > kernel" is said in the deep-learning sense (cross-correlation with `K[::-1, ::-1]`); as a
# > mathematical convolution, which flips by itself, it is a full convolution with `K`.
# > Rotating twice, or not at all, gives the same wrong answer.
#
# **Worked example.** The input and kernel of chapter 1 give `out = [[15, 16], [6, 15]]`.
# Take `dout = [[1, 2], [-1, 1]]`. Then `db = 1 + 2 - 1 + 1 = 3`, `dW` is the input
# cross-correlated with `dout`, and `dX` is `dout` padded by 2 and cross-correlated with the
# rotated kernel:

# %%
X_example = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=float)
K_example = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=float)
dout_example = np.array([[1, 2], [-1, 1]], dtype=float)
dW_example = corr2d(X_example, dout_example)
dX_example = corr2d(np.pad(dout_example, 2), K_example[::-1, ::-1])

fig, axes = plt.subplots(1, 3, figsize=(8, 3), gridspec_kw={"width_ratios": [4, 2, 3]})
draw_matrix(axes[0], X_example, "input X", highlight=(0, 0, 2, 2))
draw_matrix(axes[1], dout_example, "dout (slides over X)", cmap="Oranges")
draw_matrix(axes[2], dW_example, "dW = X ⋆ dout", highlight=(0, 0, 1, 1), cmap="Greens")
fig.tight_layout()
fig, axes = plt.subplots(1, 3, figsize=(11, 4), gridspec_kw={"width_ratios": [6, 3, 4]})
draw_matrix(axes[0], np.pad(dout_example, 2), "dout padded by k - 1 = 2", highlight=(0, 0, 3, 3))
draw_matrix(axes[1], K_example[::-1, ::-1], "K rotated 180°", cmap="Oranges")
draw_matrix(
    axes[2], dX_example, "dX = pad(dout) ⋆ rot180(K)", highlight=(0, 0, 1, 1), cmap="Greens"
)
fig.tight_layout()
plt.show()

# %% [markdown]
# Check one number by hand: `dX[0, 0]` only comes from the window at output (0, 0), where
# $X[0, 0]$ met $K[0, 0] = 2$; so $dX[0, 0] = \text{dout}[0, 0] \cdot K[0, 0] = 2$. In the
# picture: the outlined 3×3 block of the padded `dout` holds 1 in its corner, which meets
# the rotated kernel's bottom-right corner, which is $K[0, 0] = 2$.
#
# ### Exercise 5 — the backward pass of a convolution layer
# Write `conv2d_backward(dout, cache)` for the cache `(X, W, b, stride, pad)` of
# `conv2d_forward`, returning `(dX, dW, db)` of the shapes of `X`, `W` and `b`. Any correct
# method is fine: the loop suggested by the formula for $dX_p$ (for each image `n` and
# output position `(i, j)`, add `dout[n, :, i, j]`-weighted windows to `dW` and scatter
# `W` weighted by `dout[n, :, i, j]` into `dXp`), or the full-convolution view. Raise a
# `ValueError` if `dout` does not have the shape of the forward output. Do not call library
# convolution functions or cnnkit's layers.


# %% nbgrader={"solution": true, "grade_id": "conv2d_backward"}
def conv2d_backward(dout, cache):
    """Backward pass of a convolution layer (cross-correlation, stride, zero padding).

    Parameters
    ----------
    dout : ndarray of shape (N, C_out, H', W')
        Upstream gradient dL/d(out).
    cache : tuple
        (X, W, b, stride, pad) from conv2d_forward: X (N, C, H, W), W (C_out, C, kH, kW),
        b (C_out,).

    Returns
    -------
    dX : ndarray of shape (N, C, H, W)
    dW : ndarray of shape (C_out, C, kH, kW)
    db : ndarray of shape (C_out,)
    """
    ### BEGIN SOLUTION
    X, W, b, stride, pad = cache
    N, C, H, Wd = X.shape  # Wd: the width (W holds the weights)
    C_out, kH, kW = W.shape[0], W.shape[2], W.shape[3]
    out_shape = (N, C_out, (H + 2 * pad - kH) // stride + 1, (Wd + 2 * pad - kW) // stride + 1)
    dout = np.asarray(dout, dtype=float)
    if dout.shape != out_shape:
        raise ValueError(f"dout must have shape {out_shape}, got {dout.shape}")
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad))).astype(float)
    dXp = np.zeros_like(Xp)
    dW = np.zeros(W.shape)
    db = dout.sum(axis=(0, 2, 3))  # one sum per filter, over N, H', W'
    Ho, Wo = out_shape[2], out_shape[3]
    # The same sums as the loop over output positions (n, i, j), ordered the other way:
    # one step per kernel tap (u, v), each handling every image and position at once.
    # kH * kW = 25 steps instead of N * H' * W' (50,000 for a LeNet batch): same result,
    # about 50 times faster, fast enough to train LeNet on in chapter 5.
    for u, v in np.ndindex(kH, kW):
        rows = slice(u, u + stride * (Ho - 1) + 1, stride)
        cols = slice(v, v + stride * (Wo - 1) + 1, stride)
        seen = Xp[:, :, rows, cols]  # (N, C, H', W'): the inputs tap (u, v) met
        dW[:, :, u, v] = np.tensordot(dout, seen, axes=([0, 2, 3], [0, 2, 3]))
        back = np.tensordot(dout, W[:, :, u, v], axes=([1], [0]))  # (N, H', W', C)
        dXp[:, :, rows, cols] += back.transpose(0, 3, 1, 2)
    dX = dXp[:, :, pad : pad + H, pad : pad + Wd]  # crop the padding
    return dX, dW, db
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv2d_backward_worked_example", "points": 2}
# Visible tests: the worked example (stride 1, no padding), then stride 2 with padding 1,
# then a batch of 3 images and 2 filters.
DB_AXES = "db sums dout over N, H' and W' (axes (0, 2, 3)), one entry per filter; "
db_shapes = {
    DB_AXES + "this sums over (2, 3): also sum over the images": (1, 1),
    DB_AXES + "this sums over (0, 2)": (1, 2),
    DB_AXES + "this sums over axis 0 only": (1, 2, 2),
    DB_AXES + "this sums over everything": (),
}
db_wrong = {message: np.zeros(shape) for message, shape in db_shapes.items()}
X1 = X_example.reshape(1, 1, 4, 4)
W1c = K_example.reshape(1, 1, 3, 3)
dout1 = dout_example.reshape(1, 1, 2, 2)
dX, dW, db = call(conv2d_backward, (dout1, (X1, W1c, np.zeros(1), 1, 0)))
expect_array(
    "dX (stride 1, pad 0)",
    dX,
    np.array([[2, 4, 1, 2], [-2, 3, 3, 5], [1, 1, 1, 6], [-1, 1, -2, 2]]).reshape(1, 1, 4, 4),
    misconceptions={
        "dX used the kernel as it is (or rotated it twice: a convolution that flips the "
        "kernel, given K[::-1, ::-1], flips it back); rotate it by 180 degrees once": np.array(
            [[2, 4, 1, 2], [0, 7, 1, 1], [-1, 3, 3, 4], [-1, 1, -2, 2]]
        ).reshape(1, 1, 4, 4),
        "dX used the transposed kernel K.T; the backward pass rotates it by 180 degrees "
        "(K[::-1, ::-1])": np.array(
            [[2, 6, 5, 2], [-2, 1, 3, 1], [1, 1, 3, 4], [-1, 1, -2, 2]]
        ).reshape(1, 1, 4, 4),
        "dX scattered the transposed kernel K.T; scatter the kernel as it is (that is the "
        "full convolution with K rotated by 180 degrees)": np.array(
            [[2, 4, 1, 2], [-2, 3, 1, 1], [1, 3, 7, 4], [-1, -1, 0, 2]]
        ).reshape(1, 1, 4, 4),
    },
)
expect_array(
    "dW (stride 1, pad 0)",
    dW,
    np.array([[6, 9, 4], [-1, 6, 9], [4, -1, 6]]).reshape(1, 1, 3, 3),
    misconceptions={
        "dW was rotated by 180 degrees or transposed (here both give the same): dW is the "
        "cross-correlation of X with dout, neither rotated nor transposed": np.array(
            [[6, -1, 4], [9, 6, -1], [4, 9, 6]]
        ).reshape(1, 1, 3, 3)
    },
)
expect_array(
    "db (stride 1, pad 0)",
    db,
    [3.0],
    misconceptions={"db is the sum of dout, not its mean": [0.75], **db_wrong},
)
dX, dW, db = call(conv2d_backward, (dout1, (X1, W1c, np.zeros(1), 2, 1)))
expect_array(
    "dX (stride 2, pad 1)",
    dX,
    np.array([[1, 2, 2, 4], [0, 5, 0, 5], [-1, -2, 1, 2], [0, -1, 0, 2]]).reshape(1, 1, 4, 4),
    misconceptions={
        "the stride was ignored: output (i, j) came from the window at (2i, 2j)": np.array(
            [[3, 3, 5, 0], [1, 1, 6, 0], [1, -2, 2, 0], [0, 0, 0, 0]]
        ).reshape(1, 1, 4, 4),
        "dX still has the padding: crop it, dX = dXp[:, :, pad:pad + H, pad:pad + W]": np.zeros(
            (1, 1, 6, 6)
        ),
    },
)
expect_array(
    "dW (stride 2, pad 1)",
    dW,
    np.array([[1, 2, 2], [4, 5, 4], [5, 2, 5]]).reshape(1, 1, 3, 3),
    misconceptions={
        "the stride was ignored: output (i, j) came from the window at (2i, 2j)": np.array(
            [[1, 1, 1], [2, 6, 9], [3, -1, 6]]
        ).reshape(1, 1, 3, 3)
    },
)
expect_array("db (stride 2, pad 1)", db, [3.0], misconceptions=db_wrong)
# A batch of 3 images and 2 filters of 2x2: here dW is not symmetric, so transposing and
# rotating it give different wrong answers, and db has one entry per filter.
X3 = np.array(
    [
        [[[2, 1, 1], [2, 0, 1], [2, -1, -2]]],
        [[[-1, -1, 2], [2, -2, 0], [2, -2, 1]]],
        [[[-2, 0, 2], [-1, -1, -1], [1, -1, 2]]],
    ]
)
W3 = np.array([[[[0, 0], [0, 0]]], [[[0, 0], [2, 2]]]])
dout3 = np.array(
    [
        [[[1, 1], [1, -1]], [[2, 0], [-1, 2]]],
        [[[-2, 2], [1, -2]], [[-2, 0], [-2, -2]]],
        [[[0, 2], [0, 2]], [[2, 2], [1, 0]]],
    ]
)
_, dW, db = call(conv2d_backward, (dout3, (X3, W3, np.zeros(2), 1, 0)))
expect_array(
    "dW (3 images, 2 filters)",
    dW,
    [[[[9, 7], [-1, 4]]], [[[-1, 13], [-7, -2]]]],
    misconceptions={
        "dW was transposed (its last two axes swapped); dW[o, c, u, v] pairs dout with "
        "X[n, c, i + u, j + v], u along the rows": [[[[9, -1], [7, 4]]], [[[-1, -7], [13, -2]]]],
        "dW is the cross-correlation of X with dout; it is not rotated": [
            [[[4, -1], [7, 9]]],
            [[[-2, -7], [13, -1]]],
        ],
    },
)
expect_array(
    "db (3 images, 2 filters)",
    db,
    [5, 2],
    misconceptions={
        DB_AXES + "this sums over (0, 2)": np.zeros((2, 2)),
        DB_AXES + "this sums over (2, 3): also sum over the images": np.zeros((3, 2)),
        DB_AXES + "this sums over (1, 2, 3), one value per image": np.zeros(3),
        DB_AXES + "this sums over axis 0 only": np.zeros((2, 2, 2)),
        DB_AXES + "this sums over everything": np.zeros(()),
        "db is the sum of dout, not its mean": [5 / 12, 2 / 12],
    },
)
print("conv2d_backward: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "conv2d_backward_db", "points": 1}
# Hidden tests (1 point): db on random cases, several images and channels.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.conv2d_backward_db(conv2d_backward)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv2d_backward_dw", "points": 2}
# Hidden tests (2 points): dW on random cases, stride 1, no padding.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.conv2d_backward_dw(conv2d_backward)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv2d_backward_dx", "points": 2}
# Hidden tests (2 points): dX on random cases, stride 1, no padding.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.conv2d_backward_dx(conv2d_backward)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv2d_backward_stride_pad", "points": 2}
# Hidden tests (2 points): dX, dW, db with stride 2 and 3 and padding 1 and 2.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.conv2d_backward_stride_pad(conv2d_backward)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "conv2d_backward_edge_cases", "points": 1}
# Hidden tests (1 point): one channel, one image, a kernel as large as the padded input,
# 1x1 kernels, a stride larger than the kernel, float inputs, and a dout of the wrong shape.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.conv2d_backward_edge_cases(conv2d_backward)
### END HIDDEN TESTS

# %% [markdown]
# ### The transpose relation, numerically
#
# Build the matrix $M$ of the worked example's convolution column by column: column $k$ is
# the (flattened) output for an input that is 1 at pixel $k$ and 0 elsewhere. Each of the 4
# rows holds the 9 kernel values at one window position. Then compare $M^\top\,
# \text{dout}$ with your `dX`, also for stride 2 and padding 1, where $M$ has the same
# number of rows but each row sits at its strided window, and the padding pixels, which are
# not inputs, have no column.


# %%
def conv_matrix(shape, W, stride, pad):
    """The matrix M with conv2d_forward(X, W, 0, stride, pad)[0].ravel() == M @ X.ravel()."""
    size = int(np.prod(shape))
    columns = []
    for k in range(size):
        e = np.zeros(size)
        e[k] = 1.0
        out, _ = conv2d_forward(e.reshape(shape), W, np.zeros(W.shape[0]), stride, pad)
        columns.append(out.ravel())
    return np.stack(columns, axis=1)


M1 = conv_matrix(X1.shape, W1c, stride=1, pad=0)
M2 = conv_matrix(X1.shape, W1c, stride=2, pad=1)
fig, axes = plt.subplots(2, 1, figsize=(9, 3.6))
for ax, M, title in [(axes[0], M1, "stride 1, pad 0"), (axes[1], M2, "stride 2, pad 1")]:
    draw_matrix(ax, M, f"M for {title}: out = M x  (4 outputs x 16 input pixels)", cmap="Purples")
fig.tight_layout()
plt.show()

for M, stride, pad in [(M1, 1, 0), (M2, 2, 1)]:
    dX_yours = conv2d_backward(dout1, (X1, W1c, np.zeros(1), stride, pad))[0]
    same = np.allclose(dX_yours.ravel(), M.T @ dout1.ravel())
    print(f"stride {stride}, pad {pad}: your dX equals M.T @ dout: {same}")

# %% [markdown]
# ### dX as a full convolution, with stride and padding
#
# The same gradient, the other way: dilate `dout` by the stride, pad it by $k - 1$ (full
# mode), cross-correlate with the rotated kernel summing over output channels, put zeros
# where no window reached, and crop the padding. It agrees with your loop on a random
# multi-channel case.


# %%
def dX_by_full_convolution(dout, X_shape, W, stride, pad):
    N, C, H, Wd = X_shape
    C_out, _, kH, kW = W.shape
    Ho, Wo = dout.shape[2:]
    dilated = np.zeros((N, C_out, stride * (Ho - 1) + 1, stride * (Wo - 1) + 1))
    dilated[:, :, ::stride, ::stride] = dout  # s - 1 zeros between entries
    full = np.pad(dilated, ((0, 0), (0, 0), (kH - 1, kH - 1), (kW - 1, kW - 1)))
    rotated = W[:, :, ::-1, ::-1]
    dXp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad))  # rows no window reached stay 0
    for n in range(N):
        for c in range(C):
            for o in range(C_out):
                reached = corr2d(full[n, o], rotated[o, c])
                dXp[n, c, : reached.shape[0], : reached.shape[1]] += reached
    return dXp[:, :, pad : pad + H, pad : pad + Wd]


rng = np.random.default_rng(4)
X_r, W_r = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
out_r, cache_r = conv2d_forward(X_r, W_r, np.zeros(4), stride=2, pad=1)
dout_r = rng.standard_normal(out_r.shape)
print(
    "full-convolution view equals your dX:",
    np.allclose(
        dX_by_full_convolution(dout_r, X_r.shape, W_r, 2, 1), conv2d_backward(dout_r, cache_r)[0]
    ),
)

# %% [markdown]
# And your gradient checker on the same layer: for each of `X`, `W` and `b`, the numerical
# gradient of $\sum \text{out} \odot \text{dout}$.

# %%
X_g, W_g, b_g = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 2)), rng.random(3)
out_g, cache_g = conv2d_forward(X_g, W_g, b_g, stride=2, pad=1)
dout_g = rng.standard_normal(out_g.shape)
dX_g, dW_g, db_g = conv2d_backward(dout_g, cache_g)
num_dX = numerical_gradient(lambda Z: np.sum(conv2d_forward(Z, W_g, b_g, 2, 1)[0] * dout_g), X_g)
num_dW = numerical_gradient(lambda Z: np.sum(conv2d_forward(X_g, Z, b_g, 2, 1)[0] * dout_g), W_g)
num_db = numerical_gradient(lambda Z: np.sum(conv2d_forward(X_g, W_g, Z, 2, 1)[0] * dout_g), b_g)
for name, analytic, numeric in [("dX", dX_g, num_dX), ("dW", dW_g, num_dW), ("db", db_g, num_db)]:
    print(f"{name}: relative error {rel_error(analytic, numeric):.2e}")

# %% [markdown]
# > **A common mistake.** `dW` and `db` are *sums* over the batch: every image used the same
# > weights. Do not keep only the first image, and do not divide by $N$ here: if the loss is
# > a mean over the batch, the $1/N$ is already inside `dout` (section 4.7), and dividing
# > again makes the gradient $N$ times too small.

# %% [markdown]
# ## 4.6 Pooling backward, and a conv → ReLU → pool block
#
# Max pooling (最大池化) passes on one value per window, the maximum; the others do not
# affect the output, so their gradient is 0. The whole gradient of output $(i, j)$ goes to
# the position of its window's maximum, which the forward pass recorded in `argmax` (the
# "max id"): offset $m$ in the window is row $u = m \,//\, \text{size}$, column
# $v = m \,\%\, \text{size}$, i.e. input position $(s i + u, s j + v)$. When windows
# overlap (stride < size) an input can be the maximum of several windows, and its
# gradients add up (rule 2 again: use `+=`).
#
# A real network chains layers: conv → pool, pool → conv, conv → conv, conv → fully
# connected. Whatever the order, the backward pass calls each layer's backward function in
# reverse order, each one's output being the next one's `dout`. Flattening a feature map
# for a fully connected layer is a reshape, and its backward pass is the reshape back.
#
# ### Exercise 6 — max pooling backward
# Write `maxpool2d_backward(dout, cache)` for the cache `(X_shape, size, stride, argmax)`
# of the provided `maxpool2d_forward`: return `dX` of shape `X_shape`, zero except at the
# recorded maxima. Raise a `ValueError` if `dout` does not have the shape of `argmax`.


# %% nbgrader={"solution": true, "grade_id": "maxpool2d_backward"}
def maxpool2d_backward(dout, cache):
    """Backward pass of max pooling: each gradient goes to its window's recorded maximum.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H', W')
    cache : tuple
        (X_shape, size, stride, argmax) from maxpool2d_forward; argmax (N, C, H', W').

    Returns
    -------
    dX : ndarray of shape X_shape
    """
    ### BEGIN SOLUTION
    X_shape, size, stride, argmax = cache
    dout = np.asarray(dout, dtype=float)
    if dout.shape != argmax.shape:
        raise ValueError(f"dout must have shape {argmax.shape}, got {dout.shape}")
    dX = np.zeros(X_shape)
    for n, c, i, j in np.ndindex(argmax.shape):
        u, v = divmod(int(argmax[n, c, i, j]), size)  # row-major offset in the window
        dX[n, c, i * stride + u, j * stride + v] += dout[n, c, i, j]  # += for overlaps
    return dX
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "maxpool2d_backward_worked_example", "points": 1}
# Visible tests: 2x2 windows with stride 2 (ties go to the first maximum), then 3x3 windows
# with stride 1, which overlap.
dout_pool = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
_, pool_cache = maxpool2d_forward(X1, size=2, stride=2)
expect_array(
    "maxpool2d_backward (size 2, stride 2)",
    call(maxpool2d_backward, (dout_pool, pool_cache)),
    np.array([[0, 1, 2, 0], [0, 0, 0, 0], [3, 0, 0, 4], [0, 0, 0, 0]]).reshape(1, 1, 4, 4),
    misconceptions={
        "argmax is row-major: u = argmax // size, v = argmax % size": np.array(
            [[0, 0, 2, 0], [1, 0, 0, 0], [3, 0, 0, 0], [0, 0, 4, 0]]
        ).reshape(1, 1, 4, 4),
    },
)
_, pool_cache = maxpool2d_forward(X1, size=3, stride=1)
expect_array(
    "maxpool2d_backward (size 3, stride 1)",
    call(maxpool2d_backward, (dout_pool, pool_cache)),
    np.array([[0, 0, 3, 0], [0, 0, 0, 4], [3, 0, 0, 0], [0, 0, 0, 0]]).reshape(1, 1, 4, 4),
    misconceptions={
        "overlapping windows: add the gradients (+=), do not overwrite them": np.array(
            [[0, 0, 2, 0], [0, 0, 0, 4], [3, 0, 0, 0], [0, 0, 0, 0]]
        ).reshape(1, 1, 4, 4),
    },
)
print("maxpool2d_backward: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "maxpool2d_backward_hidden", "points": 2}
# Hidden tests (2 points): random inputs with ties, several images and channels, windows of
# 2 and 3 with and without overlap, rows no window reaches, a dout of the wrong shape.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.maxpool2d_backward_hidden(maxpool2d_backward)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7 — a conv → ReLU → pool block
# Compose the layers. `conv_relu_pool_forward(X, W, b, stride=1, pad=0, pool=2)` runs the
# provided `conv2d_forward`, your `relu_forward`, and the provided `maxpool2d_forward` with
# windows of `pool` and stride `pool`; it returns `(out, cache)` with
# `cache = (conv_cache, relu_cache, pool_cache)`. `conv_relu_pool_backward(dout, cache)`
# returns `(dX, dW, db)` by calling your backward functions in reverse order.


# %% nbgrader={"solution": true, "grade_id": "conv_relu_pool"}
def conv_relu_pool_forward(X, W, b, stride=1, pad=0, pool=2):
    """conv -> ReLU -> max pool.

    Returns
    -------
    out : ndarray of shape (N, C_out, H'', W'')
    cache : tuple (conv_cache, relu_cache, pool_cache)
    """
    ### BEGIN SOLUTION
    a, conv_cache = conv2d_forward(X, W, b, stride, pad)
    r, relu_cache = relu_forward(a)
    out, pool_cache = maxpool2d_forward(r, pool, pool)
    return out, (conv_cache, relu_cache, pool_cache)
    ### END SOLUTION


def conv_relu_pool_backward(dout, cache):
    """Backward pass of conv -> ReLU -> max pool.

    Returns
    -------
    dX, dW, db : ndarrays of the shapes of X, W and b
    """
    ### BEGIN SOLUTION
    conv_cache, relu_cache, pool_cache = cache
    dr = maxpool2d_backward(dout, pool_cache)
    da = relu_backward(dr, relu_cache)
    return conv2d_backward(da, conv_cache)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_relu_pool_worked_example", "points": 1}
# Visible test: the worked example with padding 1 and bias -8, then ReLU and 2x2 max pooling.
# The conv output is [[-1,4,2,-6],[-4,7,8,2],[2,-2,7,-2],[0,2,-4,-5]]; after ReLU the
# bottom-left window has a tie (2 and 2): the first maximum gets the gradient.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

# graded with the reference ReLU, pool and conv backward: a mistake there costs once
hidden.alone(conv_relu_pool_forward)
hidden.alone(conv_relu_pool_backward)
### END HIDDEN TESTS
out, cache = call(conv_relu_pool_forward, (X1, W1c, np.array([-8.0])), {"pad": 1})
expect_array("conv_relu_pool_forward(...)[0]", out, np.array([[7, 8], [2, 7]]).reshape(1, 1, 2, 2))
dX, dW, db = call(conv_relu_pool_backward, (dout_pool, cache))
expect_array(
    "dX",
    dX,
    np.array([[2, 4, 1, 2], [0, 12, 4, 8], [4, 8, 6, 12], [0, 10, 0, 8]]).reshape(1, 1, 4, 4),
)
expect_array("dW", dW, np.array([[9, 16, 18], [2, 18, 16], [15, 8, 18]]).reshape(1, 1, 3, 3))
expect_array("db", db, [10.0])
print("conv_relu_pool: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "conv_relu_pool_hidden", "points": 2}
# Hidden tests (2 points): random blocks with stride, padding, several images and channels.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.conv_relu_pool_hidden(conv_relu_pool_forward, conv_relu_pool_backward)
### END HIDDEN TESTS

# %% [markdown]
# Check the whole block with your gradient checker, on random floats (no ties, no input
# exactly at ReLU's corner):

# %%
rng = np.random.default_rng(7)
X_b, W_b, b_b = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((2, 2, 3, 3)), rng.random(2)
out_b, cache_b = conv_relu_pool_forward(X_b, W_b, b_b, stride=1, pad=1)
dout_b = rng.standard_normal(out_b.shape)
grads = conv_relu_pool_backward(dout_b, cache_b)
for k, (name, value) in enumerate([("dX", X_b), ("dW", W_b), ("db", b_b)]):

    def block_loss(Z, k=k):
        args = [X_b, W_b, b_b]
        args[k] = Z
        return np.sum(conv_relu_pool_forward(*args, stride=1, pad=1)[0] * dout_b)

    print(
        f"{name}: relative error {rel_error(grads[k], numerical_gradient(block_loss, value)):.2e}"
    )

# %% [markdown]
# ### Exercise 8 — pool → conv and conv → fully connected
# Exercise 7 went backward through conv → pool. The other pairings of a CNN are pool →
# conv (the gradient a convolution sends back to its input, `dX`, is the `dout` of the
# pooling layer before it) and conv → fully connected (flattening is a reshape, so its
# backward pass is the reshape back). The provided `pool_conv_fc_forward(X, params)` runs
# 2×2 max pooling, a convolution with padding 1 and a fully connected layer on the
# flattened feature maps, `scores = flat @ W2 + b2`; its cache is
# `(pool_cache, conv_cache, a_shape, flat, W2)`, where `a_shape` is the shape of the
# convolution's output.
#
# Write `pool_conv_fc_backward(dscores, cache)` returning `(dX, dW1, db1, dW2, db2)`: the
# fully connected layer's gradients ($dW_2 = \text{flat}^\top\, d\text{scores}$,
# $db_2$ the sum over the batch, $d\text{flat} = d\text{scores}\, W_2^\top$), then the
# reshape back, then your `conv2d_backward` and `maxpool2d_backward`.


# %%
def pool_conv_fc_forward(X, params):
    """max pool (2x2) -> conv (pad 1) -> flatten -> fully connected.

    Parameters
    ----------
    X : ndarray of shape (N, C, H, W), H and W even
    params : tuple (W1, b1, W2, b2)
        W1 (C_out, C, k, k), b1 (C_out,), W2 (C_out * H' * W', K), b2 (K,).

    Returns
    -------
    scores : ndarray of shape (N, K)
    cache : tuple (pool_cache, conv_cache, a_shape, flat, W2)
    """
    W1, b1, W2, b2 = params
    p, pool_cache = maxpool2d_forward(X, 2, 2)
    a, conv_cache = conv2d_forward(p, W1, b1, 1, 1)
    flat = a.reshape(a.shape[0], -1)  # conv -> fully connected: one row per image
    return flat @ W2 + b2, (pool_cache, conv_cache, a.shape, flat, W2)


# %% nbgrader={"solution": true, "grade_id": "pool_conv_fc"}
def pool_conv_fc_backward(dscores, cache):
    """Backward pass of pool -> conv -> flatten -> fully connected.

    Parameters
    ----------
    dscores : ndarray of shape (N, K)
    cache : tuple (pool_cache, conv_cache, a_shape, flat, W2) from pool_conv_fc_forward

    Returns
    -------
    dX, dW1, db1, dW2, db2 : ndarrays of the shapes of X, W1, b1, W2 and b2
    """
    ### BEGIN SOLUTION
    pool_cache, conv_cache, a_shape, flat, W2 = cache
    dscores = np.asarray(dscores, dtype=float)
    dW2 = flat.T @ dscores
    db2 = dscores.sum(axis=0)
    da = (dscores @ W2.T).reshape(a_shape)  # the backward pass of flatten: reshape back
    dp, dW1, db1 = conv2d_backward(da, conv_cache)
    dX = maxpool2d_backward(dp, pool_cache)  # pool -> conv: dX of the conv is pool's dout
    return dX, dW1, db1, dW2, db2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "pool_conv_fc_gradient_check", "points": 1}
# Visible test: every gradient against a numerical gradient of the provided forward pass
# (cnnkit's centered differences in float64), on random floats.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.alone(pool_conv_fc_backward)  # graded with the reference conv and pool backward
### END HIDDEN TESTS
rng_fc = np.random.default_rng(3)
X_fc = rng_fc.standard_normal((2, 2, 4, 4))
params_fc = [
    rng_fc.standard_normal((3, 2, 3, 3)),
    rng_fc.standard_normal(3),
    rng_fc.standard_normal((12, 4)),
    rng_fc.standard_normal(4),
]
dscores_fc = rng_fc.standard_normal((2, 4))
scores_fc, cache_fc = pool_conv_fc_forward(X_fc, params_fc)
grads_fc = call(pool_conv_fc_backward, (dscores_fc, cache_fc))
if not isinstance(grads_fc, (tuple, list)) or len(grads_fc) != 5:
    raise CheckFailed("pool_conv_fc_backward should return (dX, dW1, db1, dW2, db2)")
inputs_fc = [X_fc, *params_fc]
for k, name in enumerate(["dX", "dW1", "db1", "dW2", "db2"]):

    def scores_of(Z, k=k):
        args = list(inputs_fc)
        args[k] = Z
        return pool_conv_fc_forward(args[0], args[1:])[0]

    numeric = numerical_gradient_check(scores_of, inputs_fc[k], dscores_fc)
    wrong = {
        "dW2": {"dW2 has the shape of W2, (D, K): this is its transpose": numeric.T},
        "db2": {"db2 is the sum over the batch, not the mean": numeric / 2},
    }
    expect_array(name, grads_fc[k], numeric, wrong.get(name), rtol=1e-6, atol=1e-8)
print("pool_conv_fc_backward: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "pool_conv_fc_hidden", "points": 2}
# Hidden tests (2 points): random networks, several images, channels and classes.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.pool_conv_fc_hidden(pool_conv_fc_backward)
### END HIDDEN TESTS

# %% [markdown]
# ## 4.7 Softmax and cross-entropy (交叉熵)
#
# A classifier's last layer outputs a score $s_k$ per class. Softmax turns the scores of
# one example into probabilities, and the cross-entropy loss is minus the log-probability of
# the correct class $y$, averaged over a batch of $N$ examples:
#
# $$p_k = \frac{e^{s_k}}{\sum_j e^{s_j}}, \qquad
# L = -\frac1N \sum_{n=1}^{N} \log p_{n, y_n}, \qquad
# \frac{\partial L}{\partial s_{n,k}} = \frac{p_{n,k} - [k = y_n]}{N}.$$
#
# The gradient is beautifully simple: predicted probability minus the one-hot target,
# divided by $N$ because the loss is a mean.
#
# **Numerical stability.** `np.exp(1000)` overflows. Softmax does not change when the same
# constant is subtracted from all scores of an example, so subtract each row's maximum
# first: the largest exponent is then $e^0 = 1$. And compute $\log p$ directly as the
# log-softmax,
#
# $$\log p_k = (s_k - m) - \log \sum_j e^{s_j - m}, \qquad m = \max_j s_j,$$
#
# rather than taking the log of $p$: a probability like $e^{-2000}$ underflows to 0, and
# $\log 0 = -\infty$, while the log-softmax gives the right $-2000$.
#
# ### Exercise 8 — softmax cross-entropy
# Write `softmax_cross_entropy(scores, y)` for scores of shape `(N, K)` and integer labels
# `y` of shape `(N,)`, returning `(loss, dscores)`: the mean loss as a float and its
# gradient of shape `(N, K)`. Raise a `ValueError` if a label is outside `0 .. K-1` or `y`
# does not have shape `(N,)`.


# %% nbgrader={"solution": true, "grade_id": "softmax_cross_entropy"}
def softmax_cross_entropy(scores, y):
    """Mean softmax cross-entropy loss and its gradient, numerically stable.

    Parameters
    ----------
    scores : ndarray of shape (N, K)
    y : ndarray of int, shape (N,), values in 0 .. K-1

    Returns
    -------
    loss : float
    dscores : ndarray of shape (N, K)
    """
    ### BEGIN SOLUTION
    scores = np.asarray(scores, dtype=float)
    y = np.asarray(y)
    if scores.ndim != 2:
        raise ValueError(f"scores must have shape (N, K), got {scores.shape}")
    N, K = scores.shape
    if y.shape != (N,):
        raise ValueError(f"y must have shape ({N},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= K:
        raise ValueError(f"y must hold integer labels in 0..{K - 1}")
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    rows = np.arange(N)
    loss = -float(np.mean(log_p[rows, y]))
    dscores = np.exp(log_p)
    dscores[rows, y] -= 1.0
    return loss, dscores / N
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "softmax_cross_entropy_worked_example", "points": 1}
# Visible tests: two examples, three classes; then the same scores shifted by 1000.
scores_ex = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
y_ex = np.array([2, 0])
p1 = np.exp([1.0, 2.0, 3.0]) / np.sum(np.exp([1.0, 2.0, 3.0]))
loss_want = (-np.log(p1[2]) + np.log(3)) / 2
dscores_want = (np.array([p1, [1 / 3] * 3]) - np.array([[0, 0, 1], [1, 0, 0]])) / 2
# What a softmax normalised over the wrong axis (axis 0, the batch) gives, with each
# column's or each row's maximum subtracted first:
onehot_ex = np.array([[0, 0, 1], [1, 0, 0]])
WRONG_AXIS = "the softmax was normalised over axis 0 (the batch): each ROW must sum to 1"
wrong_axis = {}
for i, shifted in enumerate(
    [scores_ex - scores_ex.max(axis=0), scores_ex - scores_ex.max(axis=1, keepdims=True)]
):
    p_wrong = np.exp(shifted) / np.exp(shifted).sum(axis=0)
    wrong_axis[WRONG_AXIS + " " * i] = (
        -np.mean(np.log(p_wrong[[0, 1], y_ex])),
        (p_wrong - onehot_ex) / 2,
    )
for shift in [0.0, 1000.0]:
    loss, dscores = call(softmax_cross_entropy, (scores_ex + shift, y_ex))
    expect_array(
        f"dscores (scores + {shift:g})",
        dscores,
        dscores_want,
        misconceptions={
            "the loss is a mean over N examples, so divide the gradient by N": 2 * dscores_want,
            **{message: d for message, (_, d) in wrong_axis.items()},
        },
    )
    expect_array(
        f"loss (scores + {shift:g})",
        np.asarray(loss),
        loss_want,
        misconceptions={
            "the loss is the mean over the batch, not the sum": 2 * loss_want,
            **{message: value for message, (value, _) in wrong_axis.items()},
        },
    )
expect_raises(softmax_cross_entropy, (scores_ex, np.array([2, 3])), why="label 3 with K = 3")
print("softmax_cross_entropy: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "softmax_cross_entropy_hidden", "points": 1}
# Hidden tests (1 point): random scores and labels, N from 1 to 16, K from 2 to 10.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.softmax_cross_entropy_hidden(softmax_cross_entropy)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "softmax_cross_entropy_stable", "points": 1}
# Hidden tests (1 point): scores of +-1000 and probabilities far below 1e-300, with no
# overflow or divide-by-zero warning; labels out of range and of the wrong shape.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.softmax_cross_entropy_stable(softmax_cross_entropy)
### END HIDDEN TESTS

# %% [markdown]
# ## 4.8 Vanishing gradients: sigmoid vs ReLU through depth
#
# Stack many layers $a \leftarrow f(a W)$ with random weights, push a batch through, send a
# random gradient back from the top with your backward functions, and measure the norm of
# the gradient that reaches each layer. The weights are scaled the standard way for each
# activation (standard deviation $1/\sqrt{n}$ for the sigmoid, $\sqrt{2/n}$ for ReLU, "He
# initialization"), so that the forward signal keeps its size.


# %%
def gradient_norms(activation, depth=20, width=64, batch=32, gain=1.0, seed=0):
    """Norm of dL/d(input of layer l), l = 1 .. depth, in a stack of random dense layers."""
    forward, backward, scale = {
        "sigmoid": (sigmoid_forward, sigmoid_backward, 1.0),
        "relu": (relu_forward, relu_backward, 2.0),
    }[activation]
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((batch, width))
    layers = []
    for _ in range(depth):
        W = rng.standard_normal((width, width)) * gain * np.sqrt(scale / width)
        a, cache = forward(a @ W)
        layers.append((W, cache))
    grad = rng.standard_normal((batch, width))  # dL/d(output of the top layer)
    norms = []
    for W, cache in reversed(layers):
        grad = backward(grad, cache) @ W.T  # through f, then through the weights: W^T
        norms.append(np.linalg.norm(grad))
    return np.array(norms[::-1])


def plot_gradient_norms(depth=20, gain=1.0):
    fig, ax = plt.subplots(figsize=(7, 4))
    for activation in ["sigmoid", "relu"]:
        norms = gradient_norms(activation, depth=depth, gain=gain)
        ax.semilogy(np.arange(1, depth + 1), norms, "o-", ms=4, label=activation)
    ax.set_xlabel("layer (1 = closest to the input)")
    ax.set_ylabel("norm of the gradient reaching the layer")
    ax.set_title(f"{depth} layers, weight scale x {gain:g}")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend()
    fig.tight_layout()  # keep the axis labels inside the picture
    plt.show()


plot_gradient_norms()

# %% [markdown]
# The sigmoid's gradient shrinks by a roughly constant factor at every layer, here about
# $1/4$ (the sigmoid's slope is at most $1/4$), so after 20 layers the first layers
# receive about $10^{-12}$ of what the top receives: they barely learn. Through ReLU the
# gradient keeps its size: where a unit is active the derivative is exactly 1, and He
# scaling compensates for the half of the units that are off.
#
# Try it: move the depth, and scale the weights up or down (the plot below the sliders
# is redrawn). Larger weights push the sigmoid into saturation (even smaller gradients); for
# ReLU the gradient grows or shrinks geometrically with the scale (exploding or vanishing
# gradients), which is why the initialization scale matters.


# %%
# The labels get room of their own (the default width cuts "weight scale"); the plot is
# redrawn when a slider is released.
slider_style = {"style": {"description_width": "100px"}, "layout": {"width": "460px"}}
depth_slider = widgets.IntSlider(
    value=20, min=2, max=60, description="depth", continuous_update=False, **slider_style
)
gain_slider = widgets.FloatSlider(
    value=1.0,
    min=0.5,
    max=2.0,
    step=0.05,
    description="weight scale",
    continuous_update=False,
    **slider_style,
)
explorer_output = widgets.Output()


def redraw(change=None):
    with explorer_output:
        explorer_output.clear_output(wait=True)
        try:
            plot_gradient_norms(depth_slider.value, gain_slider.value)
        except NotImplementedError:
            print("Implement relu_forward/backward and sigmoid_forward/backward first.")


for slider in (depth_slider, gain_slider):
    slider.observe(redraw, "value")
redraw()  # draw the first plot now, not only after a slider moves
widgets.VBox(
    [
        widgets.HTML("Move a slider to redraw the plot for other settings."),
        depth_slider,
        gain_slider,
        explorer_output,
    ]
)

# %% [markdown]
# ## Check your understanding
#
# Set each variable below, then run the cell. The answers are checked when you submit.
#
# 1. `q_relu_at_zero`: what does `relu_backward` pass back at an input of exactly 0, in
#    this course? `"a"`: `dout`; `"b"`: 0; `"c"`: `dout / 2`.
# 2. `q_sigmoid_slope`: the largest value of $\sigma'(x)$ is `"a"`: 1; `"b"`: 1/2;
#    `"c"`: 1/4.
# 3. `q_centered_error`: the error of the centered difference with step $h$ is proportional
#    to `"a"`: $h$; `"b"`: $h^2$; `"c"`: $1/h$.
# 4. `q_dx_kernel`: with stride 1 and no padding, `dX` is `dout` padded by $k - 1$ and
#    cross-correlated with `"a"`: the kernel as it is; `"b"`: the kernel rotated by 180°;
#    `"c"`: the transposed kernel `K.T`.
# 5. `q_stride`: with stride 2, before that full convolution `dout` must be
#    `"a"`: dilated (a zero inserted between its entries); `"b"`: downsampled by 2;
#    `"c"`: used as it is.
# 6. `q_db_axes`: for `dout` of shape `(N, C_out, H', W')`, `db` sums over the axes
#    `"a"`: `(0, 2, 3)`; `"b"`: `(1, 2, 3)`; `"c"`: `(2, 3)`.
# 7. `q_vanishing`: in 20 sigmoid layers, the gradient reaching layer 1 is, compared with
#    the gradient at layer 20, `"a"`: about the same; `"b"`: many orders of magnitude
#    smaller; `"c"`: larger.

# %% nbgrader={"solution": true, "grade_id": "understanding_answers"}
q_relu_at_zero = None
q_sigmoid_slope = None
q_centered_error = None
q_dx_kernel = None
q_stride = None
q_db_axes = None
q_vanishing = None
### BEGIN SOLUTION
q_relu_at_zero = "b"
q_sigmoid_slope = "c"
q_centered_error = "b"
q_dx_kernel = "b"
q_stride = "a"
q_db_axes = "a"
q_vanishing = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "understanding", "points": 2}
# Hidden test (2 points): your answers.
answers = {
    "q_relu_at_zero": q_relu_at_zero,
    "q_sigmoid_slope": q_sigmoid_slope,
    "q_centered_error": q_centered_error,
    "q_dx_kernel": q_dx_kernel,
    "q_stride": q_stride,
    "q_db_axes": q_db_axes,
    "q_vanishing": q_vanishing,
}
if any(value is None for value in answers.values()):
    raise NotImplementedError("answer all seven questions above")
### BEGIN HIDDEN TESTS
from autograder.hidden import ch04 as hidden

hidden.understanding(answers)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - Every layer has a forward pass that caches what its backward pass needs; the backward
#   pass maps `dout` to gradients of the layer's inputs and parameters, which have their
#   shapes. Gradients of a variable used several times add up.
# - ReLU passes `dout` where $x > 0$ (0 at $x = 0$, by convention); the sigmoid multiplies by
#   $\sigma(1 - \sigma) \le 1/4$ and is computed from $e^{-|x|}$ to avoid overflow.
# - Check every backward pass with centered differences in float64 and the relative error
#   $\lVert a - b\rVert / (\lVert a\rVert + \lVert b\rVert)$: below $10^{-7}$ is right.
# - Fully connected layers: $\delta^{(l)} = (W^{(l+1)\top} \delta^{(l+1)}) \odot
#   f'(z^{(l)})$, $\partial L/\partial W^{(l)} = \delta^{(l)} a^{(l-1)\top}$, and
#   $W \leftarrow W - \alpha\, \delta a^\top$.
# - Convolution layers: $db$ sums `dout` over $N, H', W'$; $dW$ is the cross-correlation of
#   the (padded) input with `dout`, summed over the batch; $dX$ is the full convolution of
#   `dout` with the kernel rotated by 180°, i.e. multiplication by $M^\top$; stride dilates
#   `dout`, padding is cropped from `dX`.
# - Max pooling sends each gradient to its window's recorded maximum (adding on overlaps);
#   a block's backward pass calls the layers' backward passes in reverse order. Between
#   pool and conv the `dX` of one is the `dout` of the other; between conv and a fully
#   connected layer the flatten's backward pass is the reshape back.
# - Softmax cross-entropy: $\partial L/\partial s = (p - \text{onehot}(y))/N$, computed
#   through the log-softmax with the row maximum subtracted.
# - Sigmoid networks lose their gradient geometrically with depth; ReLU keeps it (derivative
#   1 for $x > 0$), is sparse and cheap.
#
# **Next:** chapter 5 puts these layers together into LeNet-5 and trains it on
# Fashion-MNIST.


# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl-S), then run the cell below. It checks the whole chapter the way
# grading does and lists every check with its points and, where one fails, its message
# (the mistake it recognised, if any). With the course repository (self-study) every
# check runs, hidden ones included, in the grading sandbox, and the functions whose
# checks all pass go into your own package `work/mine/`, which later chapters can use;
# in a class's student release, the visible checks run. No answer is shown either way.
# The same from a terminal: `./course.sh check 04`.

# %%
from cnnkit.selfcheck import check_my_work

check_my_work("04")
