"""What students receive (``python -m grading.publish``): it holds no solution code and no hidden
test, and a student can work and check a notebook with it alone.

The student's self-check (``python -m selfcheck NOTEBOOK``, the command each notebook names) is
run from the notebook's folder, as the notebook says, on the blank release, on a partial and on a
complete notebook.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from grading.publish import build
from grading.synthetic import filled, model_answers

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.S)


def distinctive_lines(regions: list[str], visible: str, shortest: int = 16) -> set[str]:
    """The lines of ``regions`` long enough to identify them and not also in ``visible``."""
    lines = {line.strip() for region in regions for line in region.splitlines()}
    return {line for line in lines if len(line) >= shortest and not line.startswith("#") and line not in visible}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("dist"))


def texts(folder: Path) -> dict[Path, str]:
    return {p: p.read_text(errors="replace") for p in folder.rglob("*")
            if p.is_file() and p.suffix in {".py", ".ipynb", ".md", ".txt", ".toml", ".cfg", ".json"}}


def test_the_bundle_holds_only_what_students_may_see(bundle):
    top = sorted(p.name for p in bundle.iterdir())
    assert top == ["README.md", "exercises", "lib", "nbgrader_config.py", "pyproject.toml",
                   "requirements.txt", "selfcheck"]
    assert not list(bundle.rglob("*.db")), "no gradebook"
    assert (bundle.parent / "student.zip").stat().st_size > 10_000


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_solution_code_and_no_hidden_test_source_reaches_students(bundle, assignment):
    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
    release = (ROOT / "exercises" / assignment / f"{assignment}.ipynb").read_text()
    hidden = distinctive_lines([m for c in source.cells for m in HIDDEN.findall(c.source)], release)
    answers = distinctive_lines([m for c in source.cells for m in SOLUTION.findall(c.source)], release)
    assert hidden and answers, "the source should have hidden tests and model answers to look for"
    everything = texts(bundle)
    for path, text in everything.items():
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text, path
        leaked = sorted(line for line in hidden if line in text)
        assert not leaked, f"{path.relative_to(bundle)} holds hidden-test lines: {leaked[:3]}"
    notebooks = "\n".join(t for p, t in everything.items() if p.suffix == ".ipynb")
    leaked = sorted(line for line in answers if line in notebooks)
    assert not leaked, f"the exercises hold model-answer lines: {leaked[:3]}"


def test_the_site_is_built_from_the_book_only():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["only_build_toc_files"] is True
    assert {"solutions", "tests"} <= set(config["exclude_patterns"])
    toc = (ROOT / "_toc.yml").read_text()
    files = re.findall(r"(?:file|root):\s*(\S+)", toc)
    # the book's pages, and the exercises as released (no solution, no hidden test: above)
    assert files and all(f.startswith(("book/", "exercises/")) for f in files), files
    assert not [f for f in files if "solutions" in f or "HIDDEN" in f]


def selfcheck(notebook: Path, bundle: Path) -> subprocess.CompletedProcess:
    """``python -m selfcheck NAME.ipynb`` in the notebook's folder, with the bundle's packages."""
    env = {**os.environ, "PYTHONPATH": str(bundle)}
    return subprocess.run([sys.executable, "-m", "selfcheck", notebook.name], cwd=notebook.parent,
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("answers, passing", [("none", 0), ("two", 2), ("all", None)])
def test_selfcheck_prints_each_task_and_how_many_pass(bundle, answers, passing, tmp_path):
    shutil.copytree(bundle / "exercises", tmp_path / "exercises")  # a student's copy to work in
    shutil.copy(bundle / "nbgrader_config.py", tmp_path)
    folder = tmp_path / "exercises" / "activations"
    release = nbformat.read(folder / "activations.ipynb", 4)
    model = model_answers(nbformat.read(ROOT / "solutions" / "activations" / "activations.ipynb", 4))
    chosen = {"none": {}, "two": {k: model[k] for k in ("relu-answer", "softmax-answer")}, "all": model}[answers]
    nbformat.write(filled(release, chosen), folder / "mine.ipynb")
    result = selfcheck(folder / "mine.ipynb", bundle)
    out = result.stdout
    tasks = re.findall(r"^(Task \d+: .*?): (passed|FAILED)", out, re.M)
    total = len(tasks)
    assert total == 8, out + result.stderr
    expected = total if passing is None else passing
    assert f"{expected} of {total} tasks pass" in out
    assert sum(status == "passed" for _, status in tasks) == expected
    assert re.search(r"^Question A \(written.*graded by hand$", out, re.M)
    assert result.returncode == (0 if expected == total else 1)
    assert "Traceback" not in out + result.stderr and "nbgrader_config" not in result.stderr
    if answers == "two":
        assert re.search(r"^Task 3: ReLU.*: passed$", out, re.M)
        assert re.search(r"^Task 1: .*: FAILED — AssertionError: sigmoid\(.*raised NotImplementedError", out, re.M)


def test_selfcheck_names_a_missing_notebook_in_one_line(bundle):
    result = selfcheck(bundle / "exercises" / "activations" / "nothere.ipynb", bundle)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "nothere.ipynb: no such notebook (run this from the notebook's folder, or give its path)"]
