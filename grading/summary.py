"""Per-question summary of an assignment, read from nbgrader's gradebook.

    python -m grading.summary ASSIGNMENT [--out summary]

For every graded cell (autograded test cell or manually graded answer) over the submissions in
the gradebook: mean score, standard deviation, minimum, maximum and how many scored 0. Printed
as a table, written to ``<out>/<ASSIGNMENT>-questions.csv``, and drawn in
``<out>/<ASSIGNMENT>-questions.png`` (mean fraction of the points per question, with the spread).
A written answer nobody has graded yet is left out of its question's numbers and counted as
pending (never as a 0); the students of the roster without a grade are listed with the reason.
"""
from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grading.course import api as course_api, assignment_notebooks


@dataclass
class Question:
    notebook: str
    name: str
    max_score: float
    scores: np.ndarray
    pending: int

    @property
    def zeros(self) -> int:
        return int(np.sum(self.scores == 0))


def _cell_order(path: Path) -> dict[str, int]:
    """grade_id -> position in the source notebook, so the summary follows the notebook."""
    import nbformat

    if not path.exists():
        return {}
    cells = nbformat.read(path, 4).cells
    return {c.metadata["nbgrader"]["grade_id"]: i for i, c in enumerate(cells)
            if "grade_id" in c.metadata.get("nbgrader", {})}


def questions(assignment: str, course_dir: Path | None = None) -> list[Question]:
    from nbgrader.api import MissingEntry

    api = course_api(course_dir)
    assignment_notebooks(assignment, api.config)
    with api.gradebook as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(f"{assignment!r} is not in the gradebook: run `make release` and "
                             f"`make autograde ASSIGNMENT={assignment}` first") from None
        submissions = [s for s in record.submissions]
        result = []
        source_dir = Path(api.coursedir.root) / api.coursedir.source_directory / assignment
        for notebook in record.notebooks:
            order = _cell_order(source_dir / f"{notebook.name}.ipynb")
            for cell in sorted(notebook.grade_cells, key=lambda c: (order.get(c.name, len(order)), c.name)):
                scores, pending = [], 0
                for sub in submissions:
                    try:
                        grade = gb.find_grade(cell.name, notebook.name, assignment, sub.student.id)
                    except MissingEntry:  # a notebook missing from the submission: 0, as nbgrader
                        scores.append(0.0)
                        continue
                    if grade.auto_score is None and grade.manual_score is None:
                        pending += 1
                    else:
                        scores.append(float(grade.score))
                result.append(Question(notebook.name, cell.name, float(cell.max_score),
                                       np.asarray(scores, dtype=float), pending))
    return result


def table_rows(qs: list[Question]) -> list[dict]:
    rows = []
    for q in qs:
        n = len(q.scores)
        rows.append({
            "notebook": q.notebook, "question": q.name, "points": q.max_score, "submissions": n,
            "mean": round(float(q.scores.mean()), 3) if n else 0.0,
            "std": round(float(q.scores.std()), 3) if n else 0.0,
            "min": float(q.scores.min()) if n else 0.0, "max": float(q.scores.max()) if n else 0.0,
            "zeros": q.zeros, "pending": q.pending,
        })
    return rows


def plot(qs: list[Question], assignment: str, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [q.name for q in qs]
    frac_mean = [q.scores.mean() / q.max_score if len(q.scores) else 0 for q in qs]
    frac_std = [q.scores.std() / q.max_score if len(q.scores) else 0 for q in qs]
    fig, ax = plt.subplots(figsize=(8.0, 0.3 * len(qs) + 1.6))
    y = np.arange(len(qs))
    mean, std = np.asarray(frac_mean), np.asarray(frac_std)
    spread = [np.minimum(std, mean), np.minimum(std, 1 - mean)]  # the spread within [0, 1]
    ax.barh(y, mean, xerr=spread, color="tab:blue", alpha=0.8, capsize=3)
    for yi, q in zip(y, qs):
        note = f" ({q.pending} pending)" if q.pending else ""
        ax.text(1.02, yi, f"{q.zeros}/{len(q.scores)} at 0{note}", va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.35)
    ax.set_xlabel("mean score as a fraction of the question's points (bar: ± one std)")
    ax.set_title(f"{assignment}: score per question")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def summarize(assignment: str, out_dir: Path, course_dir: Path | None = None, out=sys.stdout) -> list[dict]:
    qs = questions(assignment, course_dir)
    rows = table_rows(qs)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"{assignment}-questions.csv"
    with csv_path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["question"])
        writer.writeheader()
        writer.writerows(rows)
    png_path = out_dir / f"{assignment}-questions.png"
    plot(qs, assignment, png_path)
    header = f"{'question':<32} {'points':>6} {'mean':>6} {'std':>6} {'min':>5} {'max':>5} {'zeros':>6}"
    print(header, file=out)
    for r in rows:
        note = f"  ({r['pending']} pending manual grading)" if r["pending"] else ""
        print(f"{r['question']:<32} {r['points']:>6g} {r['mean']:>6.2f} {r['std']:>6.2f} "
              f"{r['min']:>5g} {r['max']:>5g} {r['zeros']:>3}/{r['submissions']:<2}{note}", file=out)
    from grading.grades import grade_rows

    missing = [r for r in grade_rows(course_dir) if r.assignment == assignment
               and r.status not in ("graded", "pending manual grading")]
    if missing:
        print(f"\nnot graded ({len(missing)}):", file=out)
        for r in missing:
            print(f"  {r.student}: {r.status}", file=out)
    print(f"\nwritten: {csv_path} and {png_path}", file=out)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--out", default="summary", type=Path, help="folder for the CSV and the plot")
    args = parser.parse_args(argv)
    summarize(args.assignment, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
