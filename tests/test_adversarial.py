"""The adversarial corpus (``tests/adversarial/corpus.py``) through the real pipeline.

Every case is graded in one batch, with honest submissions before and after the
malicious ones, under the bubblewrap sandbox. For every case: it gets exactly the points
its honest part earns; the batch finishes; the honest students keep their grades; and
nothing outside the grading outputs changes -- the course directory, the course's code,
the environment's site-packages and the grader's own IPython and matplotlib directories.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder import grade
from autograder.build import build
from tests.adversarial.corpus import Case, answers, cases
from tests.conftest import FIXTURES, REPO, require_sandbox

pytestmark = pytest.mark.slow

CHAPTER = "01_guard"
# Written by grading itself; everything else must be byte-identical afterwards.
OUTPUTS = {"gradebook.db", "autograded", ".grading", "gradebook-backups", "feedback"}


def _digest_tree(root: Path, skip=()) -> dict:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts and rel.parts[0] in skip or "__pycache__" in rel.parts:
            continue
        if path.is_file():
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _outside_state(course_dir: Path) -> dict:
    import site

    state = {"course": _digest_tree(course_dir, skip=OUTPUTS)}
    for name in ("autograder", "cnnkit"):
        state[name] = _digest_tree(REPO / name)
    for packages in site.getsitepackages():
        state[packages] = sorted(p.name for p in Path(packages).iterdir())
    home = Path.home()
    for sub in (".ipython", ".config/matplotlib"):
        state[sub] = _digest_tree(home / sub) if (home / sub).exists() else {}
    return state


class Listener:
    """A TCP server on this machine's loopback that no sandboxed code may reach."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.stop = True
        self.thread.join(timeout=5)
        self.sock.close()


def _grade_batch(root, cases_here, release, solution):
    """One course directory with honest students first and last and ``cases_here`` between."""
    course_dir = root / "course"
    shutil.copytree(root.parent / "built", course_dir)
    students = {}

    def place(student, data: bytes, name=f"{CHAPTER}.ipynb"):
        folder = course_dir / "submitted" / student / CHAPTER
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        return folder

    # Honest students sort first and last: graded before and after every attack.
    place("aaa_honest", answers()(release, solution))
    for case in cases_here:
        student = f"c_{case.name}"
        students[student] = case
        if case.make is not None:
            place(student, case.make(release, solution))
        elif case.name == "renamed_notebook":
            place(student, answers()(release, solution), name="my work (1).ipynb")
        elif case.name == "extra_notebook":
            folder = place(student, answers()(release, solution))
            (folder / "scratch.ipynb").write_bytes(b"{}")
    place("zzz_honest", answers()(release, solution))
    before = _outside_state(course_dir)
    outcomes = grade.autograde(course_dir, timeout=240, cell_timeout=6, log=lambda *a: None)
    after = _outside_state(course_dir)
    return course_dir, students, outcomes, before, after


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("corpus")
    out_dir = root / "notebooks"
    build(root / "built", out_dir=out_dir, solutions_dir=FIXTURES / "corpus")
    release = json.loads((out_dir / f"{CHAPTER}.ipynb").read_text())
    solution = json.loads((root / "built" / "source" / CHAPTER / f"{CHAPTER}.ipynb").read_text())
    listener = Listener()
    all_cases = cases(listener.port) + [
        Case("renamed_notebook", 5, None),
        Case("extra_notebook", 5, None),
    ]
    # Two course directories graded side by side: one per core.
    halves = [all_cases[0::2], all_cases[1::2]]
    dirs = [root / "a", root / "b"]
    for d in dirs:
        d.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(
                lambda pair: _grade_batch(pair[0], pair[1], release, solution),
                zip(dirs, halves, strict=False),
            )
        )
    listener.close()
    merged = {"course_dirs": [], "outcomes": {}, "students": {}, "before": {}, "after": {}}
    for i, (course_dir, students, outcomes, before, after) in enumerate(results):
        merged["course_dirs"].append(course_dir)
        merged["students"].update(students)
        merged["outcomes"].update({(i, o.student): o for o in outcomes})
        merged["before"].update({(i, k): v for k, v in before.items()})
        merged["after"].update({(i, k): v for k, v in after.items()})
    merged["half_of"] = {s: i for i, (_, students, *_rest) in enumerate(results) for s in students}
    merged["connections"] = listener.connections
    return merged


