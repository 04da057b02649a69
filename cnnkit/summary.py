"""Layer-by-layer summary of a CNN: output shapes, parameter counts and multiply-adds.

A network is described as a plain Python list of layer specs, applied in order to one
input of shape ``(C, H, W)`` (the batch dimension N is left out: every figure here is
per image)::

    from cnnkit.summary import Conv, MaxPool, ReLU, Flatten, Linear, print_summary

    net = [
        Conv(6, 5), ReLU(), MaxPool(2),      # 1x32x32 -> 6x28x28 -> 6x14x14
        Conv(16, 5), ReLU(), MaxPool(2),     # -> 16x10x10 -> 16x5x5
        Flatten(), Linear(120), ReLU(), Linear(84), ReLU(), Linear(10),
    ]
    print_summary(net, (1, 32, 32))

Layer specs
-----------
``Conv(C_out, kernel, stride=1, pad=0, groups=1, bias=True, dilation=1)``
    2-D convolution (cross-correlation). ``kernel``, ``stride``, ``pad`` and ``dilation``
    are an int or a pair ``(height, width)``; ``pad`` is the number of zeros on *each*
    side. C_in is taken from the input.
``MaxPool(kernel, stride=None, pad=0)``, ``AvgPool(kernel, stride=None, pad=0)``
    Pooling per channel; ``stride`` defaults to ``kernel``.
``AdaptiveAvgPool(output_size)``
    Average pooling to a fixed ``(H, W)``, as in torchvision's VGG and AlexNet.
``GlobalAvgPool()``
    Mean over H and W: ``(C, H, W) -> (C,)``.
``BatchNorm()``
    Per-channel scale and shift: ``2 * C`` learnable parameters (``affine=False``: 0).
``ReLU()``, ``Elementwise(kind)``
    Parameter-free layers that keep the shape: ``Elementwise("dropout")``,
    ``Elementwise("sigmoid")``, ``Elementwise("lrn")``, ...
``Flatten()``
    ``(C, H, W) -> (C*H*W,)``.
``Linear(out_features, bias=True)``
    Fully connected layer on a flat input; in_features is taken from the input.
``Residual(body, shortcut=())``
    ``body(x) + shortcut(x)``; both are lists of specs, an empty shortcut is the identity.
    The two outputs must have the same shape. A ReLU after the addition, as in ResNet, is
    an ordinary ``ReLU()`` placed after the ``Residual``.
``Concat(branches)``
    Runs every branch (a list of specs) on the same input and concatenates the outputs
    along the channel axis, as in an Inception module; H and W must agree.

Every spec takes an optional ``name``; unnamed layers are called ``conv1``, ``relu1``,
``conv2``, ... (counted per kind inside each list). Layers inside a ``Residual`` or
``Concat`` get dotted names such as ``layer2.0.conv1`` or ``layer2.0.shortcut.conv1``.

Conventions
-----------
Parameters are learnable values (weights, biases, batch-norm scale and shift); batch
norm's running mean and variance are buffers, not parameters, as in PyTorch's
``sum(p.numel() for p in model.parameters())``.

MACs (multiply-accumulate operations) count the multiplications of convolutions and
fully connected layers only:

* Conv: ``H_out * W_out * C_out * (C_in / groups) * kH * kW``
* Linear: ``in_features * out_features``

Biases, activations, pooling, batch norm (it folds into the preceding convolution at
inference time) and the additions of residual connections are not counted. This is the
convention of the ResNet paper ("3.6 billion FLOPs (multiply-adds)" for ResNet-34) and of
torchvision's model table; one MAC is two FLOPs for authors who count additions too.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field

from cnnkit._validate import check_int, check_pair

__all__ = [
    "INPUT_SHAPES",
    "AdaptiveAvgPool",
    "AvgPool",
    "BatchNorm",
    "Concat",
    "Conv",
    "Elementwise",
    "Flatten",
    "GlobalAvgPool",
    "LayerRow",
    "Linear",
    "MaxPool",
    "ReLU",
    "Residual",
    "Summary",
    "alexnet",
    "bottleneck_comparison",
    "lenet5",
    "lenet5_ng",
    "print_summary",
    "resnet34",
    "resnet50",
    "summarize",
    "vgg16",
]


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Conv:
    """2-D convolution with ``C_out`` filters; see the module docstring."""

    C_out: int
    kernel: int | tuple[int, int]
    stride: int | tuple[int, int] = 1
    pad: int | tuple[int, int] = 0
    groups: int = 1
    bias: bool = True
    dilation: int | tuple[int, int] = 1
    name: str | None = None


@dataclass(frozen=True)
class _Pool:
    """Fields shared by the pooling specs; ``stride`` defaults to ``kernel``."""

    kernel: int | tuple[int, int]
    stride: int | tuple[int, int] | None = None
    pad: int | tuple[int, int] = 0
    name: str | None = None


@dataclass(frozen=True)
class MaxPool(_Pool):
    """Max pooling; ``stride`` defaults to ``kernel``."""


@dataclass(frozen=True)
class AvgPool(_Pool):
    """Average pooling; ``stride`` defaults to ``kernel``."""


@dataclass(frozen=True)
class AdaptiveAvgPool:
    """Average pooling to a fixed output ``(H, W)`` whatever the input size."""

    output_size: int | tuple[int, int]
    name: str | None = None


@dataclass(frozen=True)
class GlobalAvgPool:
    """Mean over each feature map: ``(C, H, W) -> (C,)``."""

    name: str | None = None


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalization over channels (or features of a flat input)."""

    affine: bool = True
    name: str | None = None


