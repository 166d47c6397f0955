"""Grades out of nbgrader's gradebook, for the instructor and for the LMS.

    python -m grading.grades [--out .]

Writes ``grades.csv``: a row per student of the gradebook (the roster: every student collected
or imported with ``nbgrader db student import``) and released assignment, with the autograded
points, the manually graded points, the points still awaiting manual grading, the late penalty,
the total and the maximum, and a status: ``graded``, ``pending manual grading`` (total left
empty: it is not a grade yet, never a 0), or why there is no grade (no submission, or the one-line
reason autograde gave). And ``grades_canvas.csv``, in Canvas' gradebook import format (Student,
ID, SIS User ID, SIS Login ID, Section, then a column per assignment), with the Canvas user ids
seen at collect; a grade that is pending or missing is left blank, which Canvas reads as
"not graded". An assignment's column is ``name (Canvas id)`` when ``c.Canvas.assignment_ids``
in ``nbgrader_config.py`` maps it to its Canvas id (so the import updates that assignment),
else its name (Canvas then creates a new column).
"""
from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from grading.course import api as course_api

FIELDS = ["student", "lms_user_id", "assignment", "status", "auto_points", "manual_points",
          "manual_pending", "late_penalty", "seconds_late", "total", "max_points"]
CANVAS_FIELDS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


@dataclass
class Row:
    student: str
    lms_user_id: str
    assignment: str
    status: str
    auto_points: float | str = ""
    manual_points: float | str = ""
    manual_pending: float | str = ""
    late_penalty: float | str = ""
    seconds_late: float | str = ""
    total: float | str = ""
    max_points: float | str = ""


def autograde_reasons(root: Path, assignment: str) -> dict[str, str]:
    """student -> why autograde gave no grade, from ``reports/<assignment>/autograde.csv``."""
    path = root / "reports" / assignment / "autograde.csv"
    if not path.is_file():
        return {}
    with path.open(newline="") as f:
        return {r["student"]: r["reason"] for r in csv.DictReader(f) if r["status"] != "graded"}


def points(submission) -> tuple[float, float, float, int]:
    """(autograded, manually graded, pending) points of a submission and how many cells a person
    graded: a cell a person has graded counts as manual (an override of a test's score included),
    one with only the test's score as auto, and a written answer nobody has graded yet as pending."""
    auto = manual = pending = 0.0
    by_hand = 0
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            if grade.manual_score is not None:
                manual += grade.manual_score
                by_hand += 1
            elif grade.auto_score is not None:
                auto += grade.auto_score
            else:
                pending += grade.max_score
    return auto, manual, pending, by_hand


def row(gb, student, assignment, root: Path, reasons: dict[str, str]) -> Row:
    from nbgrader.api import MissingEntry

    base = Row(student.id, student.lms_user_id or "", assignment.name, "")
    try:
        sub = gb.find_submission(assignment.name, student.id)
    except MissingEntry:
        handed_in = (root / "submitted" / student.id / assignment.name).is_dir()
        base.status = reasons.get(student.id) or (
            f"not autograded yet: run `make autograde ASSIGNMENT={assignment.name}`" if handed_in
            else "no submission")
        return base
    if student.id in reasons:  # collected and recorded, but autograde could not grade it
        base.status = reasons[student.id]
        return base
    auto, manual, pending, graded_by_hand = points(sub)
    penalty = sub.late_submission_penalty or 0.0
    base.auto_points, base.manual_pending = round(auto, 6), round(pending, 6)
    base.manual_points = round(manual, 6) if graded_by_hand or not pending else ""  # none yet: not 0
    base.late_penalty, base.seconds_late = round(penalty, 6), sub.total_seconds_late
    base.max_points = sub.max_score
    if pending:
        base.status = "pending manual grading"
    else:
        base.status, base.total = "graded", round(auto + manual - penalty, 6)
    return base


def grade_rows(course_dir: Path | None = None) -> list[Row]:
    api = course_api(course_dir)
    root = Path(api.coursedir.root)
    rows = []
    with api.gradebook as gb:
        assignments = sorted(gb.assignments, key=lambda a: (a.duedate is None, a.duedate, a.name))
        reasons = {a.name: autograde_reasons(root, a.name) for a in assignments}
        for student in sorted(gb.students, key=lambda s: s.id):
            rows.extend(row(gb, student, a, root, reasons[a.name]) for a in assignments)
    return rows


def write_csv(rows: list[Row], path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)


def canvas_name(student) -> str:
    """Canvas' "Last, First" when the gradebook has the names, else the student id."""
    if student.last_name and student.first_name:
        return f"{student.last_name}, {student.first_name}"
    return student.last_name or student.first_name or student.id


def write_canvas_csv(rows: list[Row], path: Path, course_dir: Path | None = None) -> list[str]:
    """Canvas' gradebook import; returns the students Canvas cannot match (no Canvas id)."""
    api = course_api(course_dir)
    ids = dict(api.config.get("Canvas", {}).get("assignment_ids", {}))
    assignments = list(dict.fromkeys(r.assignment for r in rows))
    column = {a: f"{a} ({ids[a]})" if a in ids else a for a in assignments}
    with api.gradebook as gb:
        names = {s.id: canvas_name(s) for s in gb.students}
    table: dict[str, dict[str, object]] = {}
    for r in rows:
        line = table.setdefault(r.student, {"Student": names.get(r.student, r.student), "ID": r.lms_user_id,
                                            "SIS User ID": "", "SIS Login ID": "", "Section": ""})
        line[column[r.assignment]] = r.total  # blank unless graded
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CANVAS_FIELDS + [column[a] for a in assignments])
        writer.writeheader()
        maxima = {column[r.assignment]: r.max_points for r in rows if r.max_points != ""}
        writer.writerow({"Student": "Points Possible", **maxima})
        writer.writerows(table.values())
    return sorted(s for s, line in table.items() if not line["ID"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the two CSV files")
    args = parser.parse_args(argv)
    rows = grade_rows()
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, args.out / "grades.csv")
    unmatched = write_canvas_csv(rows, args.out / "grades_canvas.csv")
    counts: dict[str, int] = {}
    for r in rows:
        key = r.status if r.status in ("graded", "pending manual grading", "no submission") else "not graded"
        counts[key] = counts.get(key, 0) + 1
    print(f"{len({r.student for r in rows})} students, {len({r.assignment for r in rows})} assignments: "
          + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    for r in rows:
        if r.status not in ("graded", "pending manual grading", "no submission"):
            print(f"  {r.student} / {r.assignment}: {r.status}")
    if unmatched:
        print(f"no Canvas id for {', '.join(unmatched)}: Canvas' import skips them (collect from a "
              f"Canvas download, or set lms_user_id with `nbgrader db student add ID --lms-user-id=...`)")
    print(f"written: {args.out / 'grades.csv'} and {args.out / 'grades_canvas.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
