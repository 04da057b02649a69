"""Tests for cnnkit.summary.

Expected figures come from the papers, torchvision's published model metadata
(``num_params`` and ``_ops``, its GFLOPS column, which counts multiply-adds), the
syllabus, hand computation written out below, or networks rebuilt here in torch.nn.
"""

import math

import pytest

from cnnkit.summary import (
    INPUT_SHAPES,
    AdaptiveAvgPool,
    AvgPool,
    BatchNorm,
    Concat,
    Conv,
    Elementwise,
    Flatten,
    GlobalAvgPool,
    Linear,
    MaxPool,
    ReLU,
    Residual,
    alexnet,
    bottleneck_comparison,
    lenet5,
    lenet5_ng,
    print_summary,
    resnet34,
    resnet50,
    summarize,
    vgg16,
)


def only(summary, kind):
    return [r for r in summary.rows if r.kind == kind]


# --------------------------------------------------------------------------- single layers


def test_conv_layer_from_syllabus_multichannel_example():
    # SYLLABUS section 2: 32x32x3 input, six 5x5 filters -> 28x28x6 with 456 parameters.
    (row,) = summarize([Conv(6, 5)], (3, 32, 32)).rows
    assert row.output_shape == (6, 28, 28)
    assert row.params == 456
    assert row.macs == 28 * 28 * 6 * (3 * 5 * 5)
    assert row.input_shape == (3, 32, 32)


@pytest.mark.parametrize(
    ("n", "k", "p", "s", "m"),
    [(7, 3, 1, 2, 4), (5, 3, 0, 2, 2), (5, 3, 0, 1, 3)],  # SYLLABUS section 2 examples
)
def test_conv_output_size_examples(n, k, p, s, m):
    (row,) = summarize([Conv(1, k, stride=s, pad=p)], (1, n, n)).rows
    assert row.output_shape == (1, m, m)


def test_grouped_conv_counts_only_in_group_channels():
    # 4 input channels in 2 groups: every filter sees 2 of them.
    (row,) = summarize([Conv(6, 3, pad=1, groups=2, bias=False)], (4, 8, 8)).rows
    assert row.output_shape == (6, 8, 8)
    assert row.params == 6 * 2 * 3 * 3
    assert row.macs == 8 * 8 * 6 * 2 * 3 * 3


def test_depthwise_separable_example_from_syllabus():
    # 5x5x3 input; depthwise 3x3 (one kernel per channel), then pointwise 1x1x3 x4.
    s = summarize([Conv(3, 3, groups=3, bias=False), Conv(4, 1, bias=False)], (3, 5, 5))
    dw, pw = s.rows
    assert (dw.output_shape, dw.params, dw.macs) == ((3, 3, 3), 27, 3 * 3 * 3 * 9)
    assert (pw.output_shape, pw.params, pw.macs) == ((4, 3, 3), 12, 3 * 3 * 4 * 3)
    standard = summarize([Conv(4, 3, bias=False)], (3, 5, 5)).rows[0]
    assert (standard.params, standard.macs) == (108, 3 * 3 * 4 * 27)


def test_rectangular_kernel_stride_and_dilation():
    (row,) = summarize([Conv(2, (3, 1), stride=(2, 1), pad=(1, 0))], (1, 9, 6)).rows
    assert row.output_shape == (2, 5, 6)  # H: (9+2-3)//2+1, W: 6-1+1
    assert row.params == 2 * 3 + 2
    # Dilation 2 spreads a 3x3 kernel over 5x5: 7 - 5 + 1 = 3, with no extra parameters.
    (row,) = summarize([Conv(1, 3, dilation=2, bias=False)], (1, 7, 7)).rows
    assert (row.output_shape, row.params) == ((1, 3, 3), 9)


def test_pooling_linear_batchnorm_and_parameter_free_layers():
    s = summarize(
        [
            MaxPool(3, stride=2),        # 5x5, f=3, s=2 -> 2x2
            BatchNorm(),
            ReLU(),
            Elementwise("dropout"),
            AvgPool(2, stride=1),        # 2x2 -> 1x1
            Flatten(),
            Linear(3),
            BatchNorm(affine=False),
        ],
        (4, 5, 5),
    )  # fmt: skip
    shapes = [r.output_shape for r in s.rows]
    assert shapes == [(4, 2, 2), (4, 2, 2), (4, 2, 2), (4, 2, 2), (4, 1, 1), (4,), (3,), (3,)]
    assert [r.params for r in s.rows] == [0, 8, 0, 0, 0, 0, 4 * 3 + 3, 0]
    assert [r.macs for r in s.rows] == [0, 0, 0, 0, 0, 0, 12, 0]
    assert [r.kind for r in s.rows][2:4] == ["ReLU", "dropout"]


