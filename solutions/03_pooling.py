# %% [markdown]
# # Chapter 3 · Pooling (池化 / 汇聚)
#
# A convolutional layer produces one feature map per filter, as large as its input. A
# **pooling layer (池化层, also 汇聚层)** shrinks each map by summarizing small windows with
# one number: their maximum or their mean. It has no weights to learn, yet it appears in
# almost every classic CNN, from LeNet-5 to VGG.
#
# **You will learn to**
# - compute the output size of a pooling layer, $\lfloor (n-f)/s \rfloor + 1$;
# - implement max and average pooling, forward and backward, for a whole batch;
# - route gradients correctly: divided by $f \cdot f$ for the mean, to exactly one maximum
#   per window for the max (even when several elements tie), summed where windows overlap;
# - measure what pooling buys: fewer values, and some robustness to small shifts;
# - count the parameters and connections of LeNet-5's original subsampling layer.
#
# **How this notebook works.** Cells marked `# YOUR CODE HERE` are yours: replace
# `raise NotImplementedError()` with your code. The cell after each exercise runs the
# *visible tests*; when you submit, *hidden tests* also run on random inputs of many shapes.
# Each check is worth its own points, so partial work earns partial credit, and a failing
# check tells you what it expected and what it got. Run the cells from top to bottom.

# %%
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from numpy.lib.stride_tricks import sliding_window_view

from cnnkit.checks import call, expect_array, expect_equal, expect_raises, expect_shape
from cnnkit.data import load_fashion_mnist
from cnnkit.gradcheck import numerical_gradient, rel_error
from cnnkit.images import sample_photo
from cnnkit.plots import draw_matrix, show_images

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 3.1 Max pooling and average pooling
#
# Pooling slides a window of $f \times f$ over each feature map with a **stride** $s$ (步长)
# and replaces every window by one number:
#
# - **max pooling (最大池化)** keeps the largest value,
#   $$Y_{n,c,i,j} = \max_{0 \le r, q < f} X_{n,\,c,\,is + r,\,js + q};$$
# - **average pooling (平均池化)** keeps the mean,
#   $$Y_{n,c,i,j} = \frac{1}{f^2} \sum_{r=0}^{f-1} \sum_{q=0}^{f-1} X_{n,\,c,\,is + r,\,js + q}.$$
#
# Three facts set pooling apart from convolution:
#
# 1. **It works on each channel separately.** Channel $c$ of the output depends only on
#    channel $c$ of the input, so the number of channels does not change: $(N, C, H, W)$
#    becomes $(N, C, H', W')$. (A convolution filter, in contrast, sums over all input
#    channels.)
# 2. **It has no learnable parameters.** $f$ and $s$ are fixed hyperparameters.
# 3. **It usually uses no padding**, and the most common choice is $f = s = 2$: windows that
#    do not overlap, halving the height and the width.
# 4. **No activation comes after it.** In the usual block conv → ReLU → pool the
#    nonlinearity is applied before pooling, and none after: max pooling of ReLU outputs is
#    already non-negative, and ReLU commutes with max pooling,
#    $\max(\operatorname{relu}(x)) = \operatorname{relu}(\max(x))$, so a ReLU after the
#    pool would change nothing. (LeNet-5's original S2 did pass its trainable subsampling
#    through a sigmoid; modern networks do not.)
#
# With a window as large as the whole map ($f = H = W$), average pooling gives one number
# per channel: **global average pooling (全局平均池化)**. Modern networks (Inception,
# ResNet) end with it instead of large fully connected layers.
#
# **Worked example** (from Andrew Ng's course). Max and average pooling with $f = s = 2$ on a
# 4×4 input; each coloured window gives the output cell of the same colour:

# %%
X_example = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
MAX_EXAMPLE = np.array([[9, 2], [6, 3]])
AVG_EXAMPLE = np.array([[3.75, 1.25], [3.75, 2]])
# More examples for the tests below: a map with ties, Ng's 5x5 map (for 3x3 windows with
# stride 1) and an upstream gradient for the 2x2 outputs.
X_ties = np.array([[[[0, 0, 2, 2], [0, 0, 1, 2], [1, 3, 3, 0], [0, 3, 0, 1]]]])
X_ng5 = np.array(
    [[1, 3, 2, 1, 3], [2, 9, 1, 1, 5], [1, 3, 2, 3, 2], [8, 3, 5, 1, 0], [5, 6, 1, 2, 9]]
)
dout_example = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])


def show_pooling_example(X, outputs, titles, f=2, s=2):
    """The input with its windows outlined, next to pooled outputs (cells coloured alike)."""
    colours = ["tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown"]
    fig, axes = plt.subplots(
        1,
        1 + len(outputs),
        figsize=(3.3 + 2.2 * len(outputs), 3.0),
        gridspec_kw={"width_ratios": [X.shape[1]] + [Y.shape[1] for Y in outputs]},
    )
    draw_matrix(axes[0], X, "input X")
    for k, (i, j) in enumerate(np.ndindex(outputs[0].shape)):
        colour = colours[k % len(colours)]
        inset = 0.1
        axes[0].add_patch(
            Rectangle(
                (j * s - 0.5 + inset, i * s - 0.5 + inset),
                f - 2 * inset,
                f - 2 * inset,
                fill=False,
                edgecolor=colour,
                linewidth=3,
            )
        )
        for ax in axes[1:]:
            ax.add_patch(
                Rectangle((j - 0.44, i - 0.44), 0.88, 0.88, fill=False, edgecolor=colour, lw=3)
            )
    for ax, Y, title in zip(axes[1:], outputs, titles, strict=True):
        draw_matrix(ax, Y, title, cmap="Greens")
    fig.tight_layout()
    return fig


show_pooling_example(X_example, [MAX_EXAMPLE, AVG_EXAMPLE], ["max pooling", "average pooling"])
plt.show()

