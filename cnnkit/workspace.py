"""Your workspace: copies of the course notebooks that a course update never overwrites.

``./course.sh`` (and ``./course.sh update``) call ``sync(notebooks, work)``. For every
chapter notebook of the course:

* not in ``work/`` yet: it is copied in (a new chapter reaches you);
* unchanged in the course since your copy was made: nothing happens;
* changed in the course (a fixed typo, a better figure, a new exercise): your copy is
  rebuilt from the new version with everything you wrote taken over -- the answers in
  your solution cells, the cells you added (after the cell they followed), and any other
  cell you edited. The course's change reaches every cell you did not touch. Your old
  copy is kept first in ``work/.course/backup/<time>/``, so nothing you wrote is ever lost.

This is a three-way merge. ``work/.course/base/`` holds the course version each copy was
made from; a cell is yours where your copy differs from that base. Cells are matched by
their nbgrader grade id where they have one and by content otherwise (a cell's position
changes when the course inserts one before it).
"""

from __future__ import annotations

import argparse
import copy
import difflib
import shutil
import sys
import time
import uuid
from pathlib import Path

import nbformat

STATE = ".course"


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_solution(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def _key(cell) -> tuple:
    return (cell.get("cell_type"), cell.get("source"))


def _pair_base_to_new(base_cells: list, new_cells: list) -> dict[int, int]:
    """``{base index: new index}`` for cells that are the same cell in both versions."""
    pairs = {}
    new_by_grade = {_grade_id(c): j for j, c in enumerate(new_cells) if _grade_id(c)}
    for i, cell in enumerate(base_cells):
        if _grade_id(cell) in new_by_grade:
            pairs[i] = new_by_grade[_grade_id(cell)]
    # The remaining cells by content: equal runs pair up, and a replaced run of the same
    # length pairs position by position (an edited cell stays the same cell).
    matcher = difflib.SequenceMatcher(
        a=[_key(c) for c in base_cells], b=[_key(c) for c in new_cells], autojunk=False
    )
    taken = set(pairs.values())

    def pair(i, j):
        if i not in pairs and j not in taken and not _grade_id(base_cells[i]):
            pairs[i] = j
            taken.add(j)

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                pair(i, j)
        elif tag == "replace":
            # Edited cells: each pairs with the most similar new cell of its kind after
            # the last one paired, if they are alike enough to be the same cell.
            start = j1
            for i in range(i1, i2):
                best, best_j = 0.6, None
                for j in range(start, j2):
                    if new_cells[j].get("cell_type") != base_cells[i].get("cell_type"):
                        continue
                    ratio = difflib.SequenceMatcher(
                        a=base_cells[i].get("source") or "", b=new_cells[j].get("source") or ""
                    ).ratio()
                    if ratio > best:
                        best, best_j = ratio, j
                if best_j is not None:
                    pair(i, best_j)
                    start = best_j + 1
    return pairs


def merge(base, mine, new) -> tuple[nbformat.NotebookNode, list[str]]:
    """The new course version of a notebook with everything the student wrote kept.

    ``base`` is the course version ``mine`` was made from, or ``None`` when unknown; then
    the student's cells are paired with the new ones directly and every difference counts
    as the student's (nothing is lost; a course fix to a cell that differs is not taken).
    Returns the merged notebook and notes on cells where both sides changed.
    """
    notes = []
    mine_of_base: dict[int, object] = {}  # base index -> the student's version of it
    added: dict[int | None, list] = {}  # cells the student added, by the cell they follow
    if base is None:
        base_cells = list(mine.cells)
        mine_of_base = dict(enumerate(mine.cells))
        pairs = _pair_base_to_new(base_cells, new.cells)

        def edited(i) -> bool:
            return i not in pairs or mine.cells[i].get("source") != new.cells[pairs[i]].source

    else:
        base_cells = list(base.cells)
        pairs = _pair_base_to_new(base_cells, new.cells)
        base_ids = {c.get("id"): i for i, c in enumerate(base_cells)}
        anchor = None
        for cell in mine.cells:
            i = base_ids.get(cell.get("id"))
            if i is None or i in mine_of_base:
                added.setdefault(anchor, []).append(cell)
                continue
            mine_of_base[i] = cell
            anchor = i

        def edited(i) -> bool:
            return mine_of_base[i].get("source") != base_cells[i].get("source")

    new_to_base = {j: i for i, j in pairs.items()}
    out = copy.deepcopy(new)
    out.cells = []

    def place_after(i):
        out.cells.extend(copy.deepcopy(c) for c in added.pop(i, []))

    place_after(None)
    for j, new_cell in enumerate(new.cells):
        i = new_to_base.get(j)
        if i is None:
            out.cells.append(copy.deepcopy(new_cell))  # new in the course
            continue
        if i not in mine_of_base:
            # Deleted by the student: a graded cell comes back (grading needs it anyway),
            # any other stays deleted.
            if _grade_id(new_cell):
                out.cells.append(copy.deepcopy(new_cell))
            place_after(i)
            continue
        theirs = mine_of_base[i]
        if edited(i) or _is_solution(new_cell):
            cell = copy.deepcopy(new_cell)
            cell["source"] = theirs.get("source", "")
            if cell.get("cell_type") == "code":
                cell["outputs"] = copy.deepcopy(theirs.get("outputs", []))
                cell["execution_count"] = theirs.get("execution_count")
            changed_upstream = new_cell.get("source") != base_cells[i].get("source")
            if base is not None and edited(i) and not _is_solution(new_cell) and changed_upstream:
                notes.append(
                    f"cell {new_cell.get('id')}: you edited it and the course changed it; "
                    "yours is kept (the course's version is in notebooks/)"
                )
        elif new_cell.get("source") == theirs.get("source"):
            cell = copy.deepcopy(theirs)  # unchanged: keep its outputs
            cell["metadata"] = copy.deepcopy(new_cell.get("metadata", {}))
        else:
            cell = copy.deepcopy(new_cell)
        out.cells.append(cell)
        place_after(i)
    # Cells the course removed are kept where the student wrote in them.
    for i in sorted(set(mine_of_base) - set(pairs)):
        if edited(i) or _is_solution(base_cells[i]):
            out.cells.append(copy.deepcopy(mine_of_base[i]))
            notes.append(f"cell {base_cells[i].get('id')}: removed from the course; yours is kept")
        place_after(i)
    for rest in list(added):
        place_after(rest)
    seen = set()
    for cell in out.cells:  # a kept cell may carry an id the course now uses elsewhere
        while cell.get("id") in seen:
            cell["id"] = uuid.uuid4().hex[:8]
        seen.add(cell.get("id"))
    return out, notes


def _same(a: Path, b: Path) -> bool:
    return a.exists() and b.exists() and a.read_bytes() == b.read_bytes()


def sync(notebooks: Path, work: Path, log=print) -> dict[str, str]:
    """Bring ``work/`` up to date with ``notebooks/``; returns ``{notebook: what happened}``."""
    notebooks, work = Path(notebooks), Path(work)
    base_dir = work / STATE / "base"
    base_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    done = {}
    for src in sorted(notebooks.glob("*.ipynb")):
        mine_path, base_path = work / src.name, base_dir / src.name
        if not mine_path.exists():
            shutil.copy2(src, mine_path)
            shutil.copy2(src, base_path)
            done[src.name] = "added"
        elif _same(src, base_path):
            done[src.name] = "unchanged"
        elif _same(src, mine_path):
            shutil.copy2(src, base_path)
            done[src.name] = "unchanged"
        else:
            new = nbformat.read(src, as_version=4)
            mine = nbformat.read(mine_path, as_version=4)
            base = nbformat.read(base_path, as_version=4) if base_path.exists() else None
            merged, notes = merge(base, mine, new)
            backup = work / STATE / "backup" / stamp
            backup.mkdir(parents=True, exist_ok=True)
            shutil.copy2(mine_path, backup / src.name)
            tmp = mine_path.with_suffix(".ipynb.tmp")
            nbformat.write(merged, tmp)
            tmp.replace(mine_path)  # never a half-written notebook
            shutil.copy2(src, base_path)
            done[src.name] = "updated, your work kept (old copy in " + str(backup) + ")"
            for note in notes:
                log(f"  {src.name}: {note}")
        log(f"{src.name}: {done[src.name]}")
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="bring work/ up to date with notebooks/")
    parser.add_argument("notebooks", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only what changed")
    args = parser.parse_args(argv)

    def log(line):
        if not args.quiet or not line.endswith(": unchanged"):
            print(line)

    sync(args.notebooks, args.work, log=log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