def test_global_and_adaptive_average_pool():
    s = summarize([AdaptiveAvgPool((2, 3)), GlobalAvgPool(), Linear(5)], (7, 9, 9))
    assert [r.output_shape for r in s.rows] == [(7, 2, 3), (7,), (5,)]
    assert s.total_params == 7 * 5 + 5


def test_automatic_and_given_names():
    s = summarize([Conv(2, 1), ReLU(), Conv(2, 1, name="head"), ReLU(), Conv(2, 1)], (1, 4, 4))
    assert [r.name for r in s.rows] == ["conv1", "relu1", "head", "relu2", "conv3"]


def test_flat_input_shape_for_mlp():
    s = summarize([Linear(512)], (784,))
    # SYLLABUS section 1: 784*512 = 401,408 weights and multiplications, +512 biases.
    assert (s.total_params, s.total_macs) == (401_408 + 512, 401_408)


# --------------------------------------------------------------------------- branches


def test_residual_identity_and_projection():
    basic = [Conv(64, 3, pad=1, bias=False), BatchNorm(), ReLU(), Conv(64, 3, pad=1, bias=False),
             BatchNorm()]  # fmt: skip
    s = summarize([Residual(basic, name="block")], (64, 56, 56))
    assert s.output_shape == (64, 56, 56)
    assert s.total_params == 2 * (64 * 64 * 9) + 2 * (2 * 64)
    assert s.total_macs == 2 * (56 * 56 * 64 * 64 * 9)
    assert s.rows[-1].name == "block.add" and s.rows[-1].kind == "Add"
    assert s.rows[0].name == "block.conv1"

    down = [Conv(128, 3, stride=2, pad=1, bias=False), BatchNorm(), ReLU(),
            Conv(128, 3, pad=1, bias=False), BatchNorm()]  # fmt: skip
    proj = [Conv(128, 1, stride=2, bias=False), BatchNorm()]
    s = summarize([Residual(down, proj, name="b")], (64, 56, 56))
    assert s.output_shape == (128, 28, 28)
    shortcut = [r for r in s.rows if ".shortcut." in r.name]
    assert [r.params for r in shortcut] == [64 * 128, 2 * 128]
    assert shortcut[0].macs == 28 * 28 * 128 * 64


def test_concat_inception_3a():
    # GoogLeNet inception (3a) on 28x28x192: branches 64, 96->128, 16->32, pool->32 give
    # 256 channels; the paper's table lists 128M operations (multiply-adds, biases aside).
    branches = [
        [Conv(64, 1)],
        [Conv(96, 1), ReLU(), Conv(128, 3, pad=1)],
        [Conv(16, 1), ReLU(), Conv(32, 5, pad=2)],
        [MaxPool(3, stride=1, pad=1), Conv(32, 1)],
    ]
    s = summarize([Concat(branches, name="3a")], (192, 28, 28))
    assert s.output_shape == (256, 28, 28)
    weights = 192 * 64 + 192 * 96 + 96 * 9 * 128 + 192 * 16 + 16 * 25 * 32 + 192 * 32
    assert s.total_params == weights + 64 + 96 + 128 + 16 + 32 + 32
    assert s.total_macs == 28 * 28 * weights
    assert round(s.total_macs / 1e6) == 128
    assert s.rows[-1].name == "3a.concat"
    assert s.rows[1].name == "3a.branch2.conv1"


# --------------------------------------------------------------------------- classic networks


def test_lenet5_modern_parameter_count():
    s = summarize(lenet5(), INPUT_SHAPES["lenet5"])
    expected = [
        5 * 5 * 1 * 6 + 6,
        5 * 5 * 6 * 16 + 16,
        16 * 5 * 5 * 120 + 120,
        120 * 84 + 84,
        84 * 10 + 10,
    ]
    assert [r.params for r in s.rows if r.params] == expected
    assert s.total_params == sum(expected) == 61_706
    assert [r.output_shape for r in only(s, "Conv")] == [(6, 28, 28), (16, 10, 10)]
    assert [r.output_shape for r in only(s, "MaxPool")] == [(6, 14, 14), (16, 5, 5)]
    assert s.output_shape == (10,)