# %% [markdown]
# Top-left window: $\max(1, 3, 2, 9) = 9$ and $(1 + 3 + 2 + 9)/4 = 3.75$. Max pooling
# answers "is the feature present somewhere in this window?"; average pooling answers "how
# much of it is there on average?".
#
# ## 3.2 Output size
#
# A window of $f$ fits at positions $0, s, 2s, \dots$ as long as it stays inside the $n$
# inputs, so along each axis
#
# $$n' = \left\lfloor \frac{n - f}{s} \right\rfloor + 1,$$
#
# the formula of the previous chapter with no padding. When $f = s$ and $s$ divides $n$ this
# is simply $n / s$: $f = s = 2$ on a 28×28 map gives 14×14. The floor means that a window
# which would stick out of the input is dropped: $f = s = 2$ on 7 inputs gives 3 outputs and
# the last input is never looked at.
#
# > **A common mistake.** "Pooling divides the size by the stride" holds only when $f = s$.
# > AlexNet pools with overlapping 3×3 windows and stride 2: a 55×55 map becomes
# > $\lfloor (55-3)/2 \rfloor + 1 = 27$, and a 32×32 map becomes 15×15, not 16×16.
#
# ### Exercise 1 — output size
# Write `pool_output_size(n, f, stride=None)`; `stride=None` means `stride = f`. Raise a
# `ValueError` when the window does not fit ($f > n$) or when `n`, `f` or `stride` is not a
# positive integer. You will call it from every pooling function below, so they get these
# checks for free.


