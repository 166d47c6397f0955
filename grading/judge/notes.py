"""What a submission changed in the release's structure, in one line each, for the instructor.

nbgrader quietly repairs these (``DeduplicateIds``, ``OverwriteCells``); the instructor should
still see them beside the grade, because each one changes what is graded: a duplicated cell (the
last copy keeps the grade id; every copy's code runs, in order), a locked cell edited or deleted
(restored from the release before grading).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import nbformat


def _grade_id(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def submission_notes(submitted: Path, release: Path) -> list[str]:
    """One line per repair nbgrader will make to ``submitted`` (compared with ``release``)."""
    if not submitted.exists() or not release.exists():
        return []
    nb = nbformat.read(submitted, as_version=4)
    released = nbformat.read(release, as_version=4)
    notes = []
    counts = Counter(_grade_id(c) for c in nb.cells if _grade_id(c))
    for gid, n in counts.items():
        if n > 1:
            notes.append(f"cell {gid} appears {n} times: every copy ran in order and the last one is "
                         f"graded (a test sees the function as last defined before it)")
    present = {_grade_id(c): c for c in reversed(nb.cells) if _grade_id(c)}
    for cell in released.cells:
        info = cell.get("metadata", {}).get("nbgrader", {})
        gid = info.get("grade_id")
        if not gid or not info.get("locked"):
            continue
        kind = "test cell" if info.get("grade") else "locked cell"
        mine = present.get(gid)
        if mine is None:
            notes.append(f"{kind} {gid} was deleted: restored from the release and graded")
        elif mine.source != cell.source or mine.cell_type != cell.cell_type:
            notes.append(f"{kind} {gid} was edited: restored from the release")
        elif mine.get("metadata", {}).get("nbgrader") != info:
            notes.append(f"{kind} {gid} had its grading metadata changed: restored from the release")
    return notes
