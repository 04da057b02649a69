"""The judge <-> sandbox protocol carries data, and only data."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from autograder import wire
from cnnkit.modules import Linear, ReLU


def roundtrip(value):
    return wire.decode(json.loads(json.dumps(wire.encode(value))))


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        2**70,
        -1.5,
        float("inf"),
        "text",
        (1, (2.0, "x")),
        [1, [2, 3]],
        {"a": 1, 2: "b", (1, 2): None},
        complex(1, -2),
        slice(1, None, 2),
    ],
)
def test_plain_values_round_trip(value):
    assert roundtrip(value) == value
    assert type(roundtrip(value)) is type(value)


def test_nan_round_trips():
    assert np.isnan(roundtrip(float("nan")))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "uint8", "complex128"])
def test_arrays_keep_dtype_shape_and_values(dtype):
    a = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    b = roundtrip(a)
    assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b)


def test_numpy_scalars_and_dtypes_keep_their_type():
    assert type(roundtrip(np.float32(1.5))) is np.float32
    assert roundtrip(np.int64(7)) == 7 and type(roundtrip(np.int64(7))) is np.int64
    assert roundtrip(np.float64) is np.float64


def test_generators_keep_their_state():
    g = np.random.default_rng(5)
    h = roundtrip(g)
    assert g.standard_normal() == h.standard_normal()


def test_cnnkit_layers_cross_as_their_data():
    layer = Linear(3, 2, rng=0, dtype=np.float64)
    layer.forward(np.ones((1, 3)))
    copy = roundtrip([layer, ReLU()])
    assert isinstance(copy[0], Linear) and isinstance(copy[1], ReLU)
    assert np.array_equal(copy[0].params["W"], layer.params["W"])
    dX = copy[0].backward(np.ones((1, 2)))  # the cache crossed too
    assert dX.shape == (1, 3)


@pytest.mark.parametrize(
    "value",
    [np.array([object()]), lambda x: x, open, object(), {1: os}],
)
def test_code_and_arbitrary_objects_do_not_cross(value):
    with pytest.raises(wire.Unsendable):
        wire.encode(value)


@pytest.mark.parametrize(
    "data",
    [
        {"$obj": "os.system", "state": {"$dict": []}},
        {"$obj": "cnnkit.modules.np", "state": {"$dict": []}},
        {"$obj": "builtins.eval", "state": {"$dict": []}},
        {"$nd": "not base64 npy"},
        {"$rng": {"$dict": [["bit_generator", "Evil"]]}},
        {"$callback": "0"},
        {"$unknown": 1},
        {"$tuple": [1], "$nd": "x", "more": 3},
    ],
)
def test_forged_values_are_rejected_not_executed(data):
    with pytest.raises(wire.WireError):
        wire.decode(data)


def test_pickled_arrays_are_refused():
    import base64
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError):
        wire.decode({"$nd": base64.b64encode(buf.getvalue()).decode()})


def test_restore_updates_the_callers_objects_in_place():
    layer = Linear(2, 2, rng=0, dtype=np.float64)
    W = layer.params["W"]
    args = [[layer], np.zeros(3), {"v": np.zeros(2)}]
    after = roundtrip(args)
    after[0][0].params["W"][...] = 7
    after[1][...] = 1
    after[2]["v"][...] = 2
    after[2]["new"] = 3
    for original, changed in zip(args, after, strict=True):
        wire.restore(original, changed)
    assert args[0][0] is layer and layer.params["W"] is W and np.all(W == 7)
    assert np.all(args[1] == 1) and np.all(args[2]["v"] == 2) and args[2]["new"] == 3


def test_frames_round_trip_through_a_pipe():
    r, w = os.pipe()
    wire.send(w, {"op": "x", "data": wire.encode(np.ones(3))})
    message = wire.recv_blocking(r)
    assert message["op"] == "x" and np.array_equal(wire.decode(message["data"]), np.ones(3))
    os.close(w)
    with pytest.raises(EOFError):
        wire.recv_blocking(r)
    os.close(r)