# %% nbgrader={"solution": true, "grade_id": "pool_output_size"}
def pool_output_size(n, f, stride=None):
    """Number of pooling windows along one axis of n inputs.

    Parameters
    ----------
    n : int
        Input length (height or width).
    f : int
        Window size.
    stride : int, optional
        Step between windows; defaults to f.

    Returns
    -------
    int
        floor((n - f) / stride) + 1
    """
    ### BEGIN SOLUTION
    if stride is None:
        stride = f
    for name, value in (("n", n), ("f", f), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if f > n:
        raise ValueError(f"a window of {f} does not fit in {n} inputs")
    return (n - f) // stride + 1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "pool_output_size_examples", "points": 1}
# Visible tests: the examples of the text, and a window that does not fit.
for args, want in [((4, 2), 2), ((28, 2, 2), 14), ((55, 3, 2), 27), ((32, 3, 2), 15), ((7, 2), 3)]:
    n, f = args[:2]
    s = args[2] if len(args) == 3 else f
    expect_equal(
        f"pool_output_size{args}",
        call(pool_output_size, args),
        want,
        misconceptions={
            "the stride was ignored (windows moved by 1): windows move by `stride`": n - f + 1,
            "n / stride holds only when f = stride": n // s,
            "the output size is off by one: it is floor((n - f) / stride) + 1": want - 1,
        },
    )
expect_raises(pool_output_size, (3, 4), why="a window of 4 does not fit in 3 inputs")
print("pool_output_size: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "pool_output_size_hidden", "points": 1}
# Hidden tests (1 point): more sizes and strides, and invalid arguments.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.pool_output_size_hidden(pool_output_size)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 — max pooling, forward
# Write `maxpool_forward(X, f=2, stride=None)` for a batch `X` of shape $(N, C, H, W)$,
# returning `out` of shape $(N, C, H', W')$ and a `cache` for the backward pass.
#
# The backward pass needs to know **which** element of each window was the maximum: the
# "max id". Record it now, in the forward pass, as an integer array `max_id` of shape
# $(N, C, H', W')$ holding the position $r \cdot f + q$ of the maximum inside its window
# (row $r$, column $q$, counted in row-major order from the window's top-left corner). When
# several elements tie for the maximum, record the **first** one in row-major order:
# `np.argmax` does exactly that, and so does PyTorch. Return
#
# ```python
# out, cache = maxpool_forward(X, f, stride)   # cache = (X, f, stride, max_id)
# ```
#
# with the stride actually used in the cache (`f` when `stride` is `None`).
#
# *Hint:* loop over the output positions $(i, j)$ only; the window
# `X[:, :, i*stride : i*stride + f, j*stride : j*stride + f]` has shape $(N, C, f, f)$ and
# holds that window for every image and channel at once. Reshape it to $(N, C, f \cdot f)$
# and reduce over the last axis. Use your `pool_output_size` for $H'$ and $W'$, and raise a
# `ValueError` if `X` is not 4-D. Library pooling functions (`cnnkit.pool`, PyTorch) are not
# allowed: the hidden tests check.


# %% nbgrader={"solution": true, "grade_id": "maxpool_forward"}
def maxpool_forward(X, f=2, stride=None):
    """Max pooling over f x f windows, per channel, no padding.

    Parameters
    ----------
    X : array_like of shape (N, C, H, W)
    f : int
        Window size.
    stride : int, optional
        Step between windows; defaults to f.

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
        H' = floor((H - f) / stride) + 1, W' likewise.
    cache : tuple (X, f, stride, max_id)
        max_id : int ndarray of shape (N, C, H', W'), position r * f + q of the first
        maximum of each window.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    if X.ndim != 4:
        raise ValueError(f"X must be a 4-D array (N, C, H, W), got shape {X.shape}")
    if stride is None:
        stride = f
    N, C, H, W = X.shape
    Ho, Wo = pool_output_size(H, f, stride), pool_output_size(W, f, stride)
    out = np.zeros((N, C, Ho, Wo))
    max_id = np.zeros((N, C, Ho, Wo), dtype=int)
    for i in range(Ho):
        for j in range(Wo):
            window = X[:, :, i * stride : i * stride + f, j * stride : j * stride + f]
            flat = window.reshape(N, C, f * f)
            max_id[:, :, i, j] = np.argmax(flat, axis=2)  # the first maximum on ties
            out[:, :, i, j] = np.max(flat, axis=2)
    return out, (X, f, stride, max_id)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "maxpool_forward_shape", "points": 1}
# Visible tests: output shapes (channels kept, stride used, floor in the size).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.alone(maxpool_forward)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
for shape, f, stride, want in [
    ((2, 3, 6, 8), 2, None, (2, 3, 3, 4)),
    ((1, 2, 7, 7), 3, 2, (1, 2, 3, 3)),
    ((2, 4, 5, 4), 2, 1, (2, 4, 4, 3)),
]:
    label = f"maxpool_forward(np.zeros({shape}), {f}, stride={stride})"
    result = call(maxpool_forward, (np.zeros(shape), f), {"stride": stride})
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        f"{label} must return (out, cache)"
    )
    N, C = shape[:2]
    expect_shape(
        f"out of {label}",
        result[0],
        want,
        misconceptions={
            "the channels were pooled together: pooling keeps all C channels": (N, 1) + want[2:],
            "the stride was ignored (windows moved by f)": (N, C, 2, 2),
            "the output size is off by one: floor((n - f) / stride) + 1": (N, C, 2, 3),
        },
    )
print("maxpool_forward: visible shape tests passed")

# %% nbgrader={"grade": true, "grade_id": "maxpool_forward_worked_example", "points": 1}
# Visible tests: the worked example, then a map with ties (max_id names the FIRST maximum).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.alone(maxpool_forward)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
out, cache = call(maxpool_forward, (X_example[None, None], 2))
expect_array(
    "out (worked example)",
    out,
    MAX_EXAMPLE[None, None],
    misconceptions={"this is average pooling": AVG_EXAMPLE[None, None]},
)
expect_array("max_id (worked example)", cache[3], [[[[3, 0], [3, 1]]]])
expect_equal("(f, stride) in the cache (stride=None means stride = f)", tuple(cache[1:3]), (2, 2))
out, cache = call(maxpool_forward, (X_ties, 2))
expect_array("out (ties)", out, [[[[0, 2], [3, 3]]]])
expect_array(
    "max_id (ties)",
    cache[3],
    [[[[0, 0], [1, 0]]]],
    misconceptions={
        "on a tie max_id must name the FIRST maximum in row-major order": [[[[3, 3], [3, 0]]]]
    },
)
print("maxpool_forward: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "maxpool_forward_random", "points": 2}
# Hidden tests (2 points): random batches; stride > 1, stride < f, non-square, N, C > 1.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.maxpool_forward_random(maxpool_forward)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "maxpool_forward_edge_cases", "points": 1}
# Hidden tests (1 point): window = input, 1x1 windows, C = 1, ties (max_id), negative
# inputs, integer inputs, and bad arguments (ValueError).
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.maxpool_forward_edge_cases(maxpool_forward)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3 — average pooling, forward
# Write `avgpool_forward(X, f=2, stride=None)` the same way, with the mean instead of the
# maximum. The backward pass of the mean needs only the sizes, so the cache is
# `(X.shape, f, stride)`, again with the stride actually used.


# %% nbgrader={"solution": true, "grade_id": "avgpool_forward"}
def avgpool_forward(X, f=2, stride=None):
    """Average pooling over f x f windows, per channel, no padding.

    Parameters
    ----------
    X : array_like of shape (N, C, H, W)
    f : int
    stride : int, optional
        Defaults to f.

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
    cache : tuple (X.shape, f, stride)
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    if X.ndim != 4:
        raise ValueError(f"X must be a 4-D array (N, C, H, W), got shape {X.shape}")
    if stride is None:
        stride = f
    N, C, H, W = X.shape
    Ho, Wo = pool_output_size(H, f, stride), pool_output_size(W, f, stride)
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = X[:, :, i * stride : i * stride + f, j * stride : j * stride + f]
            out[:, :, i, j] = window.mean(axis=(2, 3))
    return out, (X.shape, f, stride)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "avgpool_forward_worked_example", "points": 1}
# Visible tests: the worked example, and Ng's 5x5 map with overlapping 3x3 windows, stride 1.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.alone(avgpool_forward)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
out, cache = call(avgpool_forward, (X_example[None, None], 2))
expect_array(
    "out (worked example)",
    out,
    AVG_EXAMPLE[None, None],
    misconceptions={
        "this is max pooling": MAX_EXAMPLE[None, None],
        "this is the window sum, not the mean: divide by f*f": 4 * AVG_EXAMPLE[None, None],
    },
)
expect_equal("cache (worked example)", tuple(cache), ((1, 1, 4, 4), 2, 2))
expect_array(
    "avgpool_forward(X_ng5, 3, stride=1)",
    call(avgpool_forward, (X_ng5[None, None], 3), {"stride": 1})[0],
    np.array([[[[24, 25, 20], [34, 28, 20], [34, 26, 25]]]]) / 9,
)
print("avgpool_forward: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "avgpool_forward_random", "points": 2}
# Hidden tests (2 points): random batches; stride > 1, stride < f, non-square, N, C > 1.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.avgpool_forward_random(avgpool_forward)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "avgpool_forward_edge_cases", "points": 1}
# Hidden tests (1 point): window = input, 1x1 windows, C = 1, integer inputs, bad arguments.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.avgpool_forward_edge_cases(avgpool_forward)
### END HIDDEN TESTS

# %% [markdown]
# ### Pooling a real image
#
# Here is Grace Hopper's portrait (bundled with matplotlib) and a Fashion-MNIST ankle boot,
# pooled by **your** functions. Max pooling lets the brightest pixel of each window win: bright
# details (the stars, the ribbons, the white sole) stay crisp and grow, and the image gets
# brighter. Average pooling blurs them into their surroundings. Both keep the overall
# picture with 4 or 16 times fewer values.

# %%
photo = sample_photo(max_size=160)
fashion_test, fashion_labels = load_fashion_mnist("test", normalize=True)
boot = fashion_test[0].astype(np.float64)  # test image 0 is an ankle boot

for image, name in [(photo, "photo"), (boot, "ankle boot")]:
    batch = image[None, None]
    pooled = [
        maxpool_forward(batch, 2)[0][0, 0],
        avgpool_forward(batch, 2)[0][0, 0],
        maxpool_forward(batch, 4)[0][0, 0],
        avgpool_forward(batch, 4)[0][0, 0],
    ]
    show_images(
        [image] + pooled,
        [f"{name} {image.shape[0]}×{image.shape[1]}"]
        + [
            f"{kind} f=s={f}: {p.shape[0]}×{p.shape[1]}"
            for (kind, f), p in zip(
                [("max", 2), ("avg", 2), ("max", 4), ("avg", 4)], pooled, strict=True
            )
        ],
        size=2.6,
    )
    plt.show()

# %% [markdown]
# ### Explore
# Move the sliders: the window $f$, the stride $s$, the kind of pooling and the image, which
# your functions pool as you go (a few windows are outlined on the input). The printed size
# is $\lfloor (n - f)/s \rfloor + 1$ along each axis. What happens with $s > f$? (Some pixels
# are skipped entirely.) With $s = 1$? (The output is barely smaller, and every pixel is
# counted up to $f^2$ times.)


# %%
def render_pooling(image, f, stride, kind):
    """PNG of the image (its first windows outlined) next to its pooled version."""
    forward = maxpool_forward if kind == "max" else avgpool_forward
    pooled = forward(image[None, None], f, stride)[0][0, 0]
    fig = Figure(figsize=(7.5, 3.6), dpi=80)  # not pyplot: the widget redraws it itself
    axes = fig.subplots(1, 2)
    axes[0].imshow(image, cmap="gray")
    for k in range(min(3, pooled.shape[1])):  # the first windows of the top row
        axes[0].add_patch(
            Rectangle(
                (k * stride - 0.5, -0.5), f, f, fill=False, edgecolor=f"C{k + 1}", linewidth=2
            )
        )
    axes[0].set_title(f"input {image.shape[0]}×{image.shape[1]}")
    axes[1].imshow(pooled, cmap="gray")
    axes[1].set_title(f"{kind} pooling f={f}, s={stride}: {pooled.shape[0]}×{pooled.shape[1]}")
    for ax in axes:
        ax.axis("off")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue(), pooled.shape


explorer_images = {"ankle boot": boot, "photo": photo}
controls = {
    "image": widgets.Dropdown(options=list(explorer_images), description="image"),
    "kind": widgets.Dropdown(options=["max", "avg"], description="pooling"),
    "f": widgets.IntSlider(value=2, min=1, max=8, description="window f"),
    "stride": widgets.IntSlider(value=2, min=1, max=8, description="stride s"),
}
view = widgets.Image(format="png")
status = widgets.HTML()


def update_explorer(change=None):
    image = explorer_images[controls["image"].value]
    f, s, kind = controls["f"].value, controls["stride"].value, controls["kind"].value
    try:
        view.value, (Ho, Wo) = render_pooling(image, f, s, kind)
    except NotImplementedError:
        status.value = f"Write {kind}pool_forward first, then run this cell again."
        return
    except Exception as exc:  # show an error of your function here, not as a traceback
        status.value = f"<span style='color:#b00'>{type(exc).__name__}: {exc}</span>"
        return
    H, W = image.shape
    status.value = (
        f"output {Ho}×{Wo}: &lfloor;({H} &minus; {f}) / {s}&rfloor; + 1 = {Ho}, "
        f"&lfloor;({W} &minus; {f}) / {s}&rfloor; + 1 = {Wo}"
    )


for control in controls.values():
    control.observe(update_explorer, "value")
update_explorer()
widgets.VBox(
    [
        widgets.HBox(list(controls.values())[:2]),
        widgets.HBox(list(controls.values())[2:]),
        view,
        status,
    ]
)

# %% [markdown]
# ## 3.3 Why pool?
#
# - **Fewer values.** 2×2 pooling with stride 2 keeps one value in four. The next
#   convolution then costs four times less, and a fully connected layer at the end of the
#   network needs four times fewer weights, which also reduces overfitting.
# - **A wider view.** After pooling, a 3×3 kernel covers a 6×6 patch of the original
#   image: deeper layers see larger parts of the object.
# - **Some invariance to small shifts (平移不变性).** If the input moves by one pixel, the
#   maximum of a window often stays in the same window, so the pooled map changes less than
#   the input did.
#
# Let us measure the last point on 500 Fashion-MNIST test images. Shift each image one
# pixel to the right and compare, before and after pooling, with the relative difference
# $\lVert a - b \rVert / \lVert a \rVert$ (0 means identical).

# %%
images = fashion_test[:500, None].astype(np.float64)  # (500, 1, 28, 28)
shifted = np.zeros_like(images)
shifted[..., 1:] = images[..., :-1]  # one pixel to the right


def relative_difference(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(a)


print(f"raw 28×28 images:         {relative_difference(images, shifted):.2f}")
for f in (2, 3, 4):
    d_max = relative_difference(maxpool_forward(images, f)[0], maxpool_forward(shifted, f)[0])
    d_avg = relative_difference(avgpool_forward(images, f)[0], avgpool_forward(shifted, f)[0])
    print(f"after {f}×{f} pooling, s={f}:  max {d_max:.2f}   average {d_avg:.2f}")

x, x_shift = images[0, 0], shifted[0, 0]
p, p_shift = maxpool_forward(images[:1], 2)[0][0, 0], maxpool_forward(shifted[:1], 2)[0][0, 0]
fig = show_images(
    [x, x_shift, np.abs(x - x_shift), p, p_shift, np.abs(p - p_shift)],
    [
        "image",
        "shifted 1 pixel",
        f"|difference|, relative {relative_difference(x, x_shift):.2f}",
        "max-pooled image (2×2)",
        "max-pooled shifted",
        f"|difference|, relative {relative_difference(p, p_shift):.2f}",
    ],
    ncols=3,
    size=2.6,
)
for ax in fig.axes:  # one grey scale for all six panels: black 0, white 1
    ax.images[0].set_clim(0, 1)
plt.show()

# %% [markdown]
# The pooled maps of an image and of its shifted copy agree clearly better than the images
# themselves, and more so for larger windows. The invariance is only partial: a shift can
# still push a maximum across a window border. A network gets more of it by stacking
# several convolution and pooling stages.
#
# ## 3.4 Backward pass of average pooling
#
# Backpropagation (反向传播) asks: given $\partial L / \partial Y$ (we write `dout`), what
# is $\partial L / \partial X$ (`dX`)? Each output of average pooling is
# $Y_{ij} = \frac{1}{f^2} \sum X_{\text{window}}$, so
# $\partial Y_{ij} / \partial X_{ab} = 1/f^2$ for each of the $f^2$ inputs in its window
# and 0 elsewhere. By the chain rule every input of the window receives an equal share:
#
# $$dX_{\text{window}(i,j)} \mathrel{+}= \frac{\text{dout}_{ij}}{f^2}.$$
#
# The shares of a window add up to its `dout`: **the sum of the gradients is preserved**.
# Where windows overlap ($s < f$) an input belongs to several windows and receives the
# **sum** of their shares (hence $+=$). Inputs that no window reaches get 0.
#
# > **A common mistake.** Some notes describe this backward pass as "upsampling": copying
# > `dout` into every cell of the window. Without the division by $f \cdot f$ that
# > multiplies the gradient by $f \cdot f$ (by 4 for 2×2 windows, at every pooling layer).
#
# ### Exercise 4 — average pooling, backward
# Write `avgpool_backward(dout, cache)` with the cache of your `avgpool_forward`. Return
# `dX` with the shape of `X`. Raise a `ValueError` if `dout` does not have the output's
# shape $(N, C, H', W')$.


# %% nbgrader={"solution": true, "grade_id": "avgpool_backward"}
def avgpool_backward(dout, cache):
    """Backward pass of average pooling.

    Parameters
    ----------
    dout : array_like of shape (N, C, H', W')
        Upstream gradient dL/dout.
    cache : tuple (X.shape, f, stride)
        From avgpool_forward.

    Returns
    -------
    dX : ndarray of shape X.shape
        Each input gets dout / (f*f) from every window it belongs to.
    """
    ### BEGIN SOLUTION
    X_shape, f, stride = cache
    N, C, H, W = X_shape
    Ho, Wo = pool_output_size(H, f, stride), pool_output_size(W, f, stride)
    dout = np.asarray(dout, dtype=float)
    if dout.shape != (N, C, Ho, Wo):
        raise ValueError(f"dout must have shape {(N, C, Ho, Wo)}, got {dout.shape}")
    dX = np.zeros((N, C, H, W))
    for i in range(Ho):
        for j in range(Wo):
            share = dout[:, :, i, j] / (f * f)
            dX[:, :, i * stride : i * stride + f, j * stride : j * stride + f] += share[
                :, :, None, None
            ]
    return dX
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "avgpool_backward_worked_example", "points": 1}
# Visible tests: each gradient is shared out over its window, the total is preserved, and
# overlapping windows (3x3 input, f = 2, stride 1) add up.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.alone(avgpool_backward)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
want = np.array(
    [[[[0.25, 0.25, 0.5, 0.5], [0.25, 0.25, 0.5, 0.5], [0.75, 0.75, 1, 1], [0.75, 0.75, 1, 1]]]]
)
dX = call(avgpool_backward, (dout_example, ((1, 1, 4, 4), 2, 2)))
expect_array(
    "avgpool_backward (worked example)",
    dX,
    want,
    misconceptions={"mean-pool gradient not divided by f*f": 4 * want},
)
expect_array(
    "sum(dX) (averaging preserves the total gradient, sum(dout) = 10)",
    np.sum(dX),
    10.0,
    misconceptions={"mean-pool gradient not divided by f*f: the total became 4 x 10": 40.0},
)
dX = call(avgpool_backward, (np.ones((1, 1, 2, 2)), ((1, 1, 3, 3), 2, 1)))
expect_array(
    "avgpool_backward (overlapping windows)",
    dX,
    [[[[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]]],
    misconceptions={
        "overlapping windows overwrote each other: an input in several windows gets the SUM": [
            [[[0.25, 0.25, 0.25], [0.25, 0.25, 0.25], [0.25, 0.25, 0.25]]]
        ]
    },
)
print("avgpool_backward: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "avgpool_backward_random", "points": 2}
# Hidden tests (2 points): random gradients; stride > 1, stride < f, non-square, N, C > 1.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.avgpool_backward_random(avgpool_backward)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "avgpool_backward_edge_cases", "points": 1}
# Hidden tests (1 point): sum(dX) == sum(dout), window = input, 1x1 windows, wrong dout shape.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.avgpool_backward_edge_cases(avgpool_backward)
### END HIDDEN TESTS

# %% [markdown]
# ## 3.5 Backward pass of max pooling
#
# Inside one window, $Y = \max(X_{\text{window}})$ depends only on the largest element: a
# small change of any other element does not change $Y$ at all. So the whole gradient goes
# to the position of the maximum, and every other input of the window gets 0:
#
# $$dX_{\,is + r^*,\; js + q^*} \mathrel{+}= \text{dout}_{ij}, \qquad
# (r^*, q^*) = \text{the max id of window } (i, j).$$
#
# This is why the forward pass records `max_id`: the backward pass does not search for the
# maximum again, it looks up where it was. As for the mean, overlapping windows add up: in
# Ng's 5×5 example with 3×3 windows and stride 1, the 9 at row 1, column 1 is the maximum
# of four windows and receives four gradients.
#
# ### Ties
#
# What if two elements of a window are both the maximum? Then the maximum has **no
# gradient** at that point: raising one of the two raises $Y$, lowering it does not. Any
# convex combination of the "one-hot" choices is a valid *subgradient* (次梯度), e.g. all of it to
# the first, or half to each; PyTorch sends all of it to the first maximum in row-major
# order, and so do we. What is **not** valid is giving the full gradient to *every* tied
# element: raising all of them together by $t$ raises $Y$ by $t$, not by $2t$.
#
# Ties are not a corner case. After a ReLU, many values are exactly 0, and a window of zeros
# is a four-way tie. Let us count them on real data: Fashion-MNIST test images, a 3×3
# filter (the vertical-edge kernel of chapter 1, and a random one), ReLU, then 2×2 windows.

# %%
VERTICAL_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=float)


def relu_feature_maps(images, K):
    """ReLU of the cross-correlation (chapter 1) of each image in (N, H, W) with K."""
    windows = sliding_window_view(images, K.shape, axis=(1, 2))  # (N, H', W', kH, kW)
    return np.maximum(np.einsum("nijkl,kl->nij", windows, K), 0)


def tie_fraction(A, f=2):
    """Fraction of the f x f windows (stride f) of the maps A (N, H, W) whose max is tied."""
    N, H, W = A.shape
    Ho, Wo = H // f, W // f
    blocks = A[:, : Ho * f, : Wo * f].reshape(N, Ho, f, Wo, f).transpose(0, 1, 3, 2, 4)
    blocks = blocks.reshape(N, Ho, Wo, f * f)
    n_max = np.sum(blocks == blocks.max(axis=-1, keepdims=True), axis=-1)
    all_zero = blocks.max(axis=-1) == 0
    return np.mean(n_max > 1), np.mean((n_max > 1) & ~all_zero)


sample = fashion_test[:1000].astype(np.float64)
random_kernel = np.random.default_rng(0).standard_normal((3, 3))
for name, K in [("vertical-edge filter", VERTICAL_EDGE), ("random 3×3 filter", random_kernel)]:
    tied, tied_nonzero = tie_fraction(relu_feature_maps(sample, K))
    print(
        f"{name:>20}, ReLU, 2×2 windows: {tied:.0%} of the windows have a tied maximum "
        f"({tied_nonzero:.1%} with a nonzero maximum)"
    )

# %% [markdown]
# Between a quarter and a half of the windows tie, almost all of them windows of zeros
# (background, or no edge there). A backward pass that gives each tied element the full
# gradient would, on these windows, pass on up to four times too much.
#
# > **A common mistake.** Several popular assignments build the max-pool mask as
# > `window == window.max()`. On a tie that mask has several ones, and the gradient is copied
# > to every tied maximum: multiplied by the number of ties. Record the max id in the forward
# > pass (one position per window) and use it.


# %% [markdown]
# ### Exercise 5 — max pooling, backward
# Write `maxpool_backward(dout, cache)` with the cache `(X, f, stride, max_id)` of your
# `maxpool_forward`. Each window sends its whole `dout` to the element recorded in
# `max_id`, and nothing to the others; where windows overlap, gradients add up. Return `dX`
# with the shape of `X`; raise a `ValueError` if `dout` does not have the shape of
# `max_id`.
#
# *Hint:* for window $(i, j)$, `np.arange(f * f) == max_id[:, :, i, j, None]` is a one-hot
# array of shape $(N, C, f \cdot f)$; reshape it to $(N, C, f, f)$.


# %% nbgrader={"solution": true, "grade_id": "maxpool_backward"}
def maxpool_backward(dout, cache):
    """Backward pass of max pooling.

    Parameters
    ----------
    dout : array_like of shape (N, C, H', W')
        Upstream gradient dL/dout.
    cache : tuple (X, f, stride, max_id)
        From maxpool_forward.

    Returns
    -------
    dX : ndarray of shape X.shape
        dout[n, c, i, j] added at the recorded maximum of window (i, j), zeros elsewhere.
    """
    ### BEGIN SOLUTION
    X, f, stride, max_id = cache
    N, C, H, W = np.shape(X)
    max_id = np.asarray(max_id)
    dout = np.asarray(dout, dtype=float)
    if dout.shape != max_id.shape:
        raise ValueError(f"dout must have shape {max_id.shape}, got {dout.shape}")
    Ho, Wo = max_id.shape[2:]
    dX = np.zeros((N, C, H, W))
    for i in range(Ho):
        for j in range(Wo):
            one_hot = np.arange(f * f) == max_id[:, :, i, j, None]  # (N, C, f*f)
            grad = (one_hot * dout[:, :, i, j, None]).reshape(N, C, f, f)
            dX[:, :, i * stride : i * stride + f, j * stride : j * stride + f] += grad
    return dX
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "maxpool_backward_worked_example", "points": 1}
# Visible tests: the worked example, the map with ties (only the first maximum of each
# window gets the gradient) and Ng's overlapping 5x5 example (dout = 1 everywhere).
cache_example = (X_example[None, None], 2, 2, np.array([[[[3, 0], [3, 1]]]]))
expect_array(
    "maxpool_backward (worked example)",
    call(maxpool_backward, (dout_example, cache_example)),
    [[[[0, 0, 2, 0], [0, 1, 0, 0], [0, 0, 0, 4], [0, 3, 0, 0]]]],
)
expect_array(
    "maxpool_backward (ties)",
    call(maxpool_backward, (dout_example, (X_ties, 2, 2, np.array([[[[0, 0], [1, 0]]]])))),
    [[[[1, 0, 2, 0], [0, 0, 0, 0], [0, 3, 4, 0], [0, 0, 0, 0]]]],
    misconceptions={
        "max-pool gradient copied to every tied maximum: use max_id, one position per window": [
            [[[1, 1, 2, 2], [1, 1, 0, 2], [0, 3, 4, 0], [0, 3, 0, 0]]]
        ]
    },
)
max_id_ng5 = np.array([[[[4, 3, 5], [1, 0, 2], [3, 6, 8]]]])
expect_array(
    "maxpool_backward (overlapping 3x3 windows, stride 1)",
    call(maxpool_backward, (np.ones((1, 1, 3, 3)), (X_ng5[None, None], 3, 1, max_id_ng5))),
    [[[[0, 0, 0, 0, 0], [0, 4, 0, 0, 2], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 1, 0, 0, 1]]]],
    misconceptions={
        "overlapping windows overwrote each other: an input in several windows gets the SUM": [
            [[[0, 0, 0, 0, 0], [0, 1, 0, 0, 1], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 1, 0, 0, 1]]]
        ],
        "max-pool gradient copied to every tied maximum: use max_id, one position per window": [
            [[[0, 0, 0, 0, 0], [0, 4, 0, 0, 2], [0, 0, 0, 0, 0], [1, 0, 1, 0, 0], [0, 1, 0, 0, 1]]]
        ],
        "on a tie the gradient went to the last maximum; max_id names the first": [
            [[[0, 0, 0, 0, 0], [0, 4, 0, 0, 1], [0, 0, 0, 0, 0], [1, 0, 1, 0, 0], [0, 1, 0, 0, 1]]]
        ],
    },
)
print("maxpool_backward: visible tests passed")