def test_lenet5_andrew_ng_table():
    s = summarize(lenet5_ng(), INPUT_SHAPES["lenet5_ng"])
    assert [r.params for r in s.rows if r.params] == [608, 3_216, 48_120, 10_164, 850]
    # Activation sizes of the same table: 6,272 / 1,568 / 1,600 / 400 / 120 / 84 / 10.
    sizes = [r.output_size for r in s.rows if r.kind in ("Conv", "MaxPool", "Linear")]
    assert sizes == [6_272, 1_568, 1_600, 400, 120, 84, 10]


def test_alexnet_torchvision_variant():
    s = summarize(alexnet(), INPUT_SHAPES["alexnet"])
    assert s.total_params == 61_100_840  # torchvision AlexNet_Weights num_params
    assert round(s.total_macs / 1e9, 3) == 0.714  # torchvision _ops
    assert only(s, "Conv")[0].output_shape == (64, 55, 55)
    assert s.rows[-1].output_shape == (1000,)


def test_alexnet_original_grouped_variant():
    s = summarize(alexnet(variant="original"), INPUT_SHAPES["alexnet_original"])
    # Two-GPU layout: conv2, conv4 and conv5 see half of the previous layer's maps.
    expected = [
        96 * 3 * 11 * 11 + 96,
        256 * 48 * 5 * 5 + 256,
        384 * 256 * 3 * 3 + 384,
        384 * 192 * 3 * 3 + 384,
        256 * 192 * 3 * 3 + 256,
        256 * 6 * 6 * 4096 + 4096,
        4096 * 4096 + 4096,
        4096 * 1000 + 1000,
    ]
    assert [r.params for r in s.rows if r.params] == expected
    assert s.total_params == sum(expected)
    assert round(s.total_params / 1e6, 1) == 61.0  # "about 60M", a little under 61M
    assert [r.output_shape[1] for r in only(s, "Conv")] == [55, 27, 13, 13, 13]


def test_vgg16_published_totals():
    s = summarize(vgg16(), INPUT_SHAPES["vgg16"])
    assert s.total_params == 138_357_544
    assert round(s.total_macs / 1e9, 2) == 15.47  # torchvision _ops
    assert round(s.total_macs / 1e9, 1) == 15.5
    assert len(only(s, "Conv")) == 13 and len(only(s, "Linear")) == 3


def test_resnet34_published_totals():
    s = summarize(resnet34(), INPUT_SHAPES["resnet34"])
    assert s.total_params == 21_797_672
    assert round(s.total_macs / 1e9, 3) == 3.664  # torchvision _ops
    assert abs(s.total_macs / 1e9 - 3.6) < 0.1  # paper: 3.6 billion multiply-adds
    assert len(only(s, "Conv")) == 33 + 3  # 33 in the main path, 3 projections
    assert len(only(s, "Add")) == 3 + 4 + 6 + 3
    assert any(r.name == "layer2.0.shortcut.conv1" for r in s.rows)


def test_resnet50_published_totals():
    s = summarize(resnet50(), INPUT_SHAPES["resnet50"])
    assert s.total_params == 25_557_032
    assert round(s.total_macs / 1e9, 3) == 4.089  # torchvision _ops (stride in the 3x3)
    v1 = summarize(resnet50(stride_in_1x1=True), INPUT_SHAPES["resnet50"])
    assert v1.total_params == s.total_params
    assert abs(v1.total_macs / 1e9 - 3.8) < 0.1  # paper, Table 1: 3.8 x 10^9 FLOPs


def test_num_classes():
    s = summarize(vgg16(num_classes=10), INPUT_SHAPES["vgg16"])
    assert s.output_shape == (10,)
    assert s.total_params == 138_357_544 - 4096 * 990 - 990


def test_bottleneck_comparison_syllabus_figures():
    direct, reduced = bottleneck_comparison()
    assert direct.total_macs == 100 * 100 * 256 * 3 * 3 * 256 == 5_898_240_000
    assert reduced.total_macs == 100 * 100 * 256 * 64 + 100 * 100 * 64 * 3 * 3 * 256
    assert reduced.total_macs == 1_638_400_000
    assert sum(r.output_size for r in direct.rows) == 2_560_000
    assert sum(r.output_size for r in reduced.rows) == 3_200_000
    assert direct.output_shape == reduced.output_shape == (256, 100, 100)


# --------------------------------------------------------------------------- output


