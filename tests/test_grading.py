"""Grading end to end, through nbgrader's own commands, on a synthetic class.

A private copy of the course (config, grading helpers, solutions) is made in a temporary folder;
the release is generated there and submissions are built from it: the solution, the blank
release, a partial one, a runaway loop, an edited and a deleted test cell, one that delegates to
lib, one whose warnings reach stderr, and a file that is not a notebook. Then autograde (with
progress), feedback and grades.csv are run as an instructor runs them, and the scores are read
from the gradebook.
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grading.synthetic import copy_course, filled, model_answers, tool_env

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
CELL_TIMEOUT = 5  # seconds: the graded copy's per-cell limit, so the runaway test stays short


def run(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = tool_env()
    env.pop("COURSE_GRADING_SEED", None)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def nbgrader(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    result = run([str(BIN / "nbgrader"), *args], cwd)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def points(nb, prefix: str | None = None) -> float:
    """Autograded points of the test cells (of one task: grade ids starting with prefix-)."""
    return sum(c.metadata["nbgrader"]["points"] for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
               and not c.metadata["nbgrader"].get("solution")
               and (prefix is None or grade_id(c).startswith(prefix + "-")))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = copy_course(tmp_path_factory.mktemp("course"))
    with (course / "nbgrader_config.py").open("a") as f:
        f.write(f"\nc.SandboxedExecute.cell_seconds = {CELL_TIMEOUT}\n")
    for assignment in ASSIGNMENTS:
        nbgrader(course, "generate_assignment", assignment, "--force")
    return course


class Submissions:
    """Builds submitted/<student>/<assignment>/<assignment>.ipynb from the release."""

    def __init__(self, course: Path, assignment: str):
        self.course, self.assignment = course, assignment
        self.source = nbformat.read(course / "solutions" / assignment / f"{assignment}.ipynb", 4)
        self.release = nbformat.read(course / "exercises" / assignment / f"{assignment}.ipynb", 4)
        self.answers = model_answers(self.source)

    def notebook(self, answers: dict[str, str] | None = None, fill: bool = True):
        """The release with answer cells filled (all, when fill) and then ``answers`` applied."""
        return filled(self.release, {**(self.answers if fill else {}), **(answers or {})})

    def hand_in(self, student: str, nb=None, raw: str | None = None) -> None:
        folder = self.course / "submitted" / student / self.assignment
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.assignment}.ipynb"
        if raw is not None:
            path.write_text(raw)
        else:
            nbformat.write(nb, path)


def scores(course: Path, assignment: str) -> dict[str, float]:
    sys.path.insert(0, str(course))
    try:
        from grading.course import api
        with api(course).gradebook as gb:
            return {s.student.id: s.score for s in gb.find_assignment(assignment).submissions}
    finally:
        sys.path.remove(str(course))


@pytest.fixture(scope="module")
def graded_class(course):
    """The activations assignment handed in by a synthetic class, autograded with progress."""
    subs = Submissions(course, "activations")
    subs.hand_in("full", subs.notebook())
    subs.hand_in("blank", subs.notebook(fill=False))
    subs.hand_in("partial", subs.notebook({k: subs.answers[k] for k in ("relu-answer", "leaky-answer")}, fill=False))
    subs.hand_in("runaway", subs.notebook({"collapse-answer": "while True:\n    pass"}))
    edited = subs.notebook({"leaky-answer": "def leaky_relu(z, alpha=0.01):\n    return z",
                            "leaky-test": "pass  # edited by the student"})
    subs.hand_in("edited", edited)
    deleted = subs.notebook({"relu-answer": "def relu(z):\n    return z"})
    deleted.cells = [c for c in deleted.cells if grade_id(c) != "relu-test"]
    subs.hand_in("deleted", deleted)
    subs.hand_in("delegating", subs.notebook(
        {"relu-answer": "import lib.activations\n\ndef relu(z):\n    return lib.activations.relu(z)"}))
    subs.hand_in("noisy", subs.notebook({"sigmoid-answer": "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))"}))
    shifted = subs.answers["softmax-answer"].replace("np.max(z, axis=axis, keepdims=True)", "np.max(z)")
    assert shifted != subs.answers["softmax-answer"]
    for twin in ("shifted-1", "shifted-2"):  # the same bug handed in by two students
        subs.hand_in(twin, subs.notebook({"softmax-answer": shifted}))
    subs.hand_in("broken", raw='{"cells": [ this is not json')
    subs.hand_in("empty", raw="")
    progress = run([sys.executable, "-m", "grading.autograde", "activations"], course)
    nbgrader(course, "generate_feedback", "activations", "--force")
    nbgrader(course, "export", "--to", "grades.csv")
    return subs, progress, scores(course, "activations")


def test_solution_scores_every_autograded_point(graded_class):
    subs, _, got = graded_class
    assert got["full"] == points(subs.source)


def test_blank_release_scores_zero(graded_class):
    assert graded_class[2]["blank"] == 0


def test_partial_submission_scores_exactly_its_tasks(graded_class):
    subs, _, got = graded_class
    assert got["partial"] == points(subs.source, "relu") + points(subs.source, "leaky")


def test_runaway_loop_loses_only_its_task(graded_class):
    subs, _, got = graded_class
    assert got["runaway"] == points(subs.source) - points(subs.source, "collapse")


def test_edited_test_cell_is_restored_and_graded_honestly(graded_class):
    subs, progress, got = graded_class
    assert got["edited"] == points(subs.source) - points(subs.source, "leaky")
    assert re.search(r"edited: .* test cell leaky-test was edited: restored from the release", progress.stdout)


def test_deleted_test_cell_is_restored_and_graded(graded_class):
    subs, progress, got = graded_class
    assert got["deleted"] == points(subs.source) - points(subs.source, "relu")
    assert re.search(r"deleted: .* test cell relu-test was deleted: restored from the release", progress.stdout)


def test_a_runaway_cell_is_named_in_the_progress_line(graded_class):
    progress = graded_class[1]
    assert re.search(r"runaway: .* time limit \(\d+ s\) in cell \d+ \(collapse-answer\)", progress.stdout)


def test_delegating_to_lib_scores_zero_on_that_task_and_says_why(graded_class, course):
    subs, _, got = graded_class
    assert got["delegating"] == points(subs.source) - points(subs.source, "relu")
    html = (course / "feedback" / "delegating" / "activations" / "activations.html").read_text()
    assert "not available while your notebook is graded" in html


def test_the_same_code_gets_the_same_grade_for_every_student(graded_class):
    subs, _, got = graded_class
    assert got["shifted-1"] == got["shifted-2"] < points(subs.source)  # the hidden tests catch the bug
    assert got["shifted-1"] >= points(subs.source) - points(subs.source, "softmax")  # and only this bug


def test_warnings_on_stderr_do_not_cost_points(graded_class):
    subs, _, got = graded_class
    assert got["noisy"] == points(subs.source)


def test_files_that_are_not_notebooks_are_reported_and_the_rest_graded(graded_class):
    _, progress, got = graded_class
    out = progress.stdout
    assert progress.returncode == 1, "a class with ungradeable submissions must not exit 0"
    assert re.search(r"broken: UNGRADEABLE — activations\.ipynb is not a valid notebook", out), out
    assert re.search(r"empty: UNGRADEABLE — activations\.ipynb is not a valid notebook", out), out
    assert "10 of 12 submissions of 'activations' graded" in out
    assert re.search(r"\[ ?\d+/12\] full: \d+ / \d+ points in [\d.]+ s", out), out
    assert "broken" not in got and "full" in got


def test_autograde_output_is_free_of_kernel_transport_warnings(graded_class):
    progress = graded_class[1]
    assert "without encryption" not in progress.stdout + progress.stderr


def test_feedback_holds_no_hidden_test_source(graded_class, course):
    subs, _, _ = graded_class
    hidden = [line.strip() for c in subs.source.cells if "BEGIN HIDDEN TESTS" in c.source
              for line in c.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].splitlines()
              if len(line.strip()) > 12]
    assert hidden, "the assignment should have hidden tests"
    visible = "\n".join(c.source for c in subs.release.cells)
    hidden = [line for line in hidden if line not in visible]  # e.g. an import both parts share
    for page in (course / "feedback").glob("*/activations/activations.html"):
        text = re.sub(r"<[^>]+>", "", page.read_text())
        text = text.replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert "BEGIN HIDDEN TESTS" not in text
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{page.parent.parent.name}'s feedback shows hidden test lines: {leaked[:3]}"


def test_grades_csv_lists_every_student(graded_class, course):
    with (course / "grades.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] == "activations"]
    assert {r["student_id"] for r in rows} == {"full", "blank", "partial", "runaway", "edited", "deleted",
                                               "delegating", "noisy", "broken", "empty", "shifted-1", "shifted-2"}


def test_summary_reports_each_question(graded_class, course):
    result = run([sys.executable, "-m", "grading.summary", "activations", "--out", "summary"], course)
    assert result.returncode == 0, result.stderr
    subs = graded_class[0]
    graded_cells = [grade_id(c) for c in subs.source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    with (course / "summary" / "activations-questions.csv").open() as f:
        rows = {r["question"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(graded_cells)
    assert int(rows["relu-test"]["zeros"]) >= 3  # blank, deleted and delegating at least
    assert (course / "summary" / "activations-questions.png").stat().st_size > 5_000


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignments_solution_gets_full_marks_with_a_students_hidden_inputs(course, assignment):
    subs = Submissions(course, assignment)
    subs.hand_in("model-student", subs.notebook())
    result = run([sys.executable, "-m", "grading.autograde", assignment, "--student", "model-student"], course)
    assert result.returncode == 0, result.stdout + result.stderr
    assert scores(course, assignment)["model-student"] == points(subs.source)


def test_without_the_sandbox_the_tests_still_run_outside_and_grade_the_same(course):
    subs = Submissions(course, "activations")
    subs.hand_in("unsandboxed", subs.notebook({"relu-answer": "def relu(z):\n    return z\n\ndef relu_grad(z):\n"
                                                               "    return (z > 0).astype(float)"}))
    result = run([sys.executable, "-m", "grading.autograde", "activations", "--student", "unsandboxed",
                  "--no-sandbox"], course)
    assert result.returncode == 0, result.stdout + result.stderr
    assert scores(course, "activations")["unsandboxed"] == points(subs.source) - points(subs.source, "relu")


@pytest.fixture
def empty_course(tmp_path) -> Path:
    return copy_course(tmp_path, ("solutions", "exercises"))


def test_a_folder_of_handins_is_collected(empty_course, tmp_path_factory):
    handins = tmp_path_factory.mktemp("handins")
    release = ROOT / "exercises" / "activations" / "activations.ipynb"
    for student in ("ann", "ben"):
        (handins / student).mkdir()
        shutil.copy(release, handins / student / "activations.ipynb")
    (handins / "ben" / "scratch.ipynb").write_text("{}")
    (handins / "cy").mkdir()
    result = run([sys.executable, "-m", "grading.collect", "activations", str(handins)], empty_course)
    assert result.returncode == 1, "a file was left out: the exit status says so"
    assert "left out  ben/scratch.ipynb — scratch.ipynb is not a notebook of 'activations'" in result.stdout
    for student in ("ann", "ben"):
        assert (empty_course / "submitted" / student / "activations" / "activations.ipynb").is_file()
    assert not (empty_course / "submitted" / "cy").exists()


@pytest.mark.parametrize("assignment, message", [
    ("activations", "'activations' is not in the gradebook yet: run `make release`"),
    ("activatoins", "unknown assignment 'activatoins': the assignments are activations, backprop"),
])
def test_an_unreleased_or_mistyped_assignment_is_refused_in_one_line(empty_course, assignment, message):
    result = run([sys.executable, "-m", "grading.autograde", assignment], empty_course)
    assert result.returncode != 0 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_submission_nbgrader_cannot_process_is_reported_with_the_error_not_the_traceback():
    from grading.course import nbgrader_cause

    log = ("Traceback (most recent call last):\n  File \"x.py\", line 3, in f\n    raise NbGraderException(msg)\n"
           "nbgrader.utils.NbGraderException: Inconsistent checksums for cell sigmoid-test\n")
    cause = nbgrader_cause({"log": log}, "no exception line")
    assert cause.endswith("Inconsistent checksums for cell sigmoid-test")