# %% nbgrader={"grade": true, "grade_id": "maxpool_backward_random", "points": 2}
# Hidden tests (2 points): random inputs without ties; stride > 1, stride < f (overlap),
# non-square inputs, window = input, N, C > 1.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.maxpool_backward_random(maxpool_backward)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "maxpool_backward_ties", "points": 2}
# Hidden tests (2 points): ties (small integers, post-ReLU zeros), with and without
# overlapping windows, and a dout of the wrong shape.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.maxpool_backward_ties(maxpool_backward)
### END HIDDEN TESTS

# %% [markdown]
# ### Ties, numerically
#
# A numerical demonstration on one window with a tie, $X = \begin{bmatrix}3 & 3\\1 &
# 0\end{bmatrix}$, `dout` = 1. The centered difference of the first element is
# $\frac{(3 + h) - 3}{2h} = 0.5$: finite differences see the average of the two one-sided
# slopes, itself a valid subgradient. The test that every valid gradient must pass is the
# direction in which $\max$ *is* differentiable: raise all four inputs by $t$, and $Y$ rises
# by exactly $t$. So the gradient's entries must add up to 1.

# %%
h = 1e-5
X_tie = np.array([[[[3.0, 3.0], [1.0, 0.0]]]])
one = np.ones((1, 1, 1, 1))