@dataclass(frozen=True)
class ReLU:
    """Rectified linear unit: no parameters, shape unchanged."""

    name: str | None = None


@dataclass(frozen=True)
class Elementwise:
    """Any other parameter-free layer that keeps the shape (dropout, sigmoid, tanh, LRN)."""

    kind: str
    name: str | None = None


@dataclass(frozen=True)
class Flatten:
    """``(C, H, W) -> (C*H*W,)``."""

    name: str | None = None


@dataclass(frozen=True)
class Linear:
    """Fully connected layer; in_features is the size of the (flat) input."""

    out_features: int
    bias: bool = True
    name: str | None = None


@dataclass(frozen=True)
class Residual:
    """``body(x) + shortcut(x)``; an empty shortcut is the identity."""

    body: list | tuple
    shortcut: list | tuple = ()
    name: str | None = None


@dataclass(frozen=True)
class Concat:
    """Parallel branches on the same input, concatenated along the channels."""

    branches: list | tuple
    name: str | None = None


# Prefix of automatic names and the ``kind`` shown in a row.
_KINDS = {
    Conv: ("conv", "Conv"),
    MaxPool: ("maxpool", "MaxPool"),
    AvgPool: ("avgpool", "AvgPool"),
    AdaptiveAvgPool: ("avgpool", "AdaptiveAvgPool"),
    GlobalAvgPool: ("gap", "GlobalAvgPool"),
    BatchNorm: ("bn", "BatchNorm"),
    ReLU: ("relu", "ReLU"),
    Flatten: ("flatten", "Flatten"),
    Linear: ("fc", "Linear"),
    Residual: ("res", "Add"),
    Concat: ("concat", "Concat"),
}


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class LayerRow:
    """One line of a summary.

    Attributes
    ----------
    name : str
        Layer name, dotted inside residual and concat blocks.
    kind : str
        ``"Conv"``, ``"Linear"``, ``"MaxPool"``, ..., ``"Add"`` (end of a ``Residual``)
        or ``"Concat"`` (end of a ``Concat``).
    input_shape, output_shape : tuple of int
        ``(C, H, W)`` or ``(features,)``, without the batch dimension.
    params : int
        Learnable parameters of this layer.
    macs : int
        Multiply-accumulate operations for one input (see the module docstring).
    """

    name: str
    kind: str
    input_shape: tuple
    output_shape: tuple
    params: int
    macs: int

    @property
    def output_size(self):
        """Number of values in the output (activation memory per image)."""
        return math.prod(self.output_shape)


