"""The tests grade what the tasks ask for, proven against code written independently of the model answers.

For every task of every assignment, ``tests/implementations/<assignment>.py`` holds (as source
text) at least one CORRECT implementation written from the task's text alone, in another style or
by another algorithm than the model answer (``ALTERNATIVE``), and at least one TYPICAL WRONG one, a
bug students make (``WRONG``). They are handed in and graded end to end, by the real command
``python -m grading.autograde A --jobs 2`` (sandbox, hidden tests, gradebook), in a private course
copy built as tests/test_grading.py builds it:

- one student holds every alternative implementation of an assignment: every autograded point;
- one student per wrong implementation, every other answer the model answer: that student loses
  points (the visible and/or hidden tests of the task catch the bug), and only within that task
  (and the tasks whose model answers call the wrong function, ``USED_BY``).

An alternative that fails means a test outside the task's spec (or too tight for a legitimately
different formula); a wrong one that keeps full marks means a hidden test too weak. See
HIDDEN_TESTS.md (the repository's root) for what each test cell covers.
"""
from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ is not a package
from test_grading import ASSIGNMENTS, ROOT, Submissions, grade_id, nbgrader, points, run, scores  # noqa: E402

from grading.synthetic import copy_course  # noqa: E402

JOBS = 2
TABLES = {a: importlib.import_module(f"implementations.{a}") for a in ASSIGNMENTS}
ALTERNATIVE_STUDENT = "alternative"


def wrong_student(name: str) -> str:
    return "wrong-" + name.replace("_", "-")


def answer_cells(source) -> list[str]:
    return [grade_id(c) for c in source.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def task_points(source, answer: str) -> float:
    """Autograded points of the test cells that follow the answer cell ``answer``, up to the next
    answer cell with code: the visible and hidden tests of its task."""
    total, inside = 0.0, False
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            inside = grade_id(cell) == answer
        elif inside and meta.get("grade"):
            total += meta["points"]
    return total


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = copy_course(tmp_path_factory.mktemp("course"))
    for assignment in ASSIGNMENTS:
        nbgrader(course, "generate_assignment", assignment, "--force")
    return course


@pytest.fixture(scope="module")
def graded(course):
    """assignment -> (source notebook, progress, scores): the class of one assignment handed in and
    autograded once (on first use), with ``--jobs 2``."""
    done: dict[str, tuple] = {}

    def grade(assignment: str):
        if assignment not in done:
            table, subs = TABLES[assignment], Submissions(course, assignment)
            subs.hand_in(ALTERNATIVE_STUDENT, subs.notebook(table.ALTERNATIVE))
            for name, gid, source in table.WRONG:
                subs.hand_in(wrong_student(name), subs.notebook({gid: source}))
            progress = run([sys.executable, "-m", "grading.autograde", assignment, "--jobs", str(JOBS)], course)
            done[assignment] = subs.source, progress, scores(course, assignment)
        return done[assignment]

    return grade


# -- the tables themselves (no grading) ----------------------------------------------------------

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_task_has_an_alternative_and_a_wrong_implementation(assignment):
    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
    code_answers = answer_cells(source)
    table = TABLES[assignment]
    assert set(table.ALTERNATIVE) == set(code_answers), "ALTERNATIVE must cover exactly the answer cells"
    assert {gid for _, gid, _ in table.WRONG} == set(code_answers), "every task needs a WRONG implementation"
    assert all(task_points(source, gid) > 0 for gid in code_answers)
    assert set(table.USED_BY) <= set(code_answers)


def test_wrong_implementations_have_unique_names():
    names = [name for a in ASSIGNMENTS for name, _, _ in TABLES[a].WRONG]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9_]+", n) for n in names)


# -- graded end to end ----------------------------------------------------------------------------

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_alternative_implementation_gets_full_marks(graded, assignment):
    source, progress, got = graded(assignment)
    assert progress.returncode == 0, progress.stdout + progress.stderr
    assert got[ALTERNATIVE_STUDENT] == points(source), \
        "\n".join(ln for ln in progress.stdout.splitlines() if ALTERNATIVE_STUDENT in ln)


def _wrong_test(assignment: str, name: str, gid: str):
    def test(graded):
        source, progress, got = graded(assignment)
        student = wrong_student(name)
        line = "\n".join(ln for ln in progress.stdout.splitlines() if student in ln)
        full = points(source)
        allowed = task_points(source, gid) + sum(task_points(source, d) for d in TABLES[assignment].USED_BY.get(gid, ()))
        assert student in got, progress.stdout + progress.stderr
        assert got[student] < full, f"{name} kept every point: the tests of {gid} do not catch it\n{line}"
        assert got[student] >= full - allowed, f"{name} lost points outside its task ({gid})\n{line}"

    test.__name__ = f"test_wrong_{name}_loses_the_task_points"
    test.__qualname__ = test.__name__
    test.__doc__ = f"{assignment}: {name} ({gid}) loses points of its task only."
    return test


for _assignment in ASSIGNMENTS:
    for _name, _gid, _ in TABLES[_assignment].WRONG:
        _test = _wrong_test(_assignment, _name, _gid)
        globals()[_test.__name__] = _test
del _assignment, _name, _gid, _test
