"""exercises/ is nbgrader's release of solutions/: equal to a fresh generation, no solution code,
no hidden test; and each notebook's points table says what its metadata grades."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grading.synthetic import copy_course, tool_env

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def comparable(nb) -> list[tuple]:
    """What a student sees and nbgrader checks: cell type, source and nbgrader metadata."""
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory) -> Path:
    """solutions/ released again, in a private copy of the course (the real gradebook untouched)."""
    course = copy_course(tmp_path_factory.mktemp("release"))
    env = tool_env()
    for assignment in ASSIGNMENTS:
        run = subprocess.run([str(BIN / "nbgrader"), "generate_assignment", assignment, "--force"],
                             cwd=course, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
    return course / "exercises"


def release_notebooks(assignment: str) -> list[Path]:
    return sorted((ROOT / "exercises" / assignment).glob("*.ipynb"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_equals_a_fresh_generation(assignment, fresh_release):
    committed = {p.name for p in release_notebooks(assignment)}
    fresh = {p.name for p in (fresh_release / assignment).glob("*.ipynb")}
    assert committed == fresh, "exercises/ is out of date: run `make release` and commit it"
    for name in fresh:
        a = nbformat.read(ROOT / "exercises" / assignment / name, 4)
        b = nbformat.read(fresh_release / assignment / name, 4)
        assert comparable(a) == comparable(b), (
            f"exercises/{assignment}/{name} differs from a fresh `nbgrader generate_assignment`: "
            f"run `make release` and commit exercises/")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(assignment):
    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
    region = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
    outside = "\n".join(region.sub("", c.source) for c in source.cells)  # skeleton code students see
    solution_lines = {line.strip() for c in source.cells for block in region.findall(c.source)
                      for line in block.splitlines() if len(line.strip()) > 20 and line.strip() not in outside}
    for path in release_notebooks(assignment):
        nb = nbformat.read(path, 4)
        text = "\n".join(c.source for c in nb.cells)
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{path.name} still holds '{marker}'"
        leaked = [line for line in solution_lines if line in text]
        assert not leaked, f"{path.name} shows solution lines: {leaked[:3]}"
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "outputs left in the release"


POINTS_ROW = re.compile(r"^\|\s*(?P<title>[^|]+?)\s*\|\s*(?P<points>\d+(?:\.\d+)?)\s*\|\s*$", re.M)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_table_matches_the_graded_cells(assignment):
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
    rows = {m["title"]: float(m["points"]) for m in POINTS_ROW.finditer(nb.cells[0].source)}
    total = rows.pop("**Total**", None)
    graded = sum(c.metadata["nbgrader"]["points"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    assert total == graded, f"the first cell announces {total} points, the graded cells hold {graded}"
    assert sum(rows.values()) == graded, "the rows of the points table do not add up to the graded cells"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_assignment_has_six_autograded_tasks_and_two_written_answers(assignment):
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
    meta = [c.metadata.get("nbgrader", {}) | {"type": c.cell_type} for c in nb.cells]
    answers = [m for m in meta if m.get("solution") and not m.get("grade") and m["type"] == "code"]
    tests = [m for m in meta if m.get("grade") and not m.get("solution")]
    written = [m for m in meta if m.get("grade") and m.get("solution") and m["type"] == "markdown"]
    assert len(answers) >= 6 and len(written) >= 2
    for answer in answers:
        task = answer["grade_id"].removesuffix("-answer")
        cells = [t for t in tests if t["grade_id"].startswith(task + "-")]
        assert len(cells) >= 2, f"task {task} needs a visible and a hidden test cell (partial credit)"
