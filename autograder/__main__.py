"""Instructor commands: ``python -m autograder <command>``.

    build      solutions/*.py → course/source → nbgrader generate_assignment → notebooks/
    release    the student release: notebooks + cnnkit + a student install, no answers
    autograde  grade what changed in course/submitted/<student>/<chapter>/, in parallel
    worker     take grading tasks from a Celery broker (grading on many machines)
    export     total scores to CSV (nbgrader's exporter) and one row per check
    feedback   feedback HTML under course/feedback/
    collect    copy student notebooks from a folder of <student>/<chapter>.ipynb into submitted/
    check      self-study: grade your own notebook locally, every check, no answer shown

Every command takes ``--course-dir`` (default: ./course in the repository).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from autograder import build as build_mod
from autograder import grade
from autograder.course import DEFAULT_COURSE_DIR, NOTEBOOKS
from autograder.sandbox import SandboxUnavailable


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--course-dir", type=Path, default=DEFAULT_COURSE_DIR)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="generate notebooks/ from solutions/")
    p.add_argument("chapters", nargs="*", help="e.g. 01_convolution (default: all)")
    p.add_argument("--out", type=Path, default=NOTEBOOKS, help="where student notebooks go")

    p = sub.add_parser("release", help="write the student release (notebooks + cnnkit) to a folder")
    p.add_argument("--out", type=Path, default=Path("student-release"))

    p = sub.add_parser("autograde", help="autograde all submissions")
    p.add_argument("chapters", nargs="*")
    p.add_argument("--student", action="append", help="only these students (repeatable)")
    p.add_argument("--timeout", type=float, default=900, help="seconds per submission")
    p.add_argument(
        "--workers", type=int, default=None, help="grading processes (default: one per core)"
    )
    p.add_argument(
        "--force", action="store_true", help="regrade submissions that have not changed too"
    )
    p.add_argument(
        "--cell-timeout", type=float, default=None, help="seconds per cell and per check"
    )
    p.add_argument(
        "--unsandboxed",
        action="store_true",
        help="grade without the bubblewrap sandbox (student code gets your rights; "
        "every report says so)",
    )
    p.add_argument(
        "--broker",
        default=os.environ.get("AUTOGRADER_BROKER"),
        help="send grading to Celery workers through this Redis URL "
        "(default: $AUTOGRADER_BROKER; unset: grade on this machine)",
    )
    p.add_argument(
        "--watch",
        action="store_true",
        help="grade on submit: take in new submissions every --interval seconds, grade "
        "them and write their feedback, until stopped (needs --exchange or --inbound)",
    )
    p.add_argument("--exchange", type=Path, help="with --watch: nbgrader's exchange root")
    p.add_argument(
        "--inbound", type=Path, help="with --watch: a folder of <student>/<chapter>.ipynb"
    )
    p.add_argument("--interval", type=float, default=5.0, help="with --watch: seconds")

    p = sub.add_parser("worker", help="take grading tasks from a broker (scale-out)")
    p.add_argument("--broker", default=os.environ.get("AUTOGRADER_BROKER"))
    p.add_argument("--concurrency", type=int, default=None, help="default: one per core")
    p.add_argument("--name", default=None, help="Celery node name, e.g. grader1@%%h")
    p.add_argument("--logfile", default=None)
    p.add_argument("--unsandboxed", action="store_true")

    p = sub.add_parser("export", help="write grades as CSV")
    p.add_argument("--to", type=Path, default=Path("grades.csv"))
    p.add_argument("--checks-to", type=Path, default=Path("grades_by_check.csv"))
    p.add_argument("--canvas-to", type=Path, help="also a Canvas Gradebook import file")
    p.add_argument("--moodle-to", type=Path, help="also a Moodle grade import file")
    p.add_argument("--section", default="", help="the Canvas file's Section column")

    p = sub.add_parser("feedback", help="generate feedback HTML")
    p.add_argument("chapters", nargs="*")
    p.add_argument("--student", action="append")

    p = sub.add_parser("collect", help="put <student>/<chapter>.ipynb files into submitted/")
    p.add_argument("folder", type=Path)

    from autograder import check as check_mod

    check_mod.add_parser(sub)

    # --course-dir also after the command (python -m autograder autograde --course-dir X);
    # SUPPRESS keeps a subcommand from resetting one given before it.
    for command_parser in sub.choices.values():
        command_parser.add_argument(
            "--course-dir", type=Path, default=argparse.SUPPRESS, help="the course directory"
        )
    args = parser.parse_args(argv)
    course_dir = args.course_dir.resolve()

    if args.command == "check":
        return check_mod.main(args)
    if args.command == "build":
        for path in build_mod.build(course_dir, args.chapters or None, out_dir=args.out):
            print(f"wrote {path}")
        return 0
    if args.command == "release":
        from autograder.release import make_release

        print(f"wrote the student release to {make_release(args.out, course_dir)}")
        return 0
    if args.command == "autograde" and args.watch:
        from autograder.watch import watch

        if not (args.exchange or args.inbound):
            parser.error("--watch needs --exchange DIR or --inbound DIR")
        try:
            watch(
                course_dir,
                inbound=args.inbound,
                exchange=args.exchange,
                interval=args.interval,
                timeout=args.timeout,
                unsandboxed=args.unsandboxed,
                workers=args.workers,
                cell_timeout=args.cell_timeout,
                broker=args.broker,
            )
        except SandboxUnavailable as exc:
            print(f"refusing to grade: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            pass
        return 0
    if args.command == "autograde":
        try:
            outcomes = grade.autograde(
                course_dir,
                args.chapters or None,
                args.student,
                args.timeout,
                unsandboxed=args.unsandboxed,
                workers=args.workers,
                force=args.force,
                cell_timeout=args.cell_timeout,
                progress=sys.stderr.isatty(),
                broker=args.broker,
            )
        except SandboxUnavailable as exc:
            print(f"refusing to grade: {exc}", file=sys.stderr)
            return 2
        print(grade.summary(outcomes))
        return 1 if any(not o.ok for o in outcomes) else 0
    if args.command == "worker":
        from autograder.distributed import run_worker

        try:
            run_worker(
                course_dir, args.broker, args.concurrency, args.unsandboxed, args.name, args.logfile
            )
        except SandboxUnavailable as exc:
            print(f"refusing to grade: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "export":
        print(f"wrote {grade.export_csv(course_dir, args.to)}")
        print(f"wrote {grade.export_checks_csv(course_dir, args.checks_to)}")
        if args.canvas_to or args.moodle_to:
            from autograder import lms

            grades = lms.read_gradebook(course_dir)
            if args.canvas_to:
                print(f"wrote {lms.write_canvas_csv(grades, args.canvas_to, section=args.section)}")
            if args.moodle_to:
                print(f"wrote {lms.write_moodle_csv(grades, args.moodle_to)}")
        return 0
    if args.command == "feedback":
        outcomes = grade.feedback(course_dir, args.chapters or None, args.student)
        return 1 if any(not o.ok for o in outcomes) else 0
    if args.command == "collect":
        count = 0
        for nb in sorted(args.folder.glob("*/*.ipynb")):
            student, chapter = nb.parent.name, nb.stem
            target = course_dir / "submitted" / student / chapter / nb.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(nb, target)
            count += 1
        print(f"collected {count} notebooks into {course_dir / 'submitted'}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
