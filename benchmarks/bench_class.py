"""Grading a whole class: throughput of the grading engine, serial and parallel.

Run from the repository root (the sandbox on, as in real grading):

    .venv/bin/python benchmarks/bench_class.py                 # 40 students x 6 chapters
    .venv/bin/python benchmarks/bench_class.py --students 10 --baseline 1

It builds the course, writes ``--students`` realistic submissions per chapter (each
solution cell, at random but reproducibly: the answer 70%, the untouched stub 20%, an
answer that raises 10%), and grades them all twice in the same run: with one worker
(serial) and with ``--workers`` (default: one per core). It prints the table
chapter | notebooks | s per notebook | total for both, the time of a blank notebook on a
warm worker, and, with ``--baseline K``, the previous way (a new ``nbgrader autograde``
process per submission) on K students per chapter, for comparison in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder import grade  # noqa: E402
from autograder.build import build  # noqa: E402
from autograder.course import assignments, run_nbgrader  # noqa: E402


def _submission(source_nb, release_nb, rng):
    out = nbformat.from_dict(source_nb)
    stubs = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in release_nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in out.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution") or cell.cell_type != "code":
            continue
        roll = rng.random()
        if roll < 0.2:
            cell.source = stubs[meta["grade_id"]]
        elif roll < 0.3:
            cell.source = "raise ValueError('not finished')\n" + cell.source
    return out


def make_class(course_dir: Path, out_dir: Path, chapters, students: int, seed: int = 0):
    rng = random.Random(seed)
    for chapter in chapters:
        source = nbformat.read(course_dir / "source" / chapter / f"{chapter}.ipynb", 4)
        release = nbformat.read(out_dir / f"{chapter}.ipynb", 4)
        for i in range(students):
            nb = _submission(source, release, rng)
            path = course_dir / "submitted" / f"student{i:03d}" / chapter / f"{chapter}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)


def _reset(course_dir: Path):
    for name in ("autograded", "gradebook-backups", ".grading"):
        shutil.rmtree(course_dir / name, ignore_errors=True)


def timed_run(course_dir: Path, workers: int):
    start = time.perf_counter()
    outcomes = grade.autograde(course_dir, workers=workers, force=True, log=lambda *a: None)
    return time.perf_counter() - start, outcomes


def table(title, wall, outcomes):
    """Per chapter: notebooks, a worker's seconds per notebook, and their sum."""
    counts, busy = defaultdict(int), defaultdict(float)
    for o in outcomes:
        counts[o.assignment] += 1
        busy[o.assignment] += o.seconds
    total = sum(counts.values())
    print(f"\n{title}: {total} notebooks in {wall:.1f} s wall ({wall / total:.2f} s each)")
    print(f"{'chapter':<22} {'notebooks':>9} {'s/notebook':>11} {'worker s':>9}")
    for chapter in sorted(counts):
        n = counts[chapter]
        print(f"{chapter:<22} {n:>9} {busy[chapter] / n:>11.2f} {busy[chapter]:>9.1f}")
    failed = [o for o in outcomes if not o.ok]
    print(f"failed: {len(failed)}")


def baseline(course_dir: Path, chapters, k: int):
    """The way grading ran before: one nbgrader process per submission."""
    times = {}
    count = 0
    start_all = time.perf_counter()
    for chapter in chapters:
        start = time.perf_counter()
        for i in range(k):
            student = f"student{i:03d}"
            grade.stage(course_dir, student, chapter)
            run_nbgrader(
                [
                    "autograde",
                    chapter,
                    f"--student={student}",
                    "--force",
                    "--create",
                    f"--CourseDirectory.submitted_directory={grade.STAGED}",
                ],
                course_dir,
                timeout=900,
            )
            count += 1
        times[chapter] = time.perf_counter() - start
    wall = time.perf_counter() - start_all
    print(f"\nbaseline (a new nbgrader process per submission, serial): {count} notebooks")
    print(f"{'chapter':<22} {'notebooks':>9} {'s/notebook':>11} {'total s':>9}")
    for chapter in chapters:
        print(f"{chapter:<22} {k:>9} {times[chapter] / k:>11.2f} {times[chapter]:>9.1f}")
    print(f"all: {wall:.1f} s, {wall / count:.2f} s per notebook")


def blank_notebook(course_dir: Path, out_dir: Path, chapter: str, repeats: int = 3):
    """Seconds to grade a blank (release) notebook on an already-started worker."""
    from autograder import gradebook_io, worker

    for i in range(repeats):
        path = course_dir / "submitted" / f"blank{i}" / chapter / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(out_dir / f"{chapter}.ipynb", path)
    template = Path(tempfile.mkdtemp()) / "template.db"
    gradebook_io.copy_structure(
        grade.db_url(course_dir), gradebook_io.sqlite_url(template), "cnn-course", [chapter]
    )
    worker.init(str(course_dir), str(template), {})
    worker.grade_one("blank0", chapter)  # warm: the first task also starts the worker's kernel
    times = []
    for i in range(1, repeats):
        start = time.perf_counter()
        result = worker.grade_one(f"blank{i}", chapter)
        times.append(time.perf_counter() - start)
        assert result["ok"], result
    worker.shutdown()
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--chapters", default=",".join(assignments()))
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--baseline", type=int, default=0, help="students per chapter")
    parser.add_argument("--no-serial", action="store_true")
    args = parser.parse_args()
    chapters = args.chapters.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        course_dir, out_dir = root / "course", root / "notebooks"
        build(course_dir, chapters, out_dir=out_dir)
        make_class(course_dir, out_dir, chapters, args.students)
        print(f"{args.students} students x {len(chapters)} chapters, {os.cpu_count()} cores")
        if args.baseline:
            baseline(course_dir, chapters, args.baseline)
            _reset(course_dir)
        wall, outcomes = timed_run(course_dir, args.workers)
        table(f"parallel ({args.workers} workers)", wall, outcomes)
        if not args.no_serial:
            _reset(course_dir)
            serial_wall, serial = timed_run(course_dir, 1)
            table("serial (1 worker)", serial_wall, serial)
            same = {(o.student, o.assignment): o.score for o in serial} == {
                (o.student, o.assignment): o.score for o in outcomes
            }
            print(f"\nparallel / serial wall time: {wall / serial_wall:.2f}; same scores: {same}")
        print("\nblank notebook on a warm worker (s):")
        for chapter in chapters:
            print(f"  {chapter:<22} {blank_notebook(course_dir, out_dir, chapter):.2f}")


if __name__ == "__main__":
    main()
