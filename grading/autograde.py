"""Autograde every submission of an assignment, in parallel sandboxes, with progress.

    python -m grading.autograde ASSIGNMENT [--student ID ...] [--jobs N] [--no-sandbox]

Each notebook ``submitted/<student>/<ASSIGNMENT>/*.ipynb`` runs in a sandbox of its own (the
student's cells in a bubblewrap'd kernel, the test cells outside, ``grading.judge``), up to N at
a time (default: the number of cores), in worker processes. As each finishes, nbgrader's own
autograde (``NbGraderAPI.autograde``, with ``SandboxedExecute`` in its pipeline) records it from
this one process, so only one process writes the gradebook. A line per student says "graded"
with the points, or the cause in one line (a limit that struck, an invalid notebook, ...).
Where the sandbox cannot start, grading refuses with the reason and the switch that runs the
code unsandboxed.
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import sys
import time
import warnings
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import MissingEntry
from nbformat.warnings import MissingIDFieldWarning
from sqlalchemy.exc import SAWarning

from grading.course import (api as course_api, assignment_notebooks, first_line, load_config,
                            nbgrader_cause, students_with)
from grading.judge import execute
from grading.judge.notes import submission_notes
from grading.sandbox import bwrap

# nbgrader's gradebook triggers SQLAlchemy "not in session" warnings while it records a new
# submission; they are harmless (the submission is stored) and would bury the progress lines.
warnings.filterwarnings("ignore", category=SAWarning, module=r"nbgrader\.")
# A test cell nbgrader puts back into a submission has no cell id yet; nothing to act on.
warnings.filterwarnings("ignore", category=MissingIDFieldWarning)


@dataclass
class Outcome:
    student: str
    status: str  # "graded", "ungradeable", "failed"
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    reasons: list[str] = field(default_factory=list)
    pending: bool = False  # written answers await manual grading


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
            reasons.append(f"{path.name} is not a valid notebook ({first_line(exc)}); "
                           f"ask the student to download it again from JupyterLab and resubmit")
    if not any((folder / f"{name}.ipynb").exists() for name in expected):
        reasons.append(f"no notebook of the assignment found (expected {', '.join(expected)}.ipynb)")
    return reasons


def autograde(assignment: str, students: list[str] | None = None, course_dir: Path | None = None,
              out=sys.stdout, jobs: int | None = None, sandbox: bool | None = None) -> list[Outcome]:
    api = course_api(course_dir)
    root = Path(api.coursedir.root)
    if sandbox is not None:
        api.config.SandboxedExecute.sandbox = sandbox
    sandbox = execute.SandboxedExecute(config=api.config).sandbox
    if sandbox:
        why = bwrap.probe()
        if why:
            raise SystemExit(f"cannot grade in a sandbox: {why}. To run the students' code unsandboxed "
                             f"(with your rights), pass {bwrap.SWITCH}")
    expected = [p.stem for p in assignment_notebooks(assignment, api.config)]
    with api.gradebook as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(f"{assignment!r} is not in the gradebook yet: run `make release` "
                             f"(nbgrader generate_assignment) first") from None
    submitted = root / api.coursedir.submitted_directory
    found = students_with(submitted, assignment)
    students = students or found
    if not students:
        print(f"no submissions of {assignment!r} under {submitted}/<student>/{assignment}/", file=out)
        return []
    outcomes: dict[str, Outcome] = {}
    width = len(str(len(students)))
    done = [0]

    def report(outcome: Outcome) -> None:
        done[0] += 1
        prefix = f"[{done[0]:>{width}}/{len(students)}] {outcome.student}"
        if outcome.status == "graded":
            pending = " (written answers await manual grading)" if outcome.pending else ""
            why = (" — " + "; ".join(outcome.reasons)) if outcome.reasons else ""
            print(f"{prefix}: {outcome.score:g} / {outcome.max_score:g} points in {outcome.seconds:.1f} s"
                  f"{pending}{why}", file=out, flush=True)
        else:
            print(f"{prefix}: {outcome.status.upper()} — " + "; ".join(outcome.reasons), file=out, flush=True)
        outcomes[outcome.student] = outcome

    gradable = []
    for student in students:
        reasons = unreadable_notebooks(submitted / student / assignment, expected)
        if reasons:
            with api.gradebook as gb:
                gb.update_or_create_student(student)
            report(Outcome(student, "ungradeable", reasons=reasons))
        else:
            gradable.append(student)
    release = root / api.coursedir.release_directory / assignment
    notes = {s: [n for name in expected for n in submission_notes(
        submitted / s / assignment / f"{name}.ipynb", release / f"{name}.ipynb")] for s in gradable}

    jobs = max(1, jobs or os.cpu_count() or 1)
    began = time.perf_counter()
    if jobs == 1 or len(gradable) < 2:
        for student in gradable:
            report(record(api, assignment, student, time.perf_counter(), notes[student]))
    else:
        slots = multiprocessing.get_context("spawn").Queue()
        for slot in range(jobs):
            slots.put(slot)
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init_worker, initargs=(slots, str(root))) as pool:
            futures: dict[Future, str] = {
                pool.submit(precompute, str(root), assignment, student, expected, sandbox): student
                for student in gradable}
            for future in as_completed(futures):
                student = futures[future]
                start = time.perf_counter()
                try:
                    results, seconds = future.result()
                    execute.PRECOMPUTED.update(results)
                    start -= seconds
                except Exception:  # the worker failed (the sandbox cannot reach it): graded inline below
                    pass
                report(record(api, assignment, student, start, notes[student]))
    ordered = [outcomes[s] for s in students]
    graded = [o for o in ordered if o.status == "graded"]
    print(f"\n{len(graded)} of {len(ordered)} submissions of {assignment!r} graded"
          + (f" in {time.perf_counter() - began:.1f} s" if graded else ""),
          file=out)
    for o in ordered:
        if o.status != "graded":
            print(f"  {o.student}: {o.status} — " + "; ".join(o.reasons), file=out)
    write_report(root / "reports" / assignment / "autograde.csv", ordered)
    return ordered


def write_report(path: Path, outcomes: list[Outcome]) -> None:
    """Each student's outcome (the latest autograde of each), for ``grading.grades``."""
    rows = {}
    if path.is_file():
        with path.open(newline="") as f:
            rows = {r["student"]: r for r in csv.DictReader(f)}
    for o in outcomes:
        rows[o.student] = {"student": o.student, "status": o.status, "score": o.score,
                           "max_score": o.max_score, "reason": "; ".join(o.reasons)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["student", "status", "score", "max_score", "reason"])
        writer.writeheader()
        writer.writerows(rows[s] for s in sorted(rows))


