"""Autograde every submission of an assignment, one student at a time, with progress.

    python -m grading.autograde ASSIGNMENT [--student ID ...]

Runs nbgrader's own autograde (through ``NbGraderAPI.autograde``) for each folder
``submitted/<student>/<ASSIGNMENT>/``, printing a line per submission as it is graded. Before
grading, each notebook is read and validated: one that is not a notebook (invalid JSON, empty
file, wrong format) is reported as ungradeable with the reason, the student is still listed in
the gradebook (so grades.csv has them, at 0), and the others are graded. Why a script and not
``nbgrader autograde ASSIGNMENT``: nbgrader grades the class in one go with no progress, and stops
at nothing clearer than a traceback for a broken file.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import warnings

import nbformat
from sqlalchemy.exc import SAWarning

from grading.course import api as course_api

# nbgrader's gradebook triggers SQLAlchemy "not in session" warnings while it records a new
# submission; they are harmless (the submission is stored) and would bury the progress lines.
warnings.filterwarnings("ignore", category=SAWarning, module=r"nbgrader\.")


@dataclass
class Outcome:
    student: str
    status: str  # "graded", "ungradeable", "failed"
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    reasons: list[str] = field(default_factory=list)


def unreadable_notebooks(folder: Path, expected: list[str]) -> list[str]:
    """Why each notebook of a submission cannot be graded (empty when all can)."""
    reasons = []
    for name in expected:
        path = folder / f"{name}.ipynb"
        if not path.exists():
            continue  # nbgrader grades a missing notebook as 0 on its own
        try:
            nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
            nbformat.validate(nb)
        except Exception as exc:  # JSON errors, empty files, schema violations
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            reasons.append(f"{path.name} is not a valid notebook ({first_line}); "
                           f"ask the student to download it again from JupyterLab and resubmit")
    if not any((folder / f"{name}.ipynb").exists() for name in expected):
        reasons.append(f"no notebook of the assignment found (expected {', '.join(expected)}.ipynb)")
    return reasons


def autograde(assignment: str, students: list[str] | None = None, course_dir: Path | None = None,
              out=sys.stdout) -> list[Outcome]:
    api = course_api(course_dir)
    root = Path(api.coursedir.root)
    submitted = root / api.coursedir.submitted_directory
    found = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    students = students or found
    if not students:
        print(f"no submissions of {assignment!r} under {submitted}/<student>/{assignment}/", file=out)
        return []
    source = root / api.coursedir.source_directory / assignment
    expected = sorted(p.stem for p in source.glob("*.ipynb"))
    outcomes = []
    width = len(str(len(students)))
    for i, student in enumerate(students, 1):
        start = time.perf_counter()
        prefix = f"[{i:>{width}}/{len(students)}] {student}"
        reasons = unreadable_notebooks(submitted / student / assignment, expected)
        if reasons:
            with api.gradebook as gb:
                gb.update_or_create_student(student)
            outcome = Outcome(student, "ungradeable", reasons=reasons)
            print(f"{prefix}: UNGRADEABLE — " + "; ".join(reasons), file=out, flush=True)
        else:
            result = api.autograde(assignment, student, force=True, create=True)
            seconds = time.perf_counter() - start
            if result["success"]:
                with api.gradebook as gb:
                    sub = gb.find_submission(assignment, student)
                    outcome = Outcome(student, "graded", sub.score, sub.max_score, seconds)
                pending = " (written answers await manual grading)" if sub_needs_manual(api, assignment, student) else ""
                print(f"{prefix}: {outcome.score:g} / {outcome.max_score:g} points in {seconds:.1f} s{pending}",
                      file=out, flush=True)
            else:
                last = (result.get("error") or result.get("log") or "").strip().splitlines()[-1:] or ["unknown error"]
                outcome = Outcome(student, "failed", seconds=seconds, reasons=last)
                print(f"{prefix}: FAILED — {last[0]}", file=out, flush=True)
        outcomes.append(outcome)
    graded = [o for o in outcomes if o.status == "graded"]
    print(f"\n{len(graded)} of {len(outcomes)} submissions of {assignment!r} graded"
          + (f" in {sum(o.seconds for o in graded):.1f} s" if graded else ""), file=out)
    for o in outcomes:
        if o.status != "graded":
            print(f"  {o.student}: {o.status} — " + "; ".join(o.reasons), file=out)
    return outcomes


def sub_needs_manual(api, assignment: str, student: str) -> bool:
    with api.gradebook as gb:
        return gb.find_submission(assignment, student).needs_manual_grade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    args = parser.parse_args(argv)
    outcomes = autograde(args.assignment, args.student)
    return 0 if outcomes and all(o.status == "graded" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
