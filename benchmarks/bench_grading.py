"""Grading overhead of the sandbox and the judge, against nbgrader's own in-kernel execution.

Run from the repository root:

    .venv/bin/python benchmarks/bench_grading.py [--chapters 01_convolution,03_pooling] [--n 3]
    .venv/bin/python benchmarks/bench_grading.py --corpus      # also the adversarial corpus

For each chapter the instructor solution is submitted ``n`` times and graded twice in the
same run: once the way this course grades (student cells in bubblewrap, checks in the
judge) and once the way it graded before (nbgrader's ``Execute``: every cell, tests
included, in one unsandboxed kernel). Both go through ``python -m autograder autograde``'s
code path, one nbgrader process per submission. It prints seconds per notebook and the
ratio judge / in-kernel. ``--corpus`` grades ``tests/adversarial`` and prints how many
cases got exactly their expected score.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder import grade  # noqa: E402
from autograder.build import build  # noqa: E402
from autograder.course import ensure_course_config  # noqa: E402

IN_KERNEL = """
# benchmark baseline: nbgrader's own execution, tests in the student's kernel
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, Execute,
    IgnorePattern, LimitOutput, SaveAutoGrades)
c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, ClearMetadataPreprocessor,
    LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
c.Execute.timeout = 120
"""


def _course(root: Path, chapters, n, in_kernel: bool) -> Path:
    course_dir = root / ("in-kernel" if in_kernel else "judge")
    build(course_dir, chapters, out_dir=root / "nb")
    config = ensure_course_config(course_dir)
    if in_kernel:
        config.write_text(config.read_text() + IN_KERNEL)
    for chapter in chapters:
        source = course_dir / "source" / chapter / f"{chapter}.ipynb"
        for i in range(n):
            target = course_dir / "submitted" / f"s{i}" / chapter / f"{chapter}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    return course_dir


def _time_grading(course_dir: Path, chapters) -> dict:
    times = {c: [] for c in chapters}
    scores = {}

    for chapter in chapters:
        for student, _ in grade.submissions(course_dir, [chapter]):
            start = time.perf_counter()
            (outcome,) = grade.autograde(course_dir, [chapter], [student], log=lambda *a: None)
            times[chapter].append(time.perf_counter() - start)
            scores[(student, chapter)] = (outcome.score, outcome.max_score)
    return times, scores


def run_overhead(chapters, n):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = []
        judged = _time_grading(_course(root, chapters, n, in_kernel=False), chapters)
        kernel = _time_grading(_course(root, chapters, n, in_kernel=True), chapters)
        print(f"{'chapter':<22} {'judge s/nb':>10} {'in-kernel s/nb':>15} {'ratio':>7}  scores")
        for chapter in chapters:
            j = statistics.median(judged[0][chapter])
            k = statistics.median(kernel[0][chapter])
            s = {v for key, v in judged[1].items() if key[1] == chapter}
            rows.append((chapter, j, k))
            print(f"{chapter:<22} {j:>10.2f} {k:>15.2f} {j / k:>7.2f}  judge {sorted(s)}")
        total_j = sum(r[1] for r in rows)
        total_k = sum(r[2] for r in rows)
        ratio = total_j / total_k
        print(f"{'all (sum of medians)':<22} {total_j:>10.2f} {total_k:>15.2f} {ratio:>7.2f}")


def run_corpus():
    from tests.adversarial.corpus import cases

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        course_dir = root / "course"
        build(course_dir, out_dir=root / "nb", solutions_dir=REPO / "tests/fixtures/corpus")
        chapter = "01_guard"
        release = json.loads((root / "nb" / f"{chapter}.ipynb").read_text())
        solution = json.loads((course_dir / "source" / chapter / f"{chapter}.ipynb").read_text())
        expected = {}
        for case in cases(9):  # port 9 (discard): nothing listens, nothing must connect
            folder = course_dir / "submitted" / f"c_{case.name}" / chapter
            folder.mkdir(parents=True)
            (folder / f"{chapter}.ipynb").write_bytes(case.make(release, solution))
            expected[f"c_{case.name}"] = case.expected
        start = time.perf_counter()
        outcomes = grade.autograde(course_dir, cell_timeout=6, log=lambda *a: None)
        elapsed = time.perf_counter() - start
        right = [o for o in outcomes if o.ok and o.score == expected[o.student]]
        print(f"corpus: {len(right)} of {len(outcomes)} graded as expected in {elapsed:.0f} s")
        for o in outcomes:
            if o not in right:
                print(f"  {o.student}: got {o.score}, expected {expected[o.student]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chapters", default="01_convolution")
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--corpus", action="store_true")
    args = parser.parse_args()
    run_overhead([c for c in args.chapters.split(",") if c], args.n)
    if args.corpus:
        run_corpus()


if __name__ == "__main__":
    main()