def test_corpus_is_large_enough(corpus):
    assert len(corpus["students"]) >= 40


def test_batch_finishes_with_a_grade_for_everyone(corpus):
    outcomes = corpus["outcomes"]
    expected = {(corpus["half_of"][s], s) for s in corpus["students"]}
    expected |= {(i, s) for i in (0, 1) for s in ("aaa_honest", "zzz_honest")}
    assert set(outcomes) == expected
    failed = {s: o.message for s, o in outcomes.items() if not o.ok}
    assert not failed, failed


def test_honest_students_keep_their_grades(corpus):
    for i in (0, 1):
        for student in ("aaa_honest", "zzz_honest"):
            assert corpus["outcomes"][(i, student)].score == 5


def test_every_case_earns_exactly_its_honest_part(corpus):
    wrong = {}
    for student, case in corpus["students"].items():
        outcome = corpus["outcomes"][(corpus["half_of"][student], student)]
        if outcome.score != case.expected:
            wrong[case.name] = (outcome.score, case.expected, outcome.message[:200])
    assert not wrong, "score, expected, note: " + json.dumps(wrong, indent=1)


def test_nothing_outside_the_grading_outputs_changed(corpus):
    before, after = corpus["before"], corpus["after"]
    changed = [key for key in before if before[key] != after.get(key)]
    assert not changed, changed


def test_no_connection_reached_the_loopback_listener(corpus):
    assert corpus["connections"] == 0


def test_gradebook_holds_the_judges_scores(corpus):
    # the write_gradebook case tried to set every score to 15000
    for course_dir in corpus["course_dirs"]:
        with grade.Gradebook(grade.db_url(course_dir), "cnn-course") as gb:
            for assignment in gb.assignments:
                for sub in assignment.submissions:
                    assert 0 <= sub.score <= 5


FEEDBACK_STUDENTS = ("c_blank", "c_loop_in_function", "c_only_double", "c_exit_in_function")
SECRETS = ("SECRET-GUARD", "default_rng(77)", "_rng", "Traceback (most recent", "/tmp/", "/work/")


@pytest.fixture(scope="module")
def feedback_html(corpus):
    pages = {}
    for student in FEEDBACK_STUDENTS:
        course_dir = corpus["course_dirs"][corpus["half_of"][student]]
        outcomes = grade.feedback(course_dir, students=[student], log=lambda *a: None)
        assert outcomes and all(o.ok for o in outcomes), [o.message for o in outcomes]
        pages[student] = course_dir / "feedback" / student / CHAPTER / f"{CHAPTER}.html"
    return pages


def test_feedback_names_the_problem_and_shows_nothing_else(feedback_html):
    for student, path in feedback_html.items():
        html = path.read_text()
        for secret in SECRETS:
            assert secret not in html, (student, secret)

    def text(student):  # messages are wrapped: compare words, not line breaks
        return " ".join(feedback_html[student].read_text().split())

    assert "not implemented yet" in text("c_blank")
    assert "ran over its time limit" in text("c_loop_in_function")
    assert "exited" in text("c_exit_in_function")


def test_feedback_messages_are_whole_and_wrapped_in_a_real_browser(feedback_html, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 900, "height": 1200})
        for student, path in feedback_html.items():
            page.goto(path.as_uri())
            text = page.inner_text("body")
            for secret in SECRETS:
                assert secret not in text, (student, secret)
            clipped = page.evaluate(
                """() => [...document.querySelectorAll('.output_error, .output_error pre')]
                    .filter(e => e.scrollWidth > e.clientWidth + 2)
                    .map(e => e.innerText.slice(0, 80))"""
            )
            assert not clipped, (student, clipped)
            page.screenshot(path=str(tmp_path / f"{student}.png"), full_page=True)
        # the whole message of a failed check is on the page, as the judge wrote it
        page.goto(feedback_html["c_only_double"].as_uri())
        assert "not implemented yet" in page.inner_text("body")
        browser.close()