def test_table_shows_rows_and_totals_with_separators(capsys):
    s = print_summary(lenet5(), (1, 32, 32))
    out = capsys.readouterr().out
    assert out.strip() == s.table() == str(s)
    macs = 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10
    total = out.strip().splitlines()[-1].split()
    assert total == ["Total", "61,706", f"{macs:,}"] == ["Total", "61,706", "416,520"]
    assert "(16, 5, 5)" in out and "(400,)" in out and "2,416" in out


def test_notebook_display_is_the_table():
    shown = []

    class Printer:  # the part of IPython's pretty printer that _repr_pretty_ uses
        def text(self, value):
            shown.append(value)

    s = summarize(lenet5(), (1, 32, 32))
    s._repr_pretty_(Printer(), cycle=False)
    assert shown == [s.table()]


def test_big_table_total_line():
    total = summarize(vgg16(), (3, 224, 224)).table().splitlines()[-1]
    assert "138,357,544" in total and "15,470,264,320" in total


def test_rows_as_dicts():
    d = summarize([Conv(6, 5)], (3, 32, 32)).to_dicts()
    assert d == [
        {
            "name": "conv1",
            "kind": "Conv",
            "input_shape": (3, 32, 32),
            "output_shape": (6, 28, 28),
            "params": 456,
            "macs": 352_800,
        }
    ]


# --------------------------------------------------------------------------- bad specs


@pytest.mark.parametrize(
    ("layers", "shape", "words"),
    [
        ([Conv(4, 3), Conv(4, 5, name="big")], (1, 6, 6), ["big", "larger", "4x4"]),
        ([Conv(4, 3, pad=1), MaxPool(5)], (1, 4, 4), ["maxpool1", "larger"]),
        ([Conv(4, 3, groups=2)], (3, 8, 8), ["conv1", "C_in=3", "groups=2"]),
        ([Conv(3, 3, groups=2)], (4, 8, 8), ["conv1", "C_out=3", "groups=2"]),
        ([Conv(4, 0)], (1, 8, 8), ["conv1", "kernel", "positive"]),
        ([Conv(4, 3, stride=1.5)], (1, 8, 8), ["conv1", "stride", "integer"]),
        ([Conv(4, 3, pad=-1)], (1, 8, 8), ["conv1", "pad", "non-negative"]),
        ([MaxPool(2, pad=2)], (1, 8, 8), ["maxpool1", "half"]),
        ([Conv(4, 3), Linear(10)], (1, 8, 8), ["fc1", "Flatten"]),
        ([Flatten(), Conv(4, 1)], (1, 8, 8), ["conv1", "(C, H, W)"]),
        ([Linear(0)], (5,), ["fc1", "out_features"]),
        ([Conv(4, 3), "relu"], (1, 8, 8), ["layers[1]", "layer spec"]),
        ([Residual([Conv(8, 3, pad=1)], name="r")], (4, 8, 8), ["r:", "(8, 8, 8)", "(4, 8, 8)"]),
        ([Residual([Conv(8, 3, pad=1, name="bad", groups=3)])], (4, 8, 8), ["res1.bad", "groups"]),
        ([Concat([[Conv(2, 1)], [Conv(2, 3)]], name="c")], (1, 8, 8), ["c:", "same H and W"]),
        ([Concat([])], (1, 8, 8), ["concat1", "non-empty"]),
    ],
)
def test_bad_specs_raise_value_error_naming_layer(layers, shape, words):
    with pytest.raises(ValueError) as info:
        summarize(layers, shape)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("shape", [(32, 32), (3, 0, 32), (3, 32.0, 32), "3x32x32"])
def test_bad_input_shape(shape):
    with pytest.raises(ValueError, match="input_shape"):
        summarize([ReLU()], shape)


def test_projection_hint_in_residual_error():
    body = [Conv(128, 3, stride=2, pad=1)]
    with pytest.raises(ValueError, match=r"Conv\(128, 1, stride=2"):
        summarize([Residual(body)], (64, 56, 56))


def test_unknown_alexnet_variant():
    with pytest.raises(ValueError, match="variant"):
        alexnet(variant="caffe")


# --------------------------------------------------------------------------- against torch