def upsample2(A):
    """Repeat each value of A (N, C, H', W') into a 2x2 block."""
    return np.repeat(np.repeat(A, 2, axis=2), 2, axis=3)


def copy_to_all_ties(dout, X):
    """The common mistake, for 2x2 windows with stride 2: a mask of every tied maximum."""
    N, C, H, W = X.shape
    out = X.reshape(N, C, H // 2, 2, W // 2, 2).max(axis=(3, 5))
    return (X == upsample2(out)) * upsample2(dout)


numeric = numerical_gradient(lambda Z: maxpool_forward(Z, 2)[0], X_tie, one)
candidates = {
    "centered finite differences": numeric,
    "your maxpool_backward (first maximum)": maxpool_backward(one, maxpool_forward(X_tie, 2)[1]),
    "copied to every tied maximum": copy_to_all_ties(one, X_tie),
}
slope = (maxpool_forward(X_tie + h, 2)[0].sum() - maxpool_forward(X_tie - h, 2)[0].sum()) / (2 * h)
print(f"raise every input by t: the output rises by {slope:.6f} t\n")
for name, grad in candidates.items():
    print(f"{name:>38}: {grad[0, 0].ravel()}   sum = {grad.sum():g}")

# %% [markdown]
# The same check on real feature maps, whole batches at once: the directional derivative
# of $L = \sum \text{dout} \odot \text{maxpool}(A)$ along "raise every input by $t$" is
# $\sum \text{dout}$, and a correct `dX` must give $\langle dX, \mathbf{1} \rangle =
# \sum dX$ equal to it.

# %%
h = 1e-5
A = relu_feature_maps(sample[:200], VERTICAL_EDGE)[:, None]  # (200, 1, 26, 26), many ties
dout = np.random.default_rng(1).standard_normal((200, 1, 13, 13))


def loss(Z):
    return np.sum(dout * maxpool_forward(Z, 2)[0])


directional = (loss(A + h) - loss(A - h)) / (2 * h)
dX_first = maxpool_backward(dout, maxpool_forward(A, 2)[1])
dX_copies = copy_to_all_ties(dout, A)
print(f"finite differences along all-ones: {directional:.6f}")
print(
    f"your maxpool_backward:             {dX_first.sum():.6f}   "
    f"relative error {rel_error(dX_first.sum(), directional):.1e}"
)
print(
    f"copied to every tied maximum:      {dX_copies.sum():.6f}   "
    f"relative error {rel_error(dX_copies.sum(), directional):.1e}"
)


# %% [markdown]
# ### Gradient check
# Away from ties both backward passes must agree with centered finite differences in
# float64 to a relative error below $10^{-7}$. The inputs below are distinct values
# (no ties), with overlapping windows ($f = 3$, stride 2).

# %%
rng = np.random.default_rng(2)
X_check = rng.permutation(2 * 3 * 7 * 7).reshape(2, 3, 7, 7) * 0.01  # distinct values
dout_check = rng.standard_normal((2, 3, 3, 3))
for name, forward, backward in [
    ("max", maxpool_forward, maxpool_backward),
    ("average", avgpool_forward, avgpool_backward),
]:
    analytic = backward(dout_check, forward(X_check, 3, 2)[1])
    numeric = numerical_gradient(lambda Z, fw=forward: fw(Z, 3, 2)[0], X_check, dout_check)
    print(f"{name:>7} pooling, f=3, stride 2: relative error {rel_error(analytic, numeric):.1e}")

# %% [markdown]
# ## 3.6 Subsampling in LeNet-5
#
# LeNet-5 (1998) did not use max pooling. Its layer S2 **subsamples** (下采样) each of the 6
# feature maps of C1 (28×28) to 14×14 like this: add up the four inputs of each 2×2 window
# (stride 2), multiply by a **trainable coefficient** $a_c$, add a **trainable bias** $b_c$,
# and apply a sigmoid:
#
# $$y_{c,i,j} = \sigma\Big(a_c \sum_{r=0}^{1} \sum_{q=0}^{1} x_{c,\,2i+r,\,2j+q} + b_c\Big).$$
#
# The sum is $f^2$ times average pooling, so S2 is average pooling followed by a per-map
# scale, shift and nonlinearity. Counting:
#
# - **parameters:** one coefficient and one bias per map, $6 \cdot (1 + 1) = 12$;
# - **connections:** each of the $6 \cdot 14 \cdot 14$ output units is connected to its four
#   inputs and to the bias, $6 \cdot 14 \cdot 14 \cdot (2 \cdot 2 + 1) = 5{,}880$.
#
# (S4 does the same to C3's sixteen 10×10 maps: 32 parameters and 2,000 connections.)
# Modern LeNets replace S2 by plain max pooling, which has no parameters at all.
#
# ### Exercise 6 — counting a subsampling layer
# Write `subsampling_counts(C, H, W, f=2)` returning `(parameters, connections)` for a
# LeNet-style subsampling layer with non-overlapping $f \times f$ windows (stride $f$) on
# $C$ maps of $H \times W$.


# %% nbgrader={"solution": true, "grade_id": "subsampling_counts"}
def subsampling_counts(C, H, W, f=2):
    """Trainable parameters and connections of a LeNet-5 subsampling layer.

    Parameters
    ----------
    C : int
        Number of feature maps.
    H, W : int
        Size of each input map.
    f : int
        Window size (and stride).

    Returns
    -------
    (parameters, connections) : tuple of two ints
    """
    ### BEGIN SOLUTION
    Ho, Wo = pool_output_size(H, f), pool_output_size(W, f)
    return 2 * C, C * Ho * Wo * (f * f + 1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "subsampling_counts_s2", "points": 1}
# Visible test: LeNet-5's S2.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.alone(subsampling_counts)  # graded with the reference helpers: a mistake there costs once
### END HIDDEN TESTS
expect_equal(
    "subsampling_counts(6, 28, 28)",
    call(subsampling_counts, (6, 28, 28)),
    (12, 5_880),
    misconceptions={
        "each output unit also has a connection to the bias: 2*2 + 1 per unit": (12, 4_704),
        "S2 has one coefficient and one bias per map, not a 2x2 kernel": (30, 5_880),
    },
)
print("subsampling_counts: visible test passed")

# %% nbgrader={"grade": true, "grade_id": "subsampling_counts_hidden", "points": 1}
# Hidden tests (1 point): S4 and other sizes.
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.subsampling_counts_hidden(subsampling_counts)
### END HIDDEN TESTS

# %% [markdown]
# ## Check your understanding
#
# Set each variable below, then run the cell. The answers are checked when you submit.
#
# 1. `q_pool_params`: how many learnable parameters does a 2×2 max-pooling layer on
#    64 channels have? (an integer)
# 2. `q_pool_shape`: 3×3 max pooling with stride 2 on a 32×32×16 input (height × width ×
#    channels) gives `"a"`: 15×15×16, `"b"`: 16×16×16, `"c"`: 15×15×1.
# 3. `q_avg_share`: in 2×2 average pooling, a window's output receives the gradient 8. What
#    gradient does each of its four inputs receive (windows do not overlap)? (a number)
# 4. `q_invalid_gradient`: a 2×2 max-pooling window holds $\begin{bmatrix}3 & 3\\1 &
#    0\end{bmatrix}$ and receives the gradient 1. Which of these is **not** a valid gradient
#    for the window? `"a"`: [[1, 0], [0, 0]]; `"b"`: [[0.5, 0.5], [0, 0]];
#    `"c"`: [[1, 1], [0, 0]].
# 5. `q_shift`: with 2×2 max pooling and stride 2, you shift the input two pixels to the
#    right. Away from the borders, the output `"a"`: shifts two pixels to the right;
#    `"b"`: shifts one pixel to the right; `"c"`: does not change.

# %% nbgrader={"solution": true, "grade_id": "understanding_answers"}
q_pool_params = None
q_pool_shape = None
q_avg_share = None
q_invalid_gradient = None
q_shift = None
### BEGIN SOLUTION
q_pool_params = 0
q_pool_shape = "a"
q_avg_share = 2
q_invalid_gradient = "c"
q_shift = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "understanding", "points": 2}
# Hidden test (2 points): your answers.
answers = {
    "q_pool_params": q_pool_params,
    "q_pool_shape": q_pool_shape,
    "q_avg_share": q_avg_share,
    "q_invalid_gradient": q_invalid_gradient,
    "q_shift": q_shift,
}
if any(value is None for value in answers.values()):
    raise NotImplementedError("answer all five questions above")
