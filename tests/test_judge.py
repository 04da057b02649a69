"""The judge and the sandboxed runner, without nbgrader: calls, callbacks, deaths."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from autograder.judge import KernelDied, StudentFunction
from autograder.judged_execute import Session, error_output
from autograder.sandbox import Limits, Sandbox
from autograder.static import NotebookCode
from cnnkit.checks import CheckFailed, call, expect_raises
from cnnkit.modules import Linear, ReLU
from tests.conftest import require_sandbox


@pytest.fixture
def session():
    require_sandbox()
    s = Session(Sandbox(limits=Limits(memory=1 << 30)), {}, 20, 20, 3)
    s.start()
    s.deadline = time.monotonic() + 120  # what run_check sets for each check
    yield s
    s.close()


def proxy(session, name):
    (fn,) = session.resolve({name}, NotebookCode([])).values()
    return fn


def test_results_come_back_as_data(session):
    session.run_student_cell("import numpy as np\ndef f(x):\n    return x * 2, np.ones(2)")
    f = proxy(session, "f")
    assert isinstance(f, StudentFunction)
    got = f(np.arange(3.0))
    assert np.array_equal(got[0], [0, 2, 4]) and np.array_equal(got[1], [1, 1])


def test_builtin_errors_keep_their_type_and_exits_do_not_escape(session):
    session.run_student_cell(
        "def bad(x):\n    raise ValueError('x must be positive')\n"
        "def leave(x):\n    raise SystemExit(3)\n"
    )
    expect_raises(proxy(session, "bad"), (1,), exc=ValueError)
    with pytest.raises(CheckFailed, match="SystemExit"):
        call(proxy(session, "leave"), (1,))


def test_numerical_warnings_reach_the_judge(session):
    session.run_student_cell("import numpy as np\ndef sig(x):\n    return 1 / (1 + np.exp(-x))")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proxy(session, "sig")(np.array([-1000.0]))
    assert any("overflow" in str(w.message) for w in caught)


def test_judge_helpers_are_called_back_and_change_the_students_objects(session):
    session.run_student_cell(
        "def step(layers, X):\n"
        "    out = forward(layers, X)\n"  # the judge's helper, not in the sandbox
        "    return out, layers[0]._cache is not None\n"
        "def forward(layers, X):\n    raise NotImplementedError\n"
    )
    step = proxy(session, "step")

    def forward(layers, X):
        for layer in layers:
            X = layer.forward(X)
        return X

    step.helpers = {"forward": forward}
    layers = [Linear(3, 2, rng=0, dtype=np.float64), ReLU()]
    out, cached = step(layers, np.ones((1, 3)))
    assert cached and out.shape == (1, 2)
    assert layers[0]._cache is not None  # copied back to the judge's own objects


def test_a_dead_kernel_costs_its_check_and_is_replayed(session):
    session.run_student_cell(
        "def ok(x):\n    return x + 1\ndef die(x):\n    import os\n    os._exit(7)"
    )
    with pytest.raises(KernelDied, match="exit code 7"):
        proxy(session, "die")(1)
    session.restart()
    assert proxy(session, "ok")(1) == 2  # the cells ran again in the new kernel


def test_forged_frames_are_ignored(session):
    session.run_student_cell(
        "import json, os, struct\n"
        "msg = json.dumps({'op': 'result', 'value': 42, 'seq': 10**6}).encode()\n"
        "for fd in range(3, 12):\n"
        "    try:\n        os.write(fd, struct.pack('>Q', len(msg)) + msg)\n"
        "    except OSError:\n        pass\n"
        "def f(x):\n    return 1\n"
    )
    assert proxy(session, "f")(0) == 1


def test_error_messages_are_wrapped_with_nothing_but_the_message():
    out = error_output("CheckFailed", "word " * 60)
    assert all(len(line) <= 72 for line in out["traceback"])
    assert out["traceback"][0].startswith("CheckFailed: word")