def record(api, assignment: str, student: str, started: float, notes: list[str]) -> Outcome:
    """nbgrader's autograde for one student (it finds the precomputed runs), and its outcome."""
    for key in [k for k in execute.REPORTS if k[0] == student]:
        del execute.REPORTS[key]
    result = api.autograde(assignment, student, force=True, create=True)
    seconds = time.perf_counter() - started
    events = notes + [e for k, v in execute.REPORTS.items() if k[0] == student for e in v]
    if not result["success"]:
        cause = nbgrader_cause(result, "nbgrader could not autograde this submission "
                                       "(see `nbgrader autograde` for details)")
        return Outcome(student, "failed", seconds=seconds, reasons=[*notes, cause])
    with api.gradebook as gb:
        sub = gb.find_submission(assignment, student)
        return Outcome(student, "graded", sub.score, sub.max_score, seconds, reasons=events,
                       pending=sub.needs_manual_grade)


# -- worker processes ----------------------------------------------------------------------------
_SLOT = 0


def _init_worker(slots, root: str) -> None:
    global _SLOT
    _SLOT = slots.get()
    if root not in sys.path:
        sys.path.insert(0, root)
    warnings.filterwarnings("ignore", category=SAWarning)


def precompute(root: str, assignment: str, student: str, notebooks: list[str],
               sandbox: bool) -> tuple[dict, float]:
    """Run a student's notebooks as nbgrader's autograde will see them (nbgrader's own sanitizing
    steps first): plan key -> result, for ``SandboxedExecute`` to pick up, and the seconds taken."""
    start = time.perf_counter()
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from grading.judge.run import plan, plan_key, run_notebook

    config = load_config(root)
    sanitizers = config.Autograde.get("sanitize_preprocessors",
                                      Autograde.class_traits()["sanitize_preprocessors"].default())
    db_url = config.CourseDirectory.db_url
    limits = execute.SandboxedExecute(config=config).limits()
    folder = Path(root) / CourseDirectory(config=config).submitted_directory / student / assignment
    results = {}
    for name in notebooks:
        path = folder / f"{name}.ipynb"
        if not path.exists():
            continue
        nb = nbformat.read(path, as_version=4)
        resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": name,
                                  "db_url": db_url}}
        for cls in sanitizers:
            nb, resources = cls(config=config).preprocess(nb, resources)
        steps = plan(nb.cells, execute.test_sources(db_url, name, assignment))
        results[plan_key(steps)] = run_notebook(steps, limits, sandbox=sandbox, slot=_SLOT)
    return results, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run the students' code without the sandbox, with your rights "
                             "(only where the sandbox cannot start)")
    args = parser.parse_args(argv)
    outcomes = autograde(args.assignment, args.student, jobs=args.jobs,
                         sandbox=False if args.no_sandbox else None)
    return 0 if outcomes and all(o.status == "graded" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