def torch_trace(model, input_shape):
    """Forward zeros through ``model``, built on the meta device; return per-layer
    (params, output shape, MACs) of every Conv2d, Linear and BatchNorm2d in execution
    order, the final output shape and the model's total number of parameters."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    # Models are built on the meta device and given uninitialised CPU memory here: only
    # shapes matter, and initialising VGG-16's 124M fully connected weights takes ~2 s.
    model = model.to_empty(device="cpu")
    seen = []

    def hook(module, inputs, output):
        params = sum(p.numel() for p in module.parameters(recurse=False))
        shape = tuple(output.shape[1:])
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
            macs = math.prod(shape) * per_output
        elif isinstance(module, nn.Linear):
            macs = module.in_features * module.out_features
        else:
            macs = 0
        seen.append((params, shape, macs))

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm2d)):
            m.register_forward_hook(hook)
    # One thread: on the shared 2-core machine a second one mostly spin-waits.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            out = model.eval()(torch.zeros(1, *input_shape))
    finally:
        torch.set_num_threads(threads)
    return seen, tuple(out.shape[1:]), sum(p.numel() for p in model.parameters())


def assert_matches_torch(summary, model):
    seen, out_shape, total_params = torch_trace(model, summary.input_shape)
    rows = [r for r in summary.rows if r.kind in ("Conv", "Linear", "BatchNorm")]
    assert len(rows) == len(seen)
    for r, theirs in zip(rows, seen, strict=True):
        assert (r.params, r.output_shape, r.macs) == theirs, r.name
    assert summary.output_shape == out_shape
    assert summary.total_params == total_params


def test_vgg16_matches_torch():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    layers, C_in = [], 3
    with torch.device("meta"):
        for C, repeat in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
            for _ in range(repeat):
                layers += [nn.Conv2d(C_in, C, 3, padding=1), nn.ReLU()]
                C_in = C
            layers.append(nn.MaxPool2d(2, 2))
        model = nn.Sequential(
            *layers,
            nn.AdaptiveAvgPool2d(7),
            nn.Flatten(),
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
            nn.Linear(4096, 1000),
        )  # fmt: skip
    assert_matches_torch(summarize(vgg16(), (3, 224, 224)), model)


def test_alexnet_matches_torch():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    with torch.device("meta"):
        model = nn.Sequential(
            nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.AdaptiveAvgPool2d(6), nn.Flatten(),
            nn.Dropout(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, 1000),
        )  # fmt: skip
    assert_matches_torch(summarize(alexnet(), (3, 224, 224)), model)


def test_alexnet_original_matches_torch():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    with torch.device("meta"):
        model = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.LocalResponseNorm(5),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(), nn.LocalResponseNorm(5),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Flatten(),
            nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
            nn.Linear(4096, 1000),
        )  # fmt: skip
    assert_matches_torch(summarize(alexnet(variant="original"), (3, 227, 227)), model)


def torch_resnet(bottleneck, blocks):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    expansion = 4 if bottleneck else 1

    class Block(nn.Module):
        def __init__(self, C_in, width, stride):
            super().__init__()
            C_out = width * expansion
            if bottleneck:
                self.body = nn.Sequential(
                    nn.Conv2d(C_in, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                    nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width),
                    nn.ReLU(),
                    nn.Conv2d(width, C_out, 1, bias=False), nn.BatchNorm2d(C_out),
                )  # fmt: skip
            else:
                self.body = nn.Sequential(
                    nn.Conv2d(C_in, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width),
                    nn.ReLU(),
                    nn.Conv2d(width, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width),
                )  # fmt: skip
            self.downsample = None
            if stride != 1 or C_in != C_out:
                self.downsample = nn.Sequential(
                    nn.Conv2d(C_in, C_out, 1, stride, bias=False), nn.BatchNorm2d(C_out)
                )

        def forward(self, x):
            out = self.body(x)
            identity = x if self.downsample is None else self.downsample(x)
            return torch.relu(out + identity)

    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
              nn.MaxPool2d(3, 2, 1)]  # fmt: skip
    C_in = 64
    for i, (width, n) in enumerate(zip((64, 128, 256, 512), blocks, strict=True)):
        for b in range(n):
            layers.append(Block(C_in, width, 2 if i > 0 and b == 0 else 1))
            C_in = width * expansion
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(C_in, 1000)]
    return nn.Sequential(*layers)


def meta_torch_resnet(bottleneck, blocks):
    torch = pytest.importorskip("torch")
    with torch.device("meta"):
        return torch_resnet(bottleneck, blocks)


def test_resnet34_matches_torch():
    model = meta_torch_resnet(bottleneck=False, blocks=(3, 4, 6, 3))
    assert_matches_torch(summarize(resnet34(), (3, 224, 224)), model)


def test_resnet50_matches_torch():
    model = meta_torch_resnet(bottleneck=True, blocks=(3, 4, 6, 3))
    assert_matches_torch(summarize(resnet50(), (3, 224, 224)), model)