@dataclass(frozen=True)
class Summary:
    """Rows of a network summary plus totals; ``str(summary)`` is the printed table."""

    input_shape: tuple
    rows: list = field(default_factory=list)

    @property
    def output_shape(self):
        return self.rows[-1].output_shape if self.rows else self.input_shape

    @property
    def total_params(self):
        return sum(r.params for r in self.rows)

    @property
    def total_macs(self):
        return sum(r.macs for r in self.rows)

    def to_dicts(self):
        """The rows as a list of plain dicts (for pandas, JSON, tests)."""
        return [asdict(r) for r in self.rows]

    def table(self):
        """The summary as a fixed-width text table with thousands separators."""
        body = [
            (r.name, r.kind, _fmt_shape(r.output_shape), f"{r.params:,}", f"{r.macs:,}")
            for r in self.rows
        ]
        head = ("Layer", "Type", "Output shape", "Params", "MACs")
        input_line = ("input", "", _fmt_shape(self.input_shape), "", "")
        total = ("Total", "", "", f"{self.total_params:,}", f"{self.total_macs:,}")
        widths = [max(len(row[i]) for row in [head, input_line, total, *body]) for i in range(5)]

        def line(cells):
            left = [c.ljust(w) for c, w in zip(cells[:3], widths[:3], strict=True)]
            right = [c.rjust(w) for c, w in zip(cells[3:], widths[3:], strict=True)]
            return "  ".join(left + right).rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        out = [line(head), rule, line(input_line), *map(line, body), rule, line(total)]
        return "\n".join(out)

    def __str__(self):
        return self.table()

    def _repr_pretty_(self, p, cycle):
        # A Summary left as the last expression of a notebook cell shows as the table.
        p.text(self.table())


def _fmt_shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


# --------------------------------------------------------------------------- shape rules


