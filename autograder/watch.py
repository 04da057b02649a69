"""Grade on submit: ``python -m autograder autograde --watch``.

Every few seconds the watcher takes in what students have handed in since it last
looked, grades what changed (``grade.autograde``: only changed submissions are run)
and writes the feedback of each newly graded submission at once.

Submissions come from one of two places:

- nbgrader's exchange (``--exchange DIR``, nbgrader's ``Exchange.root``): what
  ``nbgrader submit`` puts in ``inbound/`` is collected by nbgrader's own collector,
  which keeps the latest submission of each student and never deletes the inbound
  copies, so earlier submissions stay in the exchange;
- a folder (``--inbound DIR``) of ``<student>/<chapter>.ipynb`` files, e.g. a synced
  LMS download. A changed file replaces the submission; the one it replaces is kept
  under ``course/submitted-history/<student>/<chapter>/<time>/``.

Polling rather than file-system events: the exchange is often a network file system,
where inotify sees nothing, and a poll every few seconds costs a directory listing.
A submission the grader could not grade is tried again only when it changes.
"""

from __future__ import annotations

import datetime
import shutil
import time
from pathlib import Path

from autograder import grade, gradebook_io

HISTORY = "submitted-history"
SETTLE = 1.0  # s: a file changed more recently may still be being written


def _stamp(when: float) -> str:
    """A time as nbgrader writes ``timestamp.txt``."""
    moment = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def take_in_folder(course_dir: Path, inbound: Path, now: float | None = None) -> list:
    """Copy new or changed ``<student>/<chapter>.ipynb`` files into ``submitted/``.

    Returns the ``(student, chapter)`` pairs taken in. A replaced submission is moved to
    ``submitted-history/`` first; ``timestamp.txt`` is the file's modification time.
    """
    course_dir, now = Path(course_dir), time.time() if now is None else now
    chapters = {p.name for p in (course_dir / "source").iterdir() if p.is_dir()}
    taken = []
    for path in sorted(Path(inbound).glob("*/*.ipynb")):
        student, chapter = path.parent.name, path.stem
        if chapter not in chapters or student.startswith("."):
            continue
        mtime = path.stat().st_mtime
        if now - mtime < SETTLE:
            continue
        target = course_dir / "submitted" / student / chapter
        current = target / path.name
        if current.is_file() and current.read_bytes() == path.read_bytes():
            continue
        if target.exists():
            old = target / "timestamp.txt"
            label = old.read_text().strip() if old.is_file() else _stamp(target.stat().st_mtime)
            keep = course_dir / HISTORY / student / chapter / label.replace(" ", "_")
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(keep, ignore_errors=True)
            shutil.move(str(target), keep)
        target.mkdir(parents=True)
        shutil.copy2(path, current)
        (target / "timestamp.txt").write_text(_stamp(mtime))
        taken.append((student, chapter))
    return taken


def take_in_exchange(course_dir: Path, exchange: Path, course_id: str = "cnn-course") -> None:
    """nbgrader's ``collect --update`` of every chapter from the exchange's inbound."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course_dir)
    config.CourseDirectory.course_id = course_id
    config.CourseDirectory.db_url = grade.db_url(course_dir)
    config.Exchange.root = str(exchange)
    config.ExchangeCollect.check_owner = False
    api = NbGraderAPI(config=config)
    for chapter in sorted(p.name for p in (Path(course_dir) / "source").iterdir() if p.is_dir()):
        if any((Path(exchange) / course_id / "inbound").glob(f"*+{chapter}+*")):
            api.collect(chapter, update=True)


def _attempts(course_dir: Path) -> dict:
    """``{(student, chapter): hash of the submitted files}`` as they are now."""
    return {
        pair: gradebook_io.files_sha256(Path(course_dir) / "submitted" / pair[0] / pair[1])
        for pair in grade.submissions(course_dir)
    }


def watch(
    course_dir: Path,
    inbound: Path | None = None,
    exchange: Path | None = None,
    interval: float = 5.0,
    rounds: int | None = None,
    course_id: str = "cnn-course",
    log=print,
    **grading,
) -> list:
    """Take in, grade and give feedback every ``interval`` seconds, ``rounds`` times
    (default: until stopped). ``grading`` goes to ``grade.autograde``. Returns the
    outcomes of every submission graded."""
    course_dir = Path(course_dir).resolve()
    tried: dict = {}  # what each submission was when last graded (or tried) here
    graded = []
    done = 0
    while rounds is None or done < rounds:
        if exchange is not None:
            take_in_exchange(course_dir, exchange, course_id)
        if inbound is not None:
            take_in_folder(course_dir, inbound)
        now = _attempts(course_dir)
        changed = [pair for pair, sha in now.items() if tried.get(pair) != sha]
        if changed:
            outcomes = grade.autograde(
                course_dir,
                chapters=sorted({c for _, c in changed}),
                students=sorted({s for s, _ in changed}),
                course_id=course_id,
                log=log,
                **grading,
            )
            when = time.monotonic()
            for o in outcomes:
                if (o.student, o.assignment) not in now:
                    continue
                tried[(o.student, o.assignment)] = now[(o.student, o.assignment)]
                if o.status != "graded":
                    continue
                graded.append(o)
                made = grade.feedback(course_dir, [o.assignment], [o.student], log=lambda *a: None)
                took = time.monotonic() - when
                if made and all(f.ok for f in made):
                    log(f"feedback {o.student}/{o.assignment}: ready {took:.1f} s after grading")
                else:
                    why = made[0].message.strip()[-500:] if made else "no graded notebook"
                    log(f"feedback {o.student}/{o.assignment}: FAILED ({why})")
        done += 1
        if rounds is None or done < rounds:
            time.sleep(interval)
    return graded