### BEGIN HIDDEN TESTS
from autograder.hidden import ch03 as hidden

hidden.understanding(answers)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - Pooling summarizes $f \times f$ windows moved by a stride $s$: max or mean, per channel,
#   no learnable parameters, usually no padding. Output size
#   $\lfloor (n - f)/s \rfloor + 1$, which is $n/s$ only when $f = s$.
# - It reduces the number of values (and the cost of what follows) and makes the features
#   somewhat robust to small shifts: on Fashion-MNIST the pooled maps of an image and its
#   one-pixel shift differ clearly less than the images do.
# - Backward, average pooling gives each input $\text{dout}/f^2$ (the total is preserved);
#   max pooling gives the whole `dout` to the one maximum recorded in the forward pass, the
#   first one on ties. Overlapping windows add their gradients.
# - Ties are frequent after ReLU; copying the gradient to every tied maximum multiplies it.
# - LeNet-5's S2 (sum × coefficient + bias, then sigmoid) has 12 parameters and 5,880
#   connections.
#
# **Next:** chapter 4, backpropagation through whole CNNs (卷积神经网络中的反向传播).


# %% [markdown]
# ## Check your work
#
# Save the notebook (Ctrl-S), then run the cell below. It checks the whole chapter the way
# grading does and lists every check with its points and, where one fails, its message
# (the mistake it recognised, if any). With the course repository (self-study) every
# check runs, hidden ones included, in the grading sandbox, and the functions whose
# checks all pass go into your own package `work/mine/`, which later chapters can use;
# in a class's student release, the visible checks run. No answer is shown either way.
# The same from a terminal: `./course.sh check 03`.

# %%
from cnnkit.selfcheck import check_my_work

check_my_work("03")