def summarize(layers, input_shape):
    """Compute output shape, parameters and MACs of every layer of a network.

    Parameters
    ----------
    layers : list
        Layer specs (``Conv``, ``ReLU``, ``Residual``, ...) applied in order.
    input_shape : tuple of int
        ``(C, H, W)`` of one input image, or ``(features,)`` for a fully connected net.

    Returns
    -------
    Summary
        ``.rows`` (one ``LayerRow`` per layer, plus one per residual addition or
        concatenation), ``.total_params``, ``.total_macs``, ``.output_shape``;
        ``print(summary)`` shows the table.

    Raises
    ------
    ValueError
        If the input shape is invalid or a layer cannot be applied (kernel larger than
        the padded input, channels not divisible by groups, a ``Linear`` on an input
        that was not flattened, ...); the message starts with the layer's name.
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (1, 3):
        raise ValueError(f"input_shape must be (C, H, W) or (features,), got {input_shape!r}")
    shape = tuple(check_int("input_shape", s, minimum=1) for s in input_shape)
    rows = []
    _run(layers, shape, "", rows, "layers")
    return Summary(input_shape=shape, rows=rows)


def print_summary(layers, input_shape):
    """Print the summary table of ``layers`` and return the ``Summary``."""
    result = summarize(layers, input_shape)
    print(result.table())
    return result


def _run(layers, shape, prefix, rows, what):
    """Apply a list of specs to ``shape``, appending rows; return the output shape."""
    if not isinstance(layers, (list, tuple)):
        raise ValueError(f"{what} must be a list of layer specs, got {type(layers).__name__}")
    counts = Counter()
    for i, spec in enumerate(layers):
        kinds = _KINDS.get(type(spec))
        if kinds is None and not isinstance(spec, Elementwise):
            raise ValueError(
                f"{what}[{i}] must be a layer spec such as Conv(...) or ReLU(), got {spec!r}"
            )
        if isinstance(spec, Elementwise):
            if not isinstance(spec.kind, str) or not spec.kind:
                raise ValueError(f"{what}[{i}]: Elementwise kind must be a name such as 'dropout'")
            auto = spec.kind.lower()
        else:
            auto = kinds[0]
        counts[auto] += 1
        name = prefix + (spec.name if spec.name else f"{auto}{counts[auto]}")
        if isinstance(spec, Residual):
            shape = _residual(spec, shape, name, rows)
        elif isinstance(spec, Concat):
            shape = _concat(spec, shape, name, rows)
        else:
            try:
                out, params, macs = _leaf(spec, shape)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
            kind = spec.kind if isinstance(spec, Elementwise) else kinds[1]
            rows.append(LayerRow(name, kind, shape, out, params, macs))
            shape = out
    return shape


def _need_image(shape, what):
    if len(shape) != 3:
        raise ValueError(
            f"{what} needs a (C, H, W) input, got {_fmt_shape(shape)}; "
            "it cannot follow Flatten, GlobalAvgPool or Linear"
        )


def _window_out(shape, kernel, stride, pad, dilation, what):
    """Output (H, W) of a sliding window: floor((n + 2p - d(k-1) - 1) / s) + 1."""
    _, H, W = shape
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    padded = (H + 2 * pad[0], W + 2 * pad[1])
    if span[0] > padded[0] or span[1] > padded[1]:
        dil = "" if dilation == (1, 1) else f" (dilated to {span[0]}x{span[1]})"
        raise ValueError(
            f"{what} kernel {kernel[0]}x{kernel[1]}{dil} is larger than the padded input "
            f"{padded[0]}x{padded[1]} (input {H}x{W}, pad {pad[0]},{pad[1]})"
        )
    return tuple((n - k) // s + 1 for n, k, s in zip(padded, span, stride, strict=True))


def _leaf(spec, shape):
    """Output shape, parameters and MACs of a single layer."""
    if isinstance(spec, Conv):
        _need_image(shape, "Conv")
        C_in = shape[0]
        C_out = check_int("C_out", spec.C_out, minimum=1)
        kernel = check_pair("kernel", spec.kernel, minimum=1)
        stride = check_pair("stride", spec.stride, minimum=1)
        pad = check_pair("pad", spec.pad, minimum=0)
        dilation = check_pair("dilation", spec.dilation, minimum=1)
        groups = check_int("groups", spec.groups, minimum=1)
        if C_in % groups:
            raise ValueError(f"input channels C_in={C_in} are not divisible by groups={groups}")
        if C_out % groups:
            raise ValueError(f"C_out={C_out} is not divisible by groups={groups}")
        H_out, W_out = _window_out(shape, kernel, stride, pad, dilation, "Conv")
        per_output = (C_in // groups) * kernel[0] * kernel[1]
        params = C_out * per_output + (C_out if spec.bias else 0)
        return (C_out, H_out, W_out), params, H_out * W_out * C_out * per_output

    if isinstance(spec, (MaxPool, AvgPool)):
        what = type(spec).__name__
        _need_image(shape, what)
        kernel = check_pair("kernel", spec.kernel, minimum=1)
        stride = kernel if spec.stride is None else check_pair("stride", spec.stride, minimum=1)
        pad = check_pair("pad", spec.pad, minimum=0)
        # PyTorch's rule: padding wider than half the window would give windows of padding only.
        if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
            raise ValueError(f"{what} pad {pad} must be at most half the kernel {kernel}")
        H_out, W_out = _window_out(shape, kernel, stride, pad, (1, 1), what)
        return (shape[0], H_out, W_out), 0, 0

    if isinstance(spec, AdaptiveAvgPool):
        _need_image(shape, "AdaptiveAvgPool")
        size = check_pair("output_size", spec.output_size, minimum=1)
        return (shape[0], *size), 0, 0

    if isinstance(spec, GlobalAvgPool):
        _need_image(shape, "GlobalAvgPool")
        return (shape[0],), 0, 0

    if isinstance(spec, BatchNorm):
        return shape, (2 * shape[0] if spec.affine else 0), 0

    if isinstance(spec, (ReLU, Elementwise)):
        return shape, 0, 0

    if isinstance(spec, Flatten):
        return (math.prod(shape),), 0, 0

    if isinstance(spec, Linear):
        if len(shape) != 1:
            raise ValueError(
                f"Linear needs a flat input (features,), got {_fmt_shape(shape)}; "
                "put Flatten() or GlobalAvgPool() before it"
            )
        out = check_int("out_features", spec.out_features, minimum=1)
        return (out,), shape[0] * out + (out if spec.bias else 0), shape[0] * out

    raise AssertionError(f"unhandled spec {spec!r}")  # pragma: no cover


def _residual(spec, shape, name, rows):
    body_out = _run(spec.body, shape, name + ".", rows, f"{name}: body")
    short_out = _run(spec.shortcut, shape, name + ".shortcut.", rows, f"{name}: shortcut")
    if body_out != short_out:
        hint = ""
        if len(body_out) == 3:
            s = max(1, shape[-1] // body_out[-1])
            stride = f", stride={s}" if s > 1 else ""
            hint = (
                f"; use a projection shortcut such as "
                f"[Conv({body_out[0]}, 1{stride}, bias=False), BatchNorm()]"
            )
        raise ValueError(
            f"{name}: residual body gives {_fmt_shape(body_out)} but the shortcut gives "
            f"{_fmt_shape(short_out)}; they must match to be added{hint}"
        )
    rows.append(LayerRow(name + ".add", "Add", body_out, body_out, 0, 0))
    return body_out


def _concat(spec, shape, name, rows):
    if not isinstance(spec.branches, (list, tuple)) or not spec.branches:
        raise ValueError(f"{name}: Concat needs a non-empty list of branches")
    outs = [
        _run(branch, shape, f"{name}.branch{i}.", rows, f"{name}: branch{i}")
        for i, branch in enumerate(spec.branches, start=1)
    ]
    if any(len(o) != 3 for o in outs) or len({o[1:] for o in outs}) != 1:
        got = ", ".join(map(_fmt_shape, outs))
        raise ValueError(
            f"{name}: Concat branches must all give (C, H, W) maps of the same H and W, got {got}"
        )
    out = (sum(o[0] for o in outs), *outs[0][1:])
    rows.append(LayerRow(name + ".concat", "Concat", out, out, 0, 0))
    return out


# --------------------------------------------------------------------------- classic networks

INPUT_SHAPES = {
    "lenet5": (1, 32, 32),
    "lenet5_ng": (3, 32, 32),
    "alexnet": (3, 224, 224),
    "alexnet_original": (3, 227, 227),
    "vgg16": (3, 224, 224),
    "resnet34": (3, 224, 224),
    "resnet50": (3, 224, 224),
}
"""Input shape (C, H, W) each built-in description is meant for."""


def lenet5(num_classes=10):
    """Modern LeNet-5: full C3, ReLU, max pooling; input (1, 32, 32), 61,706 parameters.

    C5 is written as the fully connected layer 400 -> 120 it is equivalent to on a 5x5 map
    (same 48,120 parameters). The original 1998 network, with its partial C3 table,
    trainable subsampling and RBF output, is not reproduced.
    """
    return [
        Conv(6, 5), ReLU(), MaxPool(2),
        Conv(16, 5), ReLU(), MaxPool(2),
        Flatten(),
        Linear(120), ReLU(),
        Linear(84), ReLU(),
        Linear(num_classes),
    ]  # fmt: skip


def lenet5_ng(num_classes=10):
    """LeNet-5 as in Andrew Ng's CNN course: CONV 8@5x5 and 16@5x5 on a 32x32x3 image.

    Input (3, 32, 32). Parameters per layer: 608, 3,216, 48,120, 10,164, 850, 62,958 in
    all (SYLLABUS section 5). Copies of the slide that give 208 for CONV1 count a
    one-channel input: 8*(5*5*1) + 8.
    """
    return [
        Conv(8, 5), ReLU(), MaxPool(2),
        Conv(16, 5), ReLU(), MaxPool(2),
        Flatten(),
        Linear(120), ReLU(),
        Linear(84), ReLU(),
        Linear(num_classes),
    ]  # fmt: skip


def alexnet(num_classes=1000, variant="torchvision"):
    """AlexNet on ImageNet.

    Parameters
    ----------
    num_classes : int
    variant : {"torchvision", "original"}
        ``"torchvision"`` (default): torchvision's single-GPU AlexNet (from Krizhevsky's
        "One weird trick", 2014): 64-192-384-256-256 filters, no grouping, no LRN;
        input (3, 224, 224); 61,100,840 parameters, about 0.71G MACs.
        ``"original"``: the 2012 two-GPU network (96-256-384-384-256 filters, conv2, conv4
        and conv5 split into 2 groups, LRN after conv1 and conv2) as in Caffe's reference
        model; input (3, 227, 227), since 224 does not give the paper's 55x55 after an
        11x11 stride-4 convolution without padding; 60,965,224 parameters.
    """
    if variant == "torchvision":
        return [
            Conv(64, 11, stride=4, pad=2), ReLU(), MaxPool(3, stride=2),
            Conv(192, 5, pad=2), ReLU(), MaxPool(3, stride=2),
            Conv(384, 3, pad=1), ReLU(),
            Conv(256, 3, pad=1), ReLU(),
            Conv(256, 3, pad=1), ReLU(), MaxPool(3, stride=2),
            AdaptiveAvgPool(6), Flatten(),
            Elementwise("dropout"), Linear(4096), ReLU(),
            Elementwise("dropout"), Linear(4096), ReLU(),
            Linear(num_classes),
        ]  # fmt: skip
    if variant == "original":
        return [
            Conv(96, 11, stride=4), ReLU(), Elementwise("lrn"), MaxPool(3, stride=2),
            Conv(256, 5, pad=2, groups=2), ReLU(), Elementwise("lrn"), MaxPool(3, stride=2),
            Conv(384, 3, pad=1), ReLU(),
            Conv(384, 3, pad=1, groups=2), ReLU(),
            Conv(256, 3, pad=1, groups=2), ReLU(), MaxPool(3, stride=2),
            Flatten(),
            Linear(4096), ReLU(), Elementwise("dropout"),
            Linear(4096), ReLU(), Elementwise("dropout"),
            Linear(num_classes),
        ]  # fmt: skip
    raise ValueError(f"variant must be 'torchvision' or 'original', got {variant!r}")


def vgg16(num_classes=1000):
    """VGG-16 (configuration D) as in torchvision; input (3, 224, 224).

    138,357,544 parameters and about 15.5G MACs.
    """
    layers = []
    for C, repeat in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        for _ in range(repeat):
            layers += [Conv(C, 3, pad=1), ReLU()]
        layers.append(MaxPool(2))
    layers += [
        AdaptiveAvgPool(7), Flatten(),
        Linear(4096), ReLU(), Elementwise("dropout"),
        Linear(4096), ReLU(), Elementwise("dropout"),
        Linear(num_classes),
    ]  # fmt: skip
    return layers


def _resnet(stages, block, num_classes):
    layers = [
        Conv(64, 7, stride=2, pad=3, bias=False, name="conv1"),
        BatchNorm(name="bn1"),
        ReLU(name="relu"),
        MaxPool(3, stride=2, pad=1, name="maxpool"),
    ]
    C_in = 64
    for s, (width, repeat) in enumerate(zip((64, 128, 256, 512), stages, strict=True), start=1):
        for b in range(repeat):
            stride = 2 if s > 1 and b == 0 else 1
            body, C_out = block(width, stride)
            # Projection shortcut (option B of the paper) only where the shape changes.
            shortcut = []
            if stride != 1 or C_in != C_out:
                shortcut = [Conv(C_out, 1, stride=stride, bias=False), BatchNorm()]
            layers += [
                Residual(body, shortcut, name=f"layer{s}.{b}"),
                # Named as the next ReLU of the block, after the body's own.
                ReLU(name=f"layer{s}.{b}.relu{sum(isinstance(x, ReLU) for x in body) + 1}"),
            ]
            C_in = C_out
    return layers + [GlobalAvgPool(name="avgpool"), Linear(num_classes, name="fc")]


def resnet34(num_classes=1000):
    """ResNet-34 with basic blocks and projection shortcuts, as in torchvision.

    Input (3, 224, 224); 21,797,672 parameters (batch-norm scale and shift included),
    about 3.66G MACs (the paper: "3.6 billion FLOPs (multiply-adds)").
    """

    def basic(width, stride):
        return [
            Conv(width, 3, stride=stride, pad=1, bias=False), BatchNorm(), ReLU(),
            Conv(width, 3, pad=1, bias=False), BatchNorm(),
        ], width  # fmt: skip

    return _resnet((3, 4, 6, 3), basic, num_classes)


def resnet50(num_classes=1000, stride_in_1x1=False):
    """ResNet-50 with bottleneck blocks (1x1 reduce, 3x3, 1x1 expand by 4).

    Input (3, 224, 224); 25,557,032 parameters. With ``stride_in_1x1=False`` (default,
    torchvision's "ResNet v1.5") a block that halves the map strides in its 3x3
    convolution: about 4.09G MACs. ``stride_in_1x1=True`` strides in the first 1x1 as in
    the paper, whose table gives 3.8 billion FLOPs; the parameter count is the same.
    """

    def bottleneck(width, stride):
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        return [
            Conv(width, 1, stride=s1, bias=False), BatchNorm(), ReLU(),
            Conv(width, 3, stride=s3, pad=1, bias=False), BatchNorm(), ReLU(),
            Conv(4 * width, 1, bias=False), BatchNorm(),
        ], 4 * width  # fmt: skip

    return _resnet((3, 4, 6, 3), bottleneck, num_classes)


def bottleneck_comparison(input_shape=(256, 100, 100), C_out=256, C_mid=64, kernel=3, bias=False):
    """The 1x1 "bottleneck" cost example of SYLLABUS section 6.

    Compares a direct ``kernel``x``kernel`` same convolution to ``C_out`` channels with a
    1x1 reduction to ``C_mid`` channels followed by the same convolution. For the default
    100x100x256 input (written (C, H, W) = (256, 100, 100) here):

    * direct: 100*100*256*3*3*256 = 5,898,240,000 MACs
    * reduced: 100*100*256*64 + 100*100*64*3*3*256 = 1,638,400,000 MACs

    Returns
    -------
    direct, reduced : Summary
        ``sum(r.output_size for r in reduced.rows)`` gives the activation memory
        (3,200,000 values vs 2,560,000 for the direct convolution).
    """
    pad = check_int("kernel", kernel, minimum=1) // 2
    direct = [Conv(C_out, kernel, pad=pad, bias=bias, name=f"conv{kernel}x{kernel}")]
    reduced = [
        Conv(C_mid, 1, bias=bias, name="conv1x1"),
        Conv(C_out, kernel, pad=pad, bias=bias, name=f"conv{kernel}x{kernel}"),
    ]
    return summarize(direct, input_shape), summarize(reduced, input_shape)
